package dev.vconn.internal.http;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.function.Consumer;

import dev.vconn.internal.handoff.HandoffOffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The takeover of one client connection of the per-transaction listener: once a successor serves,
 * the connection waits until no transaction is in flight and its last response has reached the
 * kernel, then stops reading, is deregistered from its event loop and goes to the successor with
 * the requests it had read and not yet served (pipelined), which the successor serves first.
 * Exactly one of {@link #handedOff()} and {@link #resume()} follows; either may be called from any
 * thread.
 *
 * <p><b>Unserved requests:</b> only whole requests travel. The requests already decoded are
 * encoded again from their decoded form (the same head fields in the same order, the same body;
 * a chunked body may be cut into other chunks), followed by the raw start of the next head that the
 * decoder holds. A request whose body is still arriving is served here first, and the connection
 * goes once that transaction is done. Nothing is taken from the connection until the successor
 * serves it: a connection it refuses is served here again with every byte it held.
 */
final class HandedOffConnection implements HandoffOffer.LiveConnection {

	private final Channel channel;

	private final ClientConnection connection;

	private final RequestHeadDecoder decoder;

	private final EventLoop loop;

	private final Consumer<? super HandedOffConnection> sink;

	private byte[] unserved = new byte[0];

	HandedOffConnection(Channel channel, ClientConnection connection, Consumer<? super HandedOffConnection> sink) {
		this.channel = channel;
		this.connection = connection;
		this.decoder = connection.decoder;
		this.loop = channel.eventLoop();
		this.sink = sink;
	}

	/**
	 * Starts handing the connection over if only whole requests were read: once its last response
	 * has reached the kernel, it is deregistered (nothing more is read) and, if what it read is still
	 * whole requests, goes to the sink; else it is served here again. On the loop, with no
	 * transaction in flight.
	 * @return whether the takeover holds the connection now (the caller processes nothing more)
	 */
	boolean start(ArrayDeque<HttpObject> inbound) {
		if (!this.decoder.betweenRequests() || !wholeRequests(inbound)) {
			return false;
		}
		// the end of the last response may still be on its way to the kernel: hand over once it is there
		this.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((written) -> {
			if (!written.isSuccess()) {
				return; // the connection failed and closes
			}
			if (this.connection.idleForHandOff()) {
				this.channel.deregister().addListener((deregistered) -> deregistered(inbound));
			}
			else {
				this.connection.resumeAfterHandOff(); // the client ended its side meanwhile: finish here
			}
		});
		return true;
	}

	/** Nothing more can be read: send what was read, or serve it here if a late read left half a request. */
	private void deregistered(ArrayDeque<HttpObject> inbound) {
		if (!this.channel.isOpen()) {
			return; // the client left meanwhile: nothing to hand over
		}
		if (this.connection.idleForHandOff() && this.decoder.betweenRequests() && wholeRequests(inbound)) {
			this.unserved = encode(inbound, this.decoder.copyHeldBytes());
			this.sink.accept(this);
		}
		else {
			resume();
		}
	}

	/** Whether every request read is complete and well formed (tails of answered requests aside). */
	private static boolean wholeRequests(ArrayDeque<HttpObject> inbound) {
		boolean inRequest = false;
		for (HttpObject msg : inbound) {
			if (msg instanceof HttpRequest) {
				if (inRequest || msg.decoderResult().isFailure()) {
					return false;
				}
				inRequest = true;
			}
			if (msg instanceof LastHttpContent) {
				if (msg.decoderResult().isFailure()) {
					return false;
				}
				inRequest = false;
			}
		}
		return !inRequest;
	}

	/** The whole requests of {@code inbound} as bytes, then {@code held}; {@code inbound} is left as it is. */
	private byte[] encode(ArrayDeque<HttpObject> inbound, byte[] held) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		Consumer<ByteBuf> copy = (out) -> {
			try {
				byte[] part = new byte[out.readableBytes()];
				out.readBytes(part);
				bytes.writeBytes(part);
			}
			finally {
				out.release();
			}
		};
		RequestEncoder encoder = null;
		for (HttpObject msg : inbound) {
			if (msg instanceof HttpRequest) {
				encoder = new RequestEncoder(this.channel.pipeline().context(this.connection));
				encoder.encode(msg, copy);
			}
			if (msg instanceof HttpContent && encoder != null) {
				// a duplicate: the decoded content stays in inbound, for this listener if the successor refuses
				encoder.encode(((HttpContent) msg).retainedDuplicate(), copy);
			}
			if (msg instanceof LastHttpContent) {
				encoder = null;
			}
		}
		bytes.writeBytes(held);
		return bytes.toByteArray();
	}

	@Override
	public boolean isTunnel() {
		return false;
	}

	/** The connection's descriptor, still this process's: send a copy. */
	@Override
	public int[] fds() {
		return new int[] { ((UnixChannel) this.channel).fd().intValue() };
	}

	@Override
	public byte[][] pending() {
		return new byte[][] { this.unserved };
	}

	/** The successor serves the connection: this process closes its copy (the client sees nothing). */
	@Override
	public void handedOff() {
		this.loop.execute(this.connection::handedOff);
	}

	/** The successor did not take it: registers the connection again and serves it here. */
	@Override
	public void resume() {
		this.loop.register(this.channel).addListener((future) -> {
			if (future.isSuccess()) {
				this.connection.resumeAfterHandOff();
			}
			else {
				this.channel.close();
			}
		});
	}

	@Override
	public String toString() {
		return "HandedOffConnection[" + this.channel + ", " + this.unserved.length + " bytes unserved]";
	}

}
