package dev.vconn.internal.pair;

import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.ManagedVConn;
import dev.vconn.internal.vconn.NetVIO;
import dev.vconn.internal.vconn.VConnTimeouts;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.AbortCause;
import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnState;
import dev.vconn.VIO;
import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;

/**
 * One end of an in-memory pair of VConns (Traffic Server's {@code PluginVC}); {@link PairCore}
 * makes the two ends and connects them.
 *
 * <p><b>Data path:</b> each end has an outbound {@link IOBuffer} of at most {@code capacity} bytes,
 * the pair's counterpart of a socket's send buffer. A write pass moves bytes from the write VIO's
 * reader into this end's outbound buffer; the peer's read pass moves them on from there into its
 * read VIO's buffer, never past that buffer's water mark. Both moves share blocks
 * ({@link IOBuffer#write(IOBufferReader, long)}); no byte is copied. A write stalled on a full
 * outbound buffer resumes when the peer's read drains it; a read stalled at its water mark resumes
 * on {@link VIO#reenable()}.
 *
 * <p><b>Threads:</b> both ends live on one event loop. Every field that is not volatile or atomic is
 * confined to it, including both outbound buffers and the peer's loop-confined state. A pass over
 * one direction touches only that direction's user buffer, under its continuation's mutex taken
 * with {@code tryLock} (retried on the loop when busy), and never calls into the peer's
 * continuation: it queues the peer's pass on the loop instead. Processing is state-driven, so a
 * repeated or retried pass never loses or duplicates an event.
 *
 * <p><b>Ends of the stream:</b> the peer's read sees EOS once it has taken every byte this end moved
 * before closing or shutting down its write side, and ERROR at once if this end aborts (its
 * outbound bytes are dropped). The peer's write sees ERROR once this end is closed or has shut down
 * its read side (this end's inbound bytes are then dropped).
 */
public final class PairVConn implements ManagedVConn {

	private static final System.Logger logger = System.getLogger(PairVConn.class.getName());

	private static final long LOCK_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

	private static final int OPEN = 0;

	private static final int CLOSING = 1;

	private static final int ABORTING = 2;

	private final RuntimeCore runtime;

	private final long id;

	private final String side;

	private final EventLoop loop;

	private final int capacity;

	private final Instant createdAt = Instant.now();

	/** Bytes this end wrote that the peer has not read yet. Loop-confined once published. */
	private final IOBuffer outbound;

	/** The peer's read position in {@link #outbound}. */
	private final IOBufferReader outboundReader;

	/** Set once by {@link #connect}, before either end is published. */
	private @Nullable PairVConn peer;

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

	private final AtomicBoolean readQueued = new AtomicBoolean();

	private final AtomicBoolean writeQueued = new AtomicBoolean();

	// ---- loop-confined state ----

	private boolean freed;

	private @Nullable List<Runnable> releaseTasks;

	/** The peer aborted while this end was open. */
	private boolean peerAborted;

	private boolean sawEos;

	private boolean sawError;

	/** The write pass stopped on a full outbound buffer; the peer's read wakes it. */
	private boolean writeWaitsForRoom;

	private boolean readRetryScheduled;

	private boolean writeRetryScheduled;


	private final Runnable readTask = () -> {
		this.readQueued.set(false);
		processRead();
	};

	private final Runnable writeTask = () -> {
		this.writeQueued.set(false);
		processWrite();
	};

	PairVConn(RuntimeCore runtime, long id, String side, EventLoop loop, int capacity) {
		this.runtime = runtime;
		this.id = id;
		this.side = side;
		this.loop = loop;
		this.timeouts = new VConnTimeouts(new VConnTimeouts.Owner() {
			@Override
			public boolean isClosed() {
				return PairVConn.this.isClosed();
			}

			@Override
			public @Nullable NetVIO readVio() {
				return PairVConn.this.readVio;
			}

			@Override
			public @Nullable NetVIO writeVio() {
				return PairVConn.this.writeVio;
			}

			@Override
			public void deliver(NetVIO vio, VConnEvent event) {
				PairVConn.this.deliver(vio, event);
			}

			@Override
			public boolean abort(AbortCause cause, int error) {
				return PairVConn.this.abort(cause, error);
			}
		}, loop);
		this.capacity = capacity;
		this.outbound = IOBuffer.create(capacity);
		this.outboundReader = this.outbound.allocReader();
	}

	void connect(PairVConn peer) {
		this.peer = peer;
	}

	/** Releases what a pair that never started holds; on the creating thread, nothing else has seen it. */
	void discard() {
		this.closeState.set(CLOSING);
		this.freed = true;
		this.outbound.close();
	}

	private PairVConn peer() {
		return Objects.requireNonNull(this.peer);
	}

	// ---- VConn ----

	@Override
	public long id() {
		return this.id;
	}

	@Override
	public int fd() {
		return -1;
	}

	@Override
	public @Nullable SocketAddress remoteAddress() {
		return null;
	}

	@Override
	public @Nullable SocketAddress localAddress() {
		return null;
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
		queueRead();
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
		NetVIO previous = this.writeVio;
		this.writeVio = vio;
		if (previous != null) {
			previous.deactivate();
		}
		queueWrite();
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
			execute(this::shutdownReadNow);
		}
		if (write && !this.writeShutdown) {
			this.writeShutdown = true;
			NetVIO vio = this.writeVio;
			if (vio != null) {
				vio.deactivate();
			}
			peer().queueRead();
		}
	}

	@Override
	public boolean isClosed() {
		return this.closeState.get() != OPEN;
	}

	private boolean isAborted() {
		return this.closeState.get() == ABORTING;
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
		return "VConn[id=" + this.id + ", in-memory " + this.side + " end, peer=" + peer().id + ", state=" + state()
				+ "]";
	}

	@Override
	public RuntimeCore runtime() {
		return this.runtime;
	}

	@Override
	public void whenReleased(Runnable task) {
		Objects.requireNonNull(task, "task");
		if (!this.loop.inEventLoop()) {
			try {
				this.loop.execute(() -> whenReleased(task));
			}
			catch (RejectedExecutionException ex) {
				task.run(); // the runtime has stopped, and released every VConn before that
			}
			return;
		}
		if (this.freed) {
			task.run();
			return;
		}
		if (this.releaseTasks == null) {
			this.releaseTasks = new ArrayList<>(2);
		}
		this.releaseTasks.add(task);
	}

	@Override
	public void schedule(NetVIO vio) {
		if (vio.op() == VIO.Op.READ) {
			queueRead();
		}
		else {
			queueWrite();
		}
	}

	private void queueRead() {
		if (this.readQueued.compareAndSet(false, true)) {
			execute(this.readTask);
		}
	}

	private void queueWrite() {
		if (this.writeQueued.compareAndSet(false, true)) {
			execute(this.writeTask);
		}
	}

	// ---- read side: the peer's outbound buffer into the read VIO's buffer ----

	private void processRead() {
		NetVIO vio = this.readVio;
		if (this.freed || vio == null || !isCurrentRead(vio)) {
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
		PairVConn peer = peer();
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
			if (peer.isAborted()) {
				this.sawError = true;
				vio.deactivate();
				deliver(vio, VConnEvent.ERROR);
				return;
			}
			long avail = peer.outboundReader.avail();
			if (avail > 0) {
				long room = buffer.waterMark() - buffer.maxReadAvail();
				if (room <= 0) {
					return; // at the water mark: wait for reenable()
				}
				long n = buffer.write(peer.outboundReader, Math.min(Math.min(avail, vio.ntodo()), room));
				peer.outboundReader.consume(n);
				vio.addDone(n);
				this.bytesIn += n;
				this.timeouts.activity();
				this.runtime.bytesMoved(this, n, 0);
				peer.outboundDrained();
				if (vio.ntodo() == 0) {
					vio.deactivate();
					deliver(vio, VConnEvent.VCONN_READ_COMPLETE);
					return;
				}
				deliver(vio, VConnEvent.VCONN_READ_READY);
				continue;
			}
			if (peer.isClosed() || peer.writeShutdown) {
				this.sawEos = true;
				vio.deactivate();
				deliver(vio, VConnEvent.VCONN_EOS);
				return;
			}
			return; // nothing to read yet: the peer's write wakes this pass
		}
	}

	private boolean isCurrentRead(NetVIO vio) {
		return !isClosed() && !this.readShutdown && this.readVio == vio && vio.isActive();
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

	/** On the loop: what the peer wrote and this end has not read is dropped; the peer's write fails. */
	private void shutdownReadNow() {
		PairVConn peer = peer();
		peer.outbound.close();
		peer.queueWrite();
	}

	// ---- write side: the write VIO's reader into this end's outbound buffer ----

	private void processWrite() {
		NetVIO vio = this.writeVio;
		if (this.freed || vio == null || !isCurrentWrite(vio)) {
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
		PairVConn peer = peer();
		boolean solicited = false;
		this.writeWaitsForRoom = false;
		while (isCurrentWrite(vio)) {
			if (peer.isClosed() || peer.readShutdown || this.outbound.isClosed()) {
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
				// the previous transfer reached the pair: report progress once
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
			long room = this.capacity - this.outbound.maxReadAvail();
			if (room <= 0) {
				this.writeWaitsForRoom = true;
				return; // the peer has not read what is in the pair yet: its read wakes this pass
			}
			long n = this.outbound.write(reader, Math.min(Math.min(avail, vio.ntodo()), room));
			reader.consume(n);
			vio.addDone(n);
			vio.transferReported = false;
			this.bytesOut += n;
			this.timeouts.activity();
			this.runtime.bytesMoved(this, 0, n);
			peer.queueRead();
		}
	}

	private boolean isCurrentWrite(NetVIO vio) {
		return !isClosed() && !this.writeShutdown && this.writeVio == vio && vio.isActive();
	}

	/** On the loop: the peer took bytes out of {@link #outbound}. */
	private void outboundDrained() {
		if (this.writeWaitsForRoom) {
			this.writeWaitsForRoom = false;
			queueWrite();
		}
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

	// ---- event delivery ----

	/** Delivers an event to a VIO's continuation; the caller holds the VIO's mutex, on the loop. */
	private void deliver(NetVIO vio, VConnEvent event) {
		try {
			vio.continuation().handleEvent(event, vio);
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

	/**
	 * Ends this end, on the loop, once: drops what can no longer be read, reports, and wakes the
	 * peer so that its read sees EOS (or ERROR after an abort) and its write sees ERROR.
	 */
	private void free() {
		if (this.freed) {
			return;
		}
		this.freed = true;
		this.timeouts.cancel();
		PairVConn peer = peer();
		boolean aborting = isAborted();
		// runtime shutdown aborts the peer too, with its own cause: it must not see this end go first
		boolean tellPeer = !(aborting && this.abortCause == AbortCause.SHUTDOWN);
		if (aborting) {
			this.runtime.aborted(this, this.abortCause, this.abortError);
			this.outbound.close(); // an abort drops what the peer has not read yet
			if (!peer.isClosed() && tellPeer) {
				peer.peerAborted = true;
			}
		}
		// the peer's bytes can no longer be read; after a close, the peer still reads this end's,
		// and this end's outbound buffer is released when the peer ends in turn
		peer.outbound.close();
		CloseKind how;
		if (aborting) {
			how = (this.abortCause == AbortCause.TIMEOUT) ? CloseKind.TIMEOUT : CloseKind.ABORT;
		}
		else if (this.peerAborted || this.sawError) {
			how = CloseKind.ERROR;
		}
		else if (this.sawEos) {
			how = CloseKind.EOS;
		}
		else {
			how = CloseKind.CLOSE;
		}
		if (this.peerAborted && !aborting) {
			this.runtime.aborted(this, AbortCause.PEER, 0);
		}
		this.runtime.releasedInMemory(this, how);
		if (!peer.freed && tellPeer) {
			peer.queueRead();
			peer.queueWrite();
		}
		runReleaseTasks();
	}

	private void runReleaseTasks() {
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
