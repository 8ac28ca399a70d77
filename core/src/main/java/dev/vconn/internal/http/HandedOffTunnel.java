package dev.vconn.internal.http;

import java.util.List;
import java.util.function.Consumer;

import dev.vconn.internal.handoff.HandoffOffer;
import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.tunnel.TunnelEngine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.Future;

/**
 * The takeover of one connection-mode tunnel, on the loop its two VConns share: the tunnel stops
 * reading both sides; once the bytes it already handed to each socket have reached the kernel, both
 * channels are deregistered (nothing more is read or written here) and the tunnel goes to the
 * successor with both sockets and the bytes it read and did not deliver yet, in each direction:
 * those left in its buffers and, when it spliced, in its pipes. The successor writes them first
 * and then moves bytes again; no byte is lost, duplicated or reordered.
 *
 * <p>Exactly one of {@link #handedOff()} (this process closes its copies, quietly) and
 * {@link #resume()} (the tunnel goes on here, the bytes in flight first) follows once the tunnel
 * reached the sink. A tunnel whose side ends or fails meanwhile goes on here instead. A peer that
 * does not read keeps its bytes from reaching the kernel, and the tunnel from reaching the sink:
 * it stays paused until they do, and a takeover whose drain time ends meanwhile leaves it here.
 */
final class HandedOffTunnel implements HandoffOffer.LiveConnection {

	private final NetVConn client;

	private final NetVConn origin;

	private final TunnelEngine engine;

	private final EventLoop loop;

	private final Consumer<? super HandedOffTunnel> sink;

	private byte[] toClient = new byte[0];

	private byte[] toOrigin = new byte[0];

	/** {@link #resume()} ran (a failed flush may ask twice). On the loop. */
	private boolean resumed;

	HandedOffTunnel(NetVConn client, NetVConn origin, TunnelEngine engine, Consumer<? super HandedOffTunnel> sink) {
		this.client = client;
		this.origin = origin;
		this.engine = engine;
		this.loop = client.loop();
		this.sink = sink;
	}

	/** Pauses the tunnel and hands it to the sink once both sockets have what was written to them. Any thread. */
	void start() {
		this.loop.execute(() -> {
			if (!this.engine.pause()) {
				return; // ending: it ends here
			}
			// a timeout must not abort the sockets the successor may already hold: it waits for resume()
			this.client.holdTimeouts();
			this.origin.holdTimeouts();
			int[] flushed = { 0 };
			Runnable bothFlushed = () -> {
				if (++flushed[0] == 2) {
					deregister();
				}
			};
			// a failed write fails the side, which the resumed tunnel then sees
			this.client.afterQueuedWrites(bothFlushed, this::resume);
			this.origin.afterQueuedWrites(bothFlushed, this::resume);
		});
	}

	private void deregister() {
		Future<?> clientDone = this.client.channel().deregister();
		this.origin.channel().deregister().addListener((originDone) -> clientDone.addListener((done) -> {
			if (!originDone.isSuccess() || !done.isSuccess() || this.client.inputEndedOrFailed()
					|| this.origin.inputEndedOrFailed() || !this.client.channel().isOpen()
					|| !this.origin.channel().isOpen()) {
				resume(); // a side ended meanwhile: the tunnel finishes here
				return;
			}
			this.toClient = bytes(this.engine.takePending(false));
			this.toOrigin = bytes(this.engine.takePending(true));
			this.sink.accept(this);
		}));
	}

	private static byte[] bytes(List<ByteBuf> bufs) {
		ByteBuf all = Unpooled.wrappedBuffer(bufs.toArray(new ByteBuf[0]));
		try {
			byte[] bytes = new byte[all.readableBytes()];
			all.readBytes(bytes);
			return bytes;
		}
		finally {
			all.release();
		}
	}

	@Override
	public boolean isTunnel() {
		return true;
	}

	@Override
	public int[] fds() {
		return new int[] { fd(this.client.channel()), fd(this.origin.channel()) };
	}

	private static int fd(Channel channel) {
		return ((UnixChannel) channel).fd().intValue();
	}

	@Override
	public byte[][] pending() {
		return new byte[][] { this.toClient, this.toOrigin };
	}

	/** The successor moves the tunnel's bytes now: close this process's copies without a word to the peers. */
	@Override
	public void handedOff() {
		this.loop.execute(this.engine::handedOver);
	}

	/** The successor did not take the tunnel: register both sockets again and move bytes here, those in flight first. */
	@Override
	public void resume() {
		this.loop.execute(() -> {
			if (this.resumed) {
				return;
			}
			this.resumed = true;
			Channel clientChannel = this.client.channel();
			Channel originChannel = this.origin.channel();
			Future<?> clientRegistered = clientChannel.isRegistered() ? this.loop.newSucceededFuture(null)
					: this.loop.register(clientChannel);
			Future<?> originRegistered = originChannel.isRegistered() ? this.loop.newSucceededFuture(null)
					: this.loop.register(originChannel);
			originRegistered.addListener((o) -> clientRegistered.addListener((c) -> {
				this.engine.resume(List.of(Unpooled.wrappedBuffer(this.toOrigin)), List.of(Unpooled.wrappedBuffer(this.toClient)));
				this.toClient = new byte[0];
				this.toOrigin = new byte[0];
				this.client.resumeTimeouts();
				this.origin.resumeTimeouts();
			}));
		});
	}

	@Override
	public String toString() {
		return "HandedOffTunnel[" + this.client + " <-> " + this.origin + "]";
	}

}
