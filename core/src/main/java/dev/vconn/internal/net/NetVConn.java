package dev.vconn.internal.net;

import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.ManagedVConn;
import dev.vconn.internal.vconn.NetVIO;
import dev.vconn.internal.vconn.VConnTimeouts;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.AbortCause;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnState;
import dev.vconn.VIO;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * A VConn on a Netty channel. The channel runs with auto-read off: bytes are read only while the
 * read VIO wants them and its buffer is below its water mark, and a write VIO keeps one batch in
 * flight at a time, so both directions are bounded whatever the peer does.
 *
 * <p>Everything but the volatile fields is confined to the channel's event loop. Events are
 * delivered holding the continuation's mutex, taken with {@code tryLock}; when it is busy the work
 * is retried on the loop shortly after. Processing is state-driven (what is pending, what the VIO
 * wants), so a retried or repeated pass never loses or duplicates an event.
 */
public final class NetVConn extends ChannelInboundHandlerAdapter implements ManagedVConn, ChannelFutureListener {

	private static final System.Logger logger = System.getLogger(NetVConn.class.getName());

	private static final long LOCK_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

	/** How long a close waits for bytes already handed to the socket before resetting instead. */
	private static final long CLOSE_FLUSH_NANOS = TimeUnit.SECONDS.toNanos(30);

	private static final int OPEN = 0;

	private static final int CLOSING = 1;

	private static final int ABORTING = 2;

	private final RuntimeCore runtime;

	private final long id;

	private final int fd;

	/** The caller's descriptor, closed once after the channel; -1 when the channel owns the only one. */
	private final int ownedFd;

	/** The descriptor Netty works on (a duplicate for adopted fds), or -1 on NIO. */
	private final int channelFd;

	private final Channel channel;

	private final EventLoop loop;

	private final AdoptionSource source;

	private final @Nullable SocketAddress remote;

	private final @Nullable SocketAddress local;

	private final Instant createdAt = Instant.now();

	private final int maxBatch;

	private final AtomicInteger closeState = new AtomicInteger(OPEN);

	private volatile AbortCause abortCause = AbortCause.API;

	private volatile int abortError;

	private volatile @Nullable NetVIO readVio;

	private volatile @Nullable NetVIO writeVio;

	private volatile boolean readShutdown;

	private volatile boolean writeShutdown;

	private volatile long bytesIn;

	private volatile long bytesOut;

	private final VConnTimeouts timeouts;

	// ---- loop-confined state ----

	private final ArrayDeque<ByteBuf> pendingIn = new ArrayDeque<>();

	private boolean readRequested;

	private boolean eosReceived;

	/** The input ended with the peer's FIN, not with a reset or error (which also shut the input down). */
	private boolean finReceived;

	private @Nullable Throwable failure;

	private boolean peerReset;

	private boolean sawEos;

	private boolean sawError;

	private long inflightBytes;

	private @Nullable NetVIO inflightVio;

	private boolean shutdownOutputAfterFlush;

	private boolean freed;

	private boolean released;

	/** The listener was told of an abort: the VConn ends as aborted, whatever its close state says. */
	private boolean abortReported;

	private @Nullable List<Runnable> releaseTasks;

	private boolean readRetryScheduled;

	private boolean writeRetryScheduled;


	/** Set while this VConn's input is spliced to another VConn by a tunnel. */
	private @Nullable SpliceObserver spliceObserver;

	private @Nullable NetVConn spliceTarget;

	private long spliceReceivedStart;

	private long spliceUnreadStart;

	/** Bytes read into the JVM before the splice started, passed on first. */
	private long splicedBeforeStart;

	/** Bytes the handler read while splicing (already counted as received), passed on in order. */
	private long splicedFromJvm;

	private boolean spliceFailureReported;

	/** {@link #splicedIn()} read just before the socket closed, when the kernel can no longer say. */
	private long splicedInAtClose = -1;

	private final Runnable processReadTask = this::processRead;

	private final Runnable processWriteTask = this::processWrite;

	NetVConn(RuntimeCore runtime, long id, Channel channel, EventLoop loop, int fd, int ownedFd, int channelFd,
			AdoptionSource source, @Nullable SocketAddress remote, @Nullable SocketAddress local, int maxBatch) {
		this.runtime = runtime;
		this.id = id;
		this.channel = channel;
		this.loop = loop;
		this.timeouts = new VConnTimeouts(new VConnTimeouts.Owner() {
			@Override
			public boolean isClosed() {
				return NetVConn.this.isClosed();
			}

			@Override
			public @Nullable NetVIO readVio() {
				return NetVConn.this.readVio;
			}

			@Override
			public @Nullable NetVIO writeVio() {
				return NetVConn.this.writeVio;
			}

			@Override
			public void deliver(NetVIO vio, VConnEvent event) {
				NetVConn.this.deliver(vio, event);
			}

			@Override
			public boolean abort(AbortCause cause, int error) {
				return NetVConn.this.abort(cause, error);
			}
		}, loop);
		this.fd = fd;
		this.ownedFd = ownedFd;
		this.channelFd = channelFd;
		this.source = source;
		this.remote = remote;
		this.local = local;
		this.maxBatch = maxBatch;
	}

	// ---- VConn ----

	@Override
	public long id() {
		return this.id;
	}

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

	public AdoptionSource source() {
		return this.source;
	}

	@Override
	public RuntimeCore runtime() {
		return this.runtime;
	}

	@Override
	public void whenReleased(Runnable task) {
		Objects.requireNonNull(task, "task");
		if (this.loop.inEventLoop()) {
			if (this.released) {
				task.run();
			}
			else {
				if (this.releaseTasks == null) {
					this.releaseTasks = new ArrayList<>(2);
				}
				this.releaseTasks.add(task);
			}
		}
		else {
			try {
				this.loop.execute(() -> whenReleased(task));
			}
			catch (RejectedExecutionException ex) {
				task.run(); // the runtime has stopped, and released every VConn before that
			}
		}
	}

	Channel channel() {
		return this.channel;
	}

	@Override
	public VIO read(Continuation cont, IOBuffer buffer, long nbytes) {
		Objects.requireNonNull(cont, "cont");
		Objects.requireNonNull(buffer, "buffer");
		requireNotNegative(nbytes);
		NetVIO vio = new NetVIO(this, VIO.Op.READ, cont, buffer, null, nbytes);
		if (isClosed() || this.readShutdown) {
			vio.deactivate();
			return vio;
		}
		NetVIO previous = this.readVio;
		this.readVio = vio;
		if (previous != null) {
			previous.deactivate();
		}
		execute(this.processReadTask);
		return vio;
	}

	@Override
	public VIO write(Continuation cont, IOBufferReader reader, long nbytes) {
		Objects.requireNonNull(cont, "cont");
		Objects.requireNonNull(reader, "reader");
		requireNotNegative(nbytes);
		NetVIO vio = new NetVIO(this, VIO.Op.WRITE, cont, null, reader, nbytes);
		if (isClosed() || this.writeShutdown) {
			vio.deactivate();
			return vio;
		}
		vio.transferReported = true;
		NetVIO previous = this.writeVio;
		this.writeVio = vio;
		if (previous != null) {
			previous.deactivate();
		}
		execute(this.processWriteTask);
		return vio;
	}

	@Override
	public void close() {
		if (this.closeState.compareAndSet(OPEN, CLOSING)) {
			deactivateVios();
			execute(this::free);
		}
	}

	@Override
	public void abort(int error) {
		abort(AbortCause.API, error);
	}

	@Override
	public boolean abort(AbortCause cause, int error) {
		if (this.closeState.compareAndSet(OPEN, ABORTING)) {
			this.abortCause = cause;
			this.abortError = error;
			deactivateVios();
			execute(this::free);
			return true;
		}
		if (cause == AbortCause.SHUTDOWN && this.closeState.compareAndSet(CLOSING, ABORTING)) {
			// runtime shutdown does not wait for a close still delivering bytes to a peer that does not read
			this.abortCause = cause;
			this.abortError = error;
			execute(this::abortPendingClose);
			return true;
		}
		return false;
	}

	@Override
	public void shutdown(boolean read, boolean write) {
		if (isClosed()) {
			return;
		}
		if (read && !this.readShutdown) {
			this.readShutdown = true;
			NetVIO vio = this.readVio;
			if (vio != null) {
				vio.deactivate();
			}
			execute(this::shutdownInputNow);
		}
		if (write && !this.writeShutdown) {
			this.writeShutdown = true;
			NetVIO vio = this.writeVio;
			if (vio != null) {
				vio.deactivate();
			}
			execute(this::shutdownOutputNow);
		}
	}

	@Override
	public boolean isClosed() {
		return this.closeState.get() != OPEN;
	}

	@Override
	public VConnState state() {
		if (isClosed()) {
			return VConnState.CLOSED;
		}
		if (this.readShutdown && this.writeShutdown) {
			return VConnState.SHUT_DOWN;
		}
		if (this.readShutdown) {
			return VConnState.READ_SHUT_DOWN;
		}
		return this.writeShutdown ? VConnState.WRITE_SHUT_DOWN : VConnState.OPEN;
	}

	@Override
	public void setInactivityTimeout(Duration timeout) {
		long nanos = requireTimeout(timeout);
		this.timeouts.setInactivity(nanos);
	}

	@Override
	public void setActiveTimeout(Duration timeout) {
		long nanos = requireTimeout(timeout);
		this.timeouts.setActive(nanos);
	}

	@Override
	public long bytesIn() {
		return this.bytesIn;
	}

	@Override
	public long bytesOut() {
		return this.bytesOut;
	}

	@Override
	public Instant createdAt() {
		return this.createdAt;
	}

	@Override
	public String toString() {
		return "VConn[id=" + this.id + ", fd=" + this.fd + ", remote=" + this.remote + ", state=" + state() + "]";
	}

	/** Called by a VIO whose buffer or target changed. */
	@Override
	public void schedule(NetVIO vio) {
		if (vio.op() == VIO.Op.READ) {
			execute(this.processReadTask);
		}
		else {
			execute(this.processWriteTask);
		}
	}

	// ---- channel events (on the loop) ----

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!(msg instanceof ByteBuf) || this.freed) {
			ReferenceCountUtil.release(msg);
			return;
		}
		ByteBuf buf = (ByteBuf) msg;
		int n = buf.readableBytes();
		if (n == 0 || this.readShutdown) {
			buf.release();
			return;
		}
		NetVConn target = this.spliceTarget;
		if (target != null) {
			// read before the splice took over the socket: pass it on in order
			this.splicedFromJvm += n;
			this.bytesIn += n;
			this.runtime.bytesMoved(this, n, 0);
			target.channel.writeAndFlush(buf, target.channel.voidPromise());
			return;
		}
		this.pendingIn.addLast(buf);
		this.bytesIn += n;
		this.timeouts.activity();
		this.runtime.bytesMoved(this, n, 0);
	}

	@Override
	public void channelReadComplete(ChannelHandlerContext ctx) {
		this.readRequested = false;
		processRead();
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
		if (evt instanceof ChannelInputShutdownEvent) {
			this.eosReceived = true;
			// Netty shuts the input down after a reset too, once the read failure was reported
			this.finReceived = this.failure == null;
			if (this.spliceObserver != null) {
				awaitSpliceDrained();
			}
			else {
				processRead();
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
		if (this.freed) {
			return;
		}
		if (this.spliceObserver != null || (this.failure == null && !this.eosReceived)) {
			recordFailure(new IOException("connection closed"));
		}
		else {
			processWrite();
		}
	}

	@Override
	public void channelWritabilityChanged(ChannelHandlerContext ctx) {
		// one batch in flight at a time: progress comes from its completion, not writability
	}

	private void recordFailure(Throwable cause) {
		if (this.freed) {
			return;
		}
		if (this.failure == null) {
			this.failure = cause;
			this.peerReset = isReset(cause);
		}
		SpliceObserver observer = this.spliceObserver;
		if (observer != null) {
			if (!this.spliceFailureReported) {
				this.spliceFailureReported = true;
				observer.failed(this, this.peerReset);
			}
			return;
		}
		processRead();
		processWrite();
	}

	private static boolean isReset(Throwable cause) {
		if (cause instanceof Errors.NativeIoException) {
			return ((Errors.NativeIoException) cause).expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE;
		}
		String message = cause.getMessage();
		return cause instanceof IOException && message != null && message.contains("reset");
	}

	/** Puts bytes read before this VConn existed in front of everything it reads. On the loop, before any read. */
	void replay(List<ByteBuf> bytes) {
		for (ByteBuf buf : bytes) {
			if (buf.isReadable()) {
				// received from the peer on this connection, before it was a VConn
				int n = buf.readableBytes();
				this.bytesIn += n;
				this.runtime.bytesMoved(this, n, 0);
				this.pendingIn.addLast(buf);
			}
			else {
				buf.release();
			}
		}
	}

	// ---- splice (tunnels between two epoll TCP VConns on one loop) ----

	/** What a tunnel learns from a VConn whose input it splices. Called on the loop. */
	public interface SpliceObserver {

		void inputEnded(NetVConn source);

		void failed(NetVConn vconn, boolean reset);

	}

	public EventLoop loop() {
		return this.loop;
	}

	/** Whether this VConn's input can be spliced into {@code dst}. On the loop. */
	public boolean canSpliceTo(NetVConn dst) {
		return this.channel instanceof EpollSocketChannel && dst.channel instanceof EpollSocketChannel
				&& this.loop == dst.loop && LibC.isAvailable() && isSpliceable() && dst.isSpliceable();
	}

	private boolean isSpliceable() {
		return !this.freed && state() == VConnState.OPEN && this.failure == null && !this.eosReceived
				&& this.inflightBytes == 0 && this.channel.isActive() && this.spliceObserver == null;
	}

	/**
	 * Hands this VConn's input to {@code splice(2)} towards {@code dst}: bytes already read into the
	 * JVM go first, then Netty splices the socket into {@code dst} through a pipe. Auto-read is on
	 * while splicing: Netty pauses it whenever {@code dst} cannot take more. On the loop.
	 */
	@SuppressWarnings("deprecation") // spliceTo is deprecated in Netty 4.2 but is the supported way to splice
	public void startSplice(NetVConn dst, SpliceObserver observer) {
		deactivateVios();
		this.spliceObserver = observer;
		this.spliceTarget = dst;
		int socket = this.channelFd;
		// the peer's FIN may have arrived already, unseen by the handler: count data bytes only
		this.spliceReceivedStart = SocketCounters.dataReceived(socket);
		this.spliceUnreadStart = SocketCounters.unread(socket);
		ByteBuf buf;
		while ((buf = this.pendingIn.pollFirst()) != null) {
			this.splicedBeforeStart += buf.readableBytes();
			dst.channel.write(buf, dst.channel.voidPromise());
		}
		dst.channel.flush();
		((EpollSocketChannel) this.channel).spliceTo((EpollSocketChannel) dst.channel, Integer.MAX_VALUE)
			.addListener((ChannelFuture f) -> {
				if (!f.isSuccess()) {
					recordFailure(f.cause());
				}
			});
		this.channel.config().setAutoRead(true);
	}

	/**
	 * Netty reports the peer's FIN as soon as it sees it, while bytes before it may still wait in the
	 * socket; it keeps splicing them (half-closure is allowed), so the end is passed on only once the
	 * receive queue is empty. Every splice-in queues its splice-out at once on this same loop, so at
	 * that point every byte is queued towards the target in order.
	 */
	private void awaitSpliceDrained() {
		SpliceObserver observer = this.spliceObserver;
		if (this.freed || observer == null) {
			return;
		}
		if (SocketCounters.unread(this.channelFd) > 0) {
			this.loop.schedule(this::awaitSpliceDrained, 1, TimeUnit.MILLISECONDS);
			return;
		}
		// what a read VIO would have seen as end of stream: the VConn closes as EOS, like a copied one
		this.sawEos = true;
		observer.inputEnded(this);
	}

	/** Bytes moved from this VConn's input to its splice target so far, or -1 if the kernel cannot say. */
	public long splicedIn() {
		if (!this.channel.isOpen()) {
			return this.splicedInAtClose;
		}
		long received = SocketCounters.bytesReceived(this.channelFd);
		long unread = SocketCounters.unread(this.channelFd);
		if (received < 0 || unread < 0 || this.spliceReceivedStart < 0 || this.spliceUnreadStart < 0) {
			return -1;
		}
		// the peer's FIN takes one sequence number, which tcpi_bytes_received counts like a byte; a
		// reset takes none
		long fin = this.finReceived ? 1 : 0;
		return (received - this.spliceReceivedStart - fin) + this.spliceUnreadStart - unread + this.splicedBeforeStart;
	}

	/**
	 * Accounts bytes a tunnel spliced. Bytes this VConn read into the JVM before or while splicing
	 * were counted as received when read, so only the rest is added. On the loop.
	 */
	public void splicedBytes(long received, long sent) {
		received = Math.max(0, received - this.splicedBeforeStart - this.splicedFromJvm);
		this.bytesIn += received;
		this.bytesOut += sent;
		this.runtime.bytesMoved(this, received, sent);
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

	// ---- read side ----

	private void processRead() {
		NetVIO vio = this.readVio;
		if (this.freed || isClosed() || vio == null || !vio.isActive()) {
			if (this.readShutdown || isClosed()) {
				releasePendingIn();
			}
			return;
		}
		if (!vio.mutex.tryLock()) {
			retryRead();
			return;
		}
		try {
			readWithLock(vio);
		}
		finally {
			vio.mutex.unlock();
		}
	}

	private void readWithLock(NetVIO vio) {
		IOBuffer buffer = Objects.requireNonNull(vio.buffer());
		while (isCurrentRead(vio)) {
			if (buffer.isClosed()) {
				vio.deactivate();
				return;
			}
			if (vio.ntodo() == 0) {
				vio.deactivate();
				deliver(vio, VConnEvent.VCONN_READ_COMPLETE);
				return;
			}
			long moved = 0;
			while (!this.pendingIn.isEmpty() && vio.ntodo() > 0 && !buffer.isHighWater()) {
				ByteBuf head = this.pendingIn.peekFirst();
				long todo = vio.ntodo();
				int n;
				if (head.readableBytes() <= todo) {
					this.pendingIn.pollFirst();
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
				if (vio.ntodo() == 0) {
					vio.deactivate();
					deliver(vio, VConnEvent.VCONN_READ_COMPLETE);
					return;
				}
				deliver(vio, VConnEvent.VCONN_READ_READY);
				continue;
			}
			if (!this.pendingIn.isEmpty()) {
				return; // buffer at high water: wait for reenable()
			}
			if (this.failure != null) {
				this.sawError = true;
				vio.deactivate();
				deliver(vio, VConnEvent.ERROR);
				return;
			}
			if (this.eosReceived) {
				this.sawEos = true;
				vio.deactivate();
				deliver(vio, VConnEvent.VCONN_EOS);
				return;
			}
			if (!buffer.isHighWater() && !this.readRequested) {
				this.readRequested = true;
				this.channel.read();
			}
			return;
		}
	}

	private boolean isCurrentRead(NetVIO vio) {
		return !isClosed() && this.readVio == vio && vio.isActive();
	}

	private void retryRead() {
		if (!this.readRetryScheduled) {
			this.readRetryScheduled = true;
			this.loop.schedule(() -> {
				this.readRetryScheduled = false;
				processRead();
			}, LOCK_RETRY_NANOS, TimeUnit.NANOSECONDS);
		}
	}

	private void shutdownInputNow() {
		releasePendingIn();
		if (!this.freed && this.channel.isActive()) {
			((DuplexChannel) this.channel).shutdownInput();
		}
	}

	private void releasePendingIn() {
		ByteBuf buf;
		while ((buf = this.pendingIn.pollFirst()) != null) {
			buf.release();
		}
	}

	// ---- write side ----

	private void processWrite() {
		NetVIO vio = this.writeVio;
		if (this.freed || isClosed() || vio == null || !vio.isActive() || this.inflightBytes > 0) {
			return;
		}
		if (!vio.mutex.tryLock()) {
			retryWrite();
			return;
		}
		try {
			writeWithLock(vio);
		}
		finally {
			vio.mutex.unlock();
		}
	}

	private void writeWithLock(NetVIO vio) {
		IOBufferReader reader = Objects.requireNonNull(vio.reader());
		boolean solicited = false;
		while (isCurrentWrite(vio) && this.inflightBytes == 0) {
			if (this.failure != null || !this.channel.isActive()) {
				this.sawError = true;
				vio.deactivate();
				deliver(vio, VConnEvent.ERROR);
				return;
			}
			if (vio.ntodo() == 0) {
				vio.deactivate();
				deliver(vio, VConnEvent.VCONN_WRITE_COMPLETE);
				return;
			}
			if (!vio.transferReported) {
				// the previous batch reached the kernel: report progress once
				vio.transferReported = true;
				solicited = true;
				deliver(vio, VConnEvent.VCONN_WRITE_READY);
				continue;
			}
			long avail = reader.avail();
			if (!solicited && avail < vio.ntodo() && !reader.buffer().isHighWater()) {
				solicited = true;
				deliver(vio, VConnEvent.VCONN_WRITE_READY);
				continue;
			}
			if (avail == 0) {
				return; // stalled on an empty reader: wait for reenable()
			}
			int batch = (int) Math.min(Math.min(avail, vio.ntodo()), this.maxBatch);
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
					promise.addListener(this);
					this.channel.writeAndFlush(slice, promise);
				}
			}
			return;
		}
	}

	/** A write batch left the channel's queue (or failed). */
	@Override
	public void operationComplete(ChannelFuture future) {
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
		this.bytesOut += n;
		this.timeouts.activity();
		this.runtime.bytesMoved(this, 0, n);
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
		processWrite();
	}

	private boolean isCurrentWrite(NetVIO vio) {
		return !isClosed() && this.writeVio == vio && vio.isActive();
	}

	private void retryWrite() {
		if (!this.writeRetryScheduled) {
			this.writeRetryScheduled = true;
			this.loop.schedule(() -> {
				this.writeRetryScheduled = false;
				processWrite();
			}, LOCK_RETRY_NANOS, TimeUnit.NANOSECONDS);
		}
	}

	private void shutdownOutputNow() {
		if (this.freed || !this.channel.isActive()) {
			return;
		}
		if (this.inflightBytes > 0) {
			this.shutdownOutputAfterFlush = true;
			return;
		}
		((DuplexChannel) this.channel).shutdownOutput();
	}

	// ---- event delivery ----

	/** Delivers an event to a VIO's continuation; the caller holds the VIO's mutex, on the loop. */
	private void deliver(NetVIO vio, VConnEvent event) {
		deliver(vio.continuation(), event, vio);
	}

	private void deliver(Continuation cont, VConnEvent event, Object data) {
		try {
			cont.handleEvent(event, data);
		}
		catch (Throwable ex) {
			logger.log(System.Logger.Level.WARNING,
					"Continuation threw on " + event + " for " + this + "; aborting the VConn", ex);
			abort(AbortCause.API, 0);
		}
	}

	// ---- close ----

	private void deactivateVios() {
		NetVIO read = this.readVio;
		NetVIO write = this.writeVio;
		if (read != null) {
			read.deactivate();
		}
		if (write != null) {
			write.deactivate();
		}
	}

	/** Releases the socket, on the loop, once per VConn. */
	void free() {
		if (this.freed) {
			return;
		}
		this.freed = true;
		this.timeouts.cancel();
		releasePendingIn();
		if (this.closeState.get() == ABORTING) {
			this.abortReported = true;
			this.runtime.aborted(this, this.abortCause, this.abortError);
			try {
				this.channel.config().setOption(ChannelOption.SO_LINGER, 0);
			}
			catch (RuntimeException ex) {
				// AF_UNIX sockets have no linger: a plain close is the strongest signal there
			}
			closeChannel();
		}
		else if (this.inflightBytes > 0 && this.channel.isActive()) {
			// bytes already handed to the socket are delivered, as the kernel would for a plain close
			this.loop.schedule(this::flushTimedOut, CLOSE_FLUSH_NANOS, TimeUnit.NANOSECONDS);
		}
		else {
			closeChannel();
		}
	}

	/**
	 * Cuts short a close that still waits for its last batch (see {@link #free()}), resetting the
	 * connection. On the loop. A close that already released the socket, or is releasing it, is
	 * left to finish as a close.
	 */
	private void abortPendingClose() {
		if (!this.freed) {
			free(); // the close's own free() has not run yet; it aborts now
			return;
		}
		if (this.released || !this.channel.isOpen()) {
			return;
		}
		this.abortReported = true;
		this.runtime.aborted(this, this.abortCause, this.abortError);
		flushTimedOut();
	}

	private boolean finishDeferredClose() {
		if (this.freed && this.channel.isOpen()) {
			closeChannel();
			return true;
		}
		return this.freed;
	}

	private void flushTimedOut() {
		if (this.channel.isOpen()) {
			try {
				this.channel.config().setOption(ChannelOption.SO_LINGER, 0);
			}
			catch (RuntimeException ex) {
				// see free()
			}
			closeChannel();
		}
	}

	private void closeChannel() {
		if (this.spliceObserver != null && this.channel.isOpen()) {
			this.splicedInAtClose = splicedIn();
		}
		if (this.channelFd >= 0) {
			// give the number back before it can be reused, so a new socket that gets it is adoptable
			this.runtime.unclaimFd(this.channelFd, this.id);
		}
		this.channel.close().addListener((f) -> released());
	}

	/** The channel is closed: close the caller's descriptor, give back the slot, report. */
	private void released() {
		if (this.released) {
			return;
		}
		this.released = true;
		if (this.channelFd >= 0) {
			this.runtime.unclaimFd(this.channelFd, this.id); // in case Netty closed the channel itself
		}
		if (this.ownedFd >= 0) {
			this.runtime.closeOwnedFd(this.ownedFd, this.id);
		}
		CloseKind how;
		if (this.abortReported) {
			how = (this.abortCause == AbortCause.TIMEOUT) ? CloseKind.TIMEOUT : CloseKind.ABORT;
		}
		else if (this.peerReset || this.sawError) {
			how = CloseKind.ERROR;
		}
		else if (this.sawEos) {
			how = CloseKind.EOS;
		}
		else {
			how = CloseKind.CLOSE;
		}
		if (this.peerReset && !this.abortReported) {
			this.runtime.aborted(this, AbortCause.PEER, 0);
		}
		this.runtime.released(this, how);
		List<Runnable> tasks = this.releaseTasks;
		this.releaseTasks = null;
		if (tasks != null) {
			for (Runnable task : tasks) {
				try {
					task.run();
				}
				catch (RuntimeException ex) {
					logger.log(System.Logger.Level.WARNING, "A release task of " + this + " threw", ex);
				}
			}
		}
	}

	// ---- helpers ----

	private void execute(Runnable task) {
		try {
			this.loop.execute(task);
		}
		catch (RejectedExecutionException ex) {
			// the runtime has stopped; shutdown already aborted and released this VConn
		}
	}

	private static void requireNotNegative(long nbytes) {
		if (nbytes < 0) {
			throw new IllegalArgumentException("nbytes must not be negative, was " + nbytes);
		}
	}

	private static long requireTimeout(Duration timeout) {
		Objects.requireNonNull(timeout, "timeout");
		if (timeout.isNegative()) {
			throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
		}
		return timeout.toNanos();
	}

}
