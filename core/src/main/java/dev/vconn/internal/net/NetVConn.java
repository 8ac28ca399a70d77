package dev.vconn.internal.net;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.NotYetConnectedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnState;
import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.AbstractVConn;
import dev.vconn.internal.vconn.NetVIO;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * A VConn on a Netty channel: the channel side only, the state machine is
 * {@link AbstractVConn}'s. The channel runs with auto-read off: bytes are read only while the read
 * VIO wants them and its buffer is below its water mark, and a write VIO keeps one batch in flight
 * at a time, so both directions are bounded whatever the peer does. While a tunnel splices this
 * VConn's input, {@link Splice} drives it.
 *
 * <p>Everything but the volatile fields is confined to the channel's event loop. Over 500
 * lines: the whole channel side (bounded reads, one batch in flight, close with flush or reset,
 * and what a splice or a handoff to another process needs of the channel) in one place.
 */
public final class NetVConn extends AbstractVConn {

	/** How long a close waits for bytes already handed to the socket before resetting instead. */
	private static final long CLOSE_FLUSH_NANOS = TimeUnit.SECONDS.toNanos(30);

	private final int fd;

	/** The caller's descriptor, closed once after the channel; null when the channel owns the only one. */
	private final @Nullable AdoptedFd adopted;

	/** The descriptor Netty works on (a duplicate for adopted fds), or -1 on NIO. */
	private final int channelFd;

	private final Channel channel;

	private final AdoptionSource source;

	private final @Nullable SocketAddress remote;

	private final @Nullable SocketAddress local;

	private final int maxBatch;

	/** The channel's events, and the listener of each write batch. */
	final Handler handler = new Handler();


	// ---- loop-confined state ----

	/** Bytes read and not yet delivered; made on first use, as an idle VConn needs none. */
	private @Nullable ArrayDeque<ByteBuf> pendingIn;

	private boolean readRequested;

	private boolean eosReceived;

	/** The input ended with the peer's FIN, not with a reset or error (which also shut the input down). */
	private boolean finReceived;

	private @Nullable Throwable failure;

	private boolean peerReset;

	private long inflightBytes;

	private @Nullable NetVIO inflightVio;

	private boolean shutdownOutputAfterFlush;

	/** The listener was told of an abort: the VConn ends as aborted, whatever its close state says. */
	private boolean abortReported;

	/** Set while this VConn's input is spliced to another VConn by a tunnel. */
	private @Nullable Splice splice;

	/** Deregistered from its loop while its socket is offered to another process. */
	private boolean detached;

	/** Bytes earlier splices of this VConn's input passed on (a tunnel paused for a takeover). */
	private long splicedBefore;

	NetVConn(RuntimeCore runtime, long id, Channel channel, EventLoop loop, int fd, @Nullable AdoptedFd adopted,
			int channelFd, AdoptionSource source, @Nullable SocketAddress remote, @Nullable SocketAddress local,
			int maxBatch) {
		super(runtime, id, loop);
		this.channel = channel;
		this.fd = fd;
		this.adopted = adopted;
		this.channelFd = channelFd;
		this.source = source;
		this.remote = remote;
		this.local = local;
		this.maxBatch = maxBatch;
	}

	// ---- VConn ----

	@Override
	public int fd() {
		return this.fd;
	}

	@Override
	public @Nullable SocketAddress remoteAddress() {
		return this.remote;
	}

	@Override
	public @Nullable SocketAddress localAddress() {
		return this.local;
	}

	AdoptionSource source() {
		return this.source;
	}

	@Override
	public String toString() {
		return "VConn[id=" + id() + ", fd=" + this.fd + ", remote=" + this.remote + ", state=" + state() + "]";
	}

	/** The socket's channel; for the listener's handlers around a tunnel (connection mode). */
	public Channel channel() {
		return this.channel;
	}

	int channelFd() {
		return this.channelFd;
	}

	boolean isGone() {
		return isFreed();
	}

	boolean finReceived() {
		return this.finReceived;
	}

	/** Puts bytes read before this VConn existed in front of everything it reads. On the loop, before any read. */
	void replay(List<ByteBuf> bytes) {
		for (ByteBuf buf : bytes) {
			if (buf.isReadable()) {
				// received from the peer on this connection, before it was a VConn
				counted(buf.readableBytes(), 0);
				pendingIn().addLast(buf);
			}
			else {
				buf.release();
			}
		}
	}

	// ---- channel events (on the loop) ----

	final class Handler extends ChannelInboundHandlerAdapter implements ChannelFutureListener {

		@Override
		public void operationComplete(ChannelFuture future) {
			batchWritten(future);
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (!(msg instanceof ByteBuf) || isFreed()) {
				ReferenceCountUtil.release(msg);
				return;
			}
			ByteBuf buf = (ByteBuf) msg;
			int n = buf.readableBytes();
			if (n == 0 || isReadShutdown()) {
				buf.release();
				return;
			}
			Splice current = NetVConn.this.splice;
			if (current != null) {
				moved(n, 0);
				current.read(buf);
				return;
			}
			pendingIn().addLast(buf);
			moved(n, 0);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			NetVConn.this.readRequested = false;
			if (peerEndedAfterUs(ctx.channel())) {
				// Netty shuts a half-closed channel's input down next, and on a socket whose two FINs
				// have both gone that shutdown fails and Netty builds an exception for it (once per
				// connection in a tunnel whose origin ends first). Without half-closure Netty closes
				// the socket instead; the end of input goes through the pipeline here, as Netty's would.
				ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
				ctx.channel().pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
			}
			readPass();
		}

		/** Whether the read that just completed met the peer's end of stream after this side's own FIN. */
		private boolean peerEndedAfterUs(Channel channel) {
			return !NetVConn.this.eosReceived && NetVConn.this.failure == null
					&& ((DuplexChannel) channel).isOutputShutdown()
					&& channel.unsafe().recvBufAllocHandle().lastBytesRead() < 0;
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof ChannelInputShutdownEvent) {
				NetVConn.this.eosReceived = true;
				// Netty shuts the input down after a reset too, once the read failure was reported
				NetVConn.this.finReceived = NetVConn.this.failure == null;
				Splice current = NetVConn.this.splice;
				if (current != null) {
					current.inputEnded();
				}
				else {
					readPass();
				}
			}
			ReferenceCountUtil.release(evt);
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			recordFailure(cause);
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			if (isFreed()) {
				return;
			}
			boolean bothEnded = NetVConn.this.failure == null && NetVConn.this.eosReceived
					&& ((DuplexChannel) ctx.channel()).isOutputShutdown();
			if ((NetVConn.this.splice != null && !bothEnded)
					|| (NetVConn.this.failure == null && !NetVConn.this.eosReceived)) {
				recordFailure(new IOException("connection closed"));
			}
			else {
				writePass();
			}
		}

	}

	void recordFailure(Throwable cause) {
		if (isFreed()) {
			return;
		}
		if (this.failure == null) {
			this.failure = cause;
			this.peerReset = isReset(cause);
		}
		Splice current = this.splice;
		if (current != null) {
			current.failed(this.peerReset);
			return;
		}
		readPass();
		writePass();
	}

	private static boolean isReset(Throwable cause) {
		if (cause instanceof Errors.NativeIoException) {
			return ((Errors.NativeIoException) cause).expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE;
		}
		String message = cause.getMessage();
		return cause instanceof IOException && message != null && message.contains("reset");
	}

	// ---- splice (tunnels between two epoll TCP VConns on one loop) ----

	/** Whether this VConn's input can be spliced into {@code dst}. On the loop. */
	public boolean canSpliceTo(NetVConn dst) {
		return this.channel instanceof EpollSocketChannel && dst.channel instanceof EpollSocketChannel
				&& loop() == dst.loop() && LibC.isAvailable() && pipes().isEnabled() && isSpliceable()
				&& dst.isSpliceable();
	}

	private boolean isSpliceable() {
		return !isFreed() && state() == VConnState.OPEN && this.failure == null && !this.eosReceived
				&& this.inflightBytes == 0 && this.channel.isActive() && this.splice == null;
	}

	private PipePool pipes() {
		return NetVConnFactory.of(runtime()).pipes();
	}

	/**
	 * Hands this VConn's input to a {@link Splice} towards {@code dst}: bytes already read into the
	 * JVM go first. The VIOs are deactivated: from now on the tunnel drives both sides. On the loop.
	 */
	public void startSplice(NetVConn dst, Splice.Observer observer) {
		deactivateVios();
		Splice started = new Splice(this, dst, observer, pipes());
		this.splice = started;
		started.start(pendingIn());
	}

	/** Bytes passed from this VConn's input to its splice target, copied or spliced. On the loop. */
	public long splicedIn() {
		Splice current = this.splice;
		return this.splicedBefore + ((current != null) ? current.delivered() : 0);
	}

	/**
	 * Stops splicing this VConn's input, for a takeover: what the pipe holds goes back in front of
	 * the bytes read and not delivered, and what the source sends from now on is kept there too.
	 * Bytes already handed to the target's channel still go out. On the loop.
	 */
	public void stopSplice() {
		Splice current = this.splice;
		if (current != null) {
			this.splice = null;
			this.splicedBefore += current.delivered();
			ByteBuf piped = current.stop();
			if (piped.isReadable()) {
				pendingIn().addFirst(piped);
			}
			else {
				piped.release();
			}
		}
	}

	/** Takes the bytes read from the socket and not yet delivered, for a takeover. On the loop. */
	public List<ByteBuf> takePendingIn() {
		List<ByteBuf> taken = new java.util.ArrayList<>();
		ArrayDeque<ByteBuf> pending = this.pendingIn;
		for (ByteBuf buf = (pending != null) ? pending.pollFirst() : null; buf != null; buf = pending.pollFirst()) {
			taken.add(buf);
		}
		return taken;
	}

	/**
	 * Puts bytes this VConn read before (and counted) back in front of the bytes not yet delivered,
	 * after a takeover that did not happen. On the loop.
	 */
	public void restorePendingIn(List<ByteBuf> bytes) {
		for (int i = bytes.size() - 1; i >= 0; i--) {
			ByteBuf buf = bytes.get(i);
			if (buf.isReadable()) {
				pendingIn().addFirst(buf);
			}
			else {
				buf.release();
			}
		}
	}

	/** Whether the input ended or failed: a takeover leaves such a VConn where it is. On the loop. */
	public boolean inputEndedOrFailed() {
		return this.eosReceived || this.failure != null;
	}

	/** Counts bytes a splice moved through this VConn's socket. On the loop. */
	void splicedMoved(long received, long sent) {
		moved(received, sent);
	}

	/** The splice saw the end of the input, as a read VIO would have: the VConn ends as EOS. */
	void splicedToEnd() {
		sawEndOfStream();
	}

	/** Runs {@code then} once everything queued on the channel so far has been written. On the loop. */
	public void afterQueuedWrites(Runnable then, Runnable onFailure) {
		this.channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener((ChannelFuture f) -> {
			if (f.isSuccess()) {
				then.run();
			}
			else {
				onFailure.run();
			}
		});
	}

	// ---- handing the socket to another process ----

	/**
	 * Stops this VConn's I/O so that its socket can go to another process: checks that nothing is
	 * in progress, then deregisters the channel from its loop, so nothing more is read from the
	 * socket here. Any thread; completes on the loop.
	 * @return completed with the socket's descriptor (still this VConn's) and retained duplicates
	 * of the bytes read and not yet delivered, which the caller releases; completed exceptionally
	 * with a {@link NotDetachable} saying why the VConn cannot go, leaving it as it was
	 */
	public CompletableFuture<Detached> detach() {
		CompletableFuture<Detached> result = new CompletableFuture<>();
		try {
			loop().execute(() -> detachNow(result));
		}
		catch (RejectedExecutionException ex) {
			result.completeExceptionally(new IllegalStateException("the runtime has stopped"));
		}
		return result;
	}

	private void detachNow(CompletableFuture<Detached> result) {
		if (!(this.channel instanceof UnixChannel)) {
			result.completeExceptionally(new NotDetachable(true, "it runs on a NIO event loop (adopted from a "
					+ "SocketChannel, or connected on the NIO transport), whose descriptor VConn cannot reach"));
			return;
		}
		String busy = whyNotDetachable();
		if (busy != null) {
			result.completeExceptionally(new NotDetachable(false, busy));
			return;
		}
		this.detached = true;
		holdTimeouts();
		this.channel.deregister().addListener((future) -> {
			if (!future.isSuccess()) {
				this.detached = false;
				resumeTimeouts();
				result.completeExceptionally(new NotDetachable(false, "cannot deregister: " + future.cause()));
				return;
			}
			List<ByteBuf> unread = new ArrayList<>();
			ArrayDeque<ByteBuf> pending = this.pendingIn;
			if (pending != null) {
				pending.forEach((buf) -> unread.add(buf.retainedDuplicate()));
			}
			result.complete(new Detached(this.channelFd, unread));
		});
	}

	private @Nullable String whyNotDetachable() {
		if (isClosed()) {
			return "it is closed";
		}
		if (state() != VConnState.OPEN) {
			return "it is " + state();
		}
		if (this.failure != null) {
			return "its connection failed: " + this.failure;
		}
		if (this.splice != null) {
			return "a tunnel drives it";
		}
		if (this.detached) {
			return "it is being sent already";
		}
		if (hasOperationInProgress()) {
			return "a read or write VIO is in progress: wait for READ_COMPLETE and WRITE_COMPLETE, or end them "
					+ "with read(cont, buffer, 0) and write(cont, reader, 0)";
		}
		ChannelOutboundBuffer outbound = this.channel.unsafe().outboundBuffer();
		if (this.inflightBytes > 0 || (outbound != null && outbound.totalPendingWriteBytes() > 0)) {
			return "bytes written are still on their way to the socket";
		}
		return null;
	}

	/**
	 * The other process did not take the socket: registers the channel with its loop again and
	 * goes on where it stopped. Any thread.
	 */
	public void reattach() {
		execute(() -> loop().register(this.channel).addListener((future) -> {
			this.detached = false;
			this.readRequested = false;
			if (!future.isSuccess()) {
				recordFailure(future.cause());
			}
			else {
				readPass();
				writePass();
			}
			resumeTimeouts();
		}));
	}

	/** Why a VConn cannot be detached now; it is left as it was. */
	public static final class NotDetachable extends RuntimeException {

		private static final long serialVersionUID = 1L;

		/** Not serialized beyond the exception's name. */
		private final boolean unsupported;

		NotDetachable(boolean unsupported, String message) {
			super(message);
			this.unsupported = unsupported;
		}

		/** Whether it can never be (a NIO VConn), rather than not now. */
		public boolean unsupported() {
			return this.unsupported;
		}

	}

	/** A VConn's socket taken off its loop: the descriptor to send, and the bytes it had read ahead. */
	public record Detached(int fd, List<ByteBuf> unread) {

		/** Releases the duplicates of the unread bytes. */
		public void release() {
			this.unread.forEach(ByteBuf::release);
		}

	}

	// ---- read side ----

	private ArrayDeque<ByteBuf> pendingIn() {
		ArrayDeque<ByteBuf> pending = this.pendingIn;
		if (pending == null) {
			pending = new ArrayDeque<>(4);
			this.pendingIn = pending;
		}
		return pending;
	}

	@Override
	protected long fill(NetVIO vio, IOBuffer buffer) {
		long moved = 0;
		ArrayDeque<ByteBuf> pending = this.pendingIn;
		while (pending != null && !pending.isEmpty() && vio.ntodo() > 0 && !buffer.isHighWater()) {
			ByteBuf head = pending.peekFirst();
			long todo = vio.ntodo();
			int n;
			if (head.readableBytes() <= todo) {
				pending.pollFirst();
				n = head.readableBytes();
				buffer.write(head);
			}
			else {
				n = (int) todo;
				buffer.write(head.readRetainedSlice(n));
			}
			vio.addDone(n);
			moved += n;
		}
		if (moved > 0) {
			return moved;
		}
		if (pending != null && !pending.isEmpty()) {
			return WAIT; // buffer at high water: wait for reenable()
		}
		if (this.failure != null) {
			return FAILED;
		}
		if (this.eosReceived) {
			return END_OF_STREAM;
		}
		if (!buffer.isHighWater() && !this.readRequested && !this.detached) {
			this.readRequested = true;
			this.channel.read();
		}
		return WAIT;
	}

	@Override
	protected void readIdle() {
		if (isReadShutdown() || isClosed()) {
			releasePendingIn();
		}
	}

	@Override
	protected void shutdownReadNow() {
		releasePendingIn();
		if (!isFreed() && this.channel.isActive()) {
			((DuplexChannel) this.channel).shutdownInput();
		}
	}

	private void releasePendingIn() {
		ArrayDeque<ByteBuf> pending = this.pendingIn;
		if (pending == null) {
			return;
		}
		ByteBuf buf;
		while ((buf = pending.pollFirst()) != null) {
			buf.release();
		}
	}

	// ---- write side ----

	@Override
	protected boolean writeFailed() {
		return this.failure != null || !this.channel.isActive();
	}

	@Override
	protected boolean writeInFlight() {
		return this.inflightBytes > 0;
	}

	@Override
	protected boolean drain(NetVIO vio, IOBufferReader reader, long max) {
		int batch = (int) Math.min(max, this.maxBatch);
		int remaining = batch;
		while (remaining > 0) {
			ByteBuf slice = reader.readRetained(remaining);
			remaining -= slice.readableBytes();
			if (remaining > 0) {
				this.channel.write(slice, this.channel.voidPromise());
			}
			else {
				this.inflightBytes = batch;
				this.inflightVio = vio;
				vio.transferReported = false;
				ChannelPromise promise = this.channel.newPromise();
				promise.addListener(this.handler);
				this.channel.writeAndFlush(slice, promise);
			}
		}
		return false;
	}

	/** A write batch left the channel's queue (or failed). */
	private void batchWritten(ChannelFuture future) {
		long n = this.inflightBytes;
		NetVIO vio = this.inflightVio;
		this.inflightBytes = 0;
		this.inflightVio = null;
		if (!future.isSuccess()) {
			if (vio != null) {
				vio.transferReported = true;
			}
			recordFailure(future.cause());
			finishDeferredClose();
			return;
		}
		moved(0, n);
		if (vio != null) {
			vio.addDone(n);
		}
		if (finishDeferredClose()) {
			return;
		}
		if (this.shutdownOutputAfterFlush) {
			this.shutdownOutputAfterFlush = false;
			shutdownOutputNow();
		}
		writePass();
	}

	@Override
	protected void shutdownWrite() {
		execute(this::shutdownOutputNow);
	}

	private void shutdownOutputNow() {
		if (isFreed() || !this.channel.isActive()) {
			return;
		}
		if (this.inflightBytes > 0) {
			this.shutdownOutputAfterFlush = true;
			return;
		}
		FileDescriptor descriptor = (this.channel instanceof UnixChannel) ? ((UnixChannel) this.channel).fd() : null;
		ChannelOutboundBuffer queued = this.channel.unsafe().outboundBuffer();
		if (descriptor instanceof Socket && (queued == null || queued.isEmpty())) {
			// Nothing queued for Netty to fail: the socket's own shutdown sends the FIN and marks the
			// output shut for Netty too, without the exception Netty makes per call for queued writes.
			try {
				((Socket) descriptor).shutdown(false, true);
			}
			catch (IOException | NotYetConnectedException ex) {
				// the connection is gone already: Netty reports that on its next read or write
			}
			return;
		}
		((DuplexChannel) this.channel).shutdownOutput();
	}

	// ---- close ----

	/** Releases the socket: at once on abort (with a reset), after the batch in flight on close. */
	@Override
	protected void release(boolean aborting) {
		releasePendingIn();
		if (aborting) {
			this.abortReported = true;
			reportAbort();
			resetAndClose();
		}
		else if (this.inflightBytes > 0 && this.channel.isActive()) {
			// bytes already handed to the socket are delivered, as the kernel would for a plain close
			loop().schedule(this::flushTimedOut, CLOSE_FLUSH_NANOS, TimeUnit.NANOSECONDS);
		}
		else {
			closeChannel();
		}
	}

	@Override
	protected boolean abortsPendingClose() {
		return true;
	}

	/**
	 * Cuts short a close that still waits for its last batch (see {@link #release}), resetting the
	 * connection. On the loop. A close that already released the socket, or is releasing it, is
	 * left to finish as a close.
	 */
	@Override
	protected void abortPendingClose() {
		if (!isFreed()) {
			free(); // the close's own free() has not run yet; it aborts now
			return;
		}
		if (isReleased() || !this.channel.isOpen()) {
			return;
		}
		this.abortReported = true;
		reportAbort();
		flushTimedOut();
	}

	private boolean finishDeferredClose() {
		if (isFreed() && this.channel.isOpen()) {
			closeChannel();
			return true;
		}
		return isFreed();
	}

	private void flushTimedOut() {
		if (this.channel.isOpen()) {
			resetAndClose();
		}
	}

	private void resetAndClose() {
		try {
			this.channel.config().setOption(ChannelOption.SO_LINGER, 0);
		}
		catch (RuntimeException ex) {
			// AF_UNIX sockets have no linger: a plain close is the strongest signal there
		}
		closeChannel();
	}

	private void closeChannel() {
		Splice current = this.splice;
		if (current != null && this.channel.isOpen()) {
			current.closing();
		}
		this.channel.close().addListener((f) -> released());
	}

	/** The channel is closed: close the caller's descriptor, give back the slot, report. */
	private void released() {
		if (isReleased()) {
			return;
		}
		if (this.adopted != null) {
			int errno = this.adopted.close();
			if (errno != 0) {
				System.getLogger(NetVConn.class.getName())
					.log(System.Logger.Level.WARNING, "close({0}) failed: errno {1}", this.fd, errno);
			}
		}
		ended(this.abortReported, this.peerReset);
	}

	@Override
	protected void releasedFromRuntime(CloseKind how) {
		runtime().released(this, how);
	}

}
