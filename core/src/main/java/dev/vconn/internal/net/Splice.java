package dev.vconn.internal.net;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * One VConn's input spliced into another VConn by a tunnel: bytes already read into the JVM go
 * first, then Netty splices the socket into the target through a pipe. Auto-read is on while
 * splicing: Netty pauses it whenever the target cannot take more. Confined to the loop both VConns
 * share.
 */
public final class Splice {

	/** What a tunnel learns from a VConn whose input it splices. Called on the loop. */
	public interface Observer {

		void inputEnded(NetVConn source);

		void failed(NetVConn vconn, boolean reset);

	}

	private final NetVConn source;

	private final NetVConn target;

	private final Observer observer;

	private long receivedStart;

	private long unreadStart;

	/** Bytes read into the JVM before the splice started, passed on first. */
	private long beforeStart;

	/** Bytes the handler read while splicing (already counted as received), passed on in order. */
	private long fromJvm;

	private boolean failureReported;

	/** {@link #splicedIn()} read just before the socket closed, when the kernel can no longer say. */
	private long splicedInAtClose = -1;

	Splice(NetVConn source, NetVConn target, Observer observer) {
		this.source = source;
		this.target = target;
		this.observer = observer;
	}

	@SuppressWarnings("deprecation") // spliceTo is deprecated in Netty 4.2 but is the supported way to splice
	void start(ArrayDeque<ByteBuf> pendingIn) {
		int socket = this.source.channelFd();
		// the peer's FIN may have arrived already, unseen by the handler: count data bytes only
		this.receivedStart = SocketCounters.dataReceived(socket);
		this.unreadStart = SocketCounters.unread(socket);
		Channel dst = this.target.channel();
		ByteBuf buf;
		while ((buf = pendingIn.pollFirst()) != null) {
			this.beforeStart += buf.readableBytes();
			dst.write(buf, dst.voidPromise());
		}
		dst.flush();
		Channel src = this.source.channel();
		((EpollSocketChannel) src).spliceTo((EpollSocketChannel) dst, Integer.MAX_VALUE)
			.addListener((ChannelFuture f) -> {
				if (!f.isSuccess()) {
					this.source.recordFailure(f.cause());
				}
			});
		src.config().setAutoRead(true);
	}

	/** Bytes the handler read before the splice took over the socket: pass them on in order. */
	void readBeforeSplicing(ByteBuf buf) {
		this.fromJvm += buf.readableBytes();
		Channel dst = this.target.channel();
		dst.writeAndFlush(buf, dst.voidPromise());
	}

	/**
	 * Netty reports the peer's FIN as soon as it sees it, while bytes before it may still wait in the
	 * socket; it keeps splicing them (half-closure is allowed), so the end is passed on only once the
	 * receive queue is empty. Every splice-in queues its splice-out at once on this same loop, so at
	 * that point every byte is queued towards the target in order.
	 */
	void awaitDrained() {
		if (this.source.isGone()) {
			return;
		}
		if (SocketCounters.unread(this.source.channelFd()) > 0) {
			this.source.loop().schedule(this::awaitDrained, 1, TimeUnit.MILLISECONDS);
			return;
		}
		// what a read VIO would have seen as end of stream: the VConn ends as EOS, like a copied one
		this.source.splicedToEnd();
		this.observer.inputEnded(this.source);
	}

	void failed(boolean reset) {
		if (!this.failureReported) {
			this.failureReported = true;
			this.observer.failed(this.source, reset);
		}
	}

	/** The source's socket is about to close: remember what the kernel counted. */
	void closing() {
		this.splicedInAtClose = splicedIn();
	}

	/** Bytes moved from the source's input to the target so far, or -1 if the kernel cannot say. */
	long splicedIn() {
		if (!this.source.channel().isOpen()) {
			return this.splicedInAtClose;
		}
		int socket = this.source.channelFd();
		long received = SocketCounters.bytesReceived(socket);
		long unread = SocketCounters.unread(socket);
		if (received < 0 || unread < 0 || this.receivedStart < 0 || this.unreadStart < 0) {
			return -1;
		}
		// the peer's FIN takes one sequence number, which tcpi_bytes_received counts like a byte; a
		// reset takes none
		long fin = this.source.finReceived() ? 1 : 0;
		return (received - this.receivedStart - fin) + this.unreadStart - unread + this.beforeStart;
	}

	/** Of {@code received} spliced bytes, those not counted yet (the JVM counted what it read). */
	long notYetCounted(long received) {
		return Math.max(0, received - this.beforeStart - this.fromJvm);
	}

}
