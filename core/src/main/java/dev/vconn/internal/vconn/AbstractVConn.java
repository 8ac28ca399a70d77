package dev.vconn.internal.vconn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnState;
import dev.vconn.VIO;
import dev.vconn.internal.Durations;
import dev.vconn.internal.runtime.RuntimeCore;
import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;

/**
 * The VConn state machine, once for every kind of VConn: the read and write VIO slots, close,
 * abort and shutdown, the read and write passes that deliver events, the timeouts and the release
 * tasks. A subclass says only how bytes move: a socket VConn through a Netty channel, a pair end
 * through the other end's buffer.
 *
 * <p><b>Event rules</b> (Traffic Server's, see the model): events are delivered on the VConn's
 * loop holding the continuation's mutex, taken with {@code tryLock} and retried shortly after
 * when busy ({@link ContinuationDelivery}); no event for a direction after its VIO completed,
 * was replaced or shut down; no event at all once close or abort was called, since both
 * deactivate the VIOs at once, on the caller's thread; the VConn is freed in a later loop task
 * ({@link #free()}), so a handler that closes inside a callback returns before anything is
 * released. Passes are state-driven (what is pending, what the VIO wants), so a repeated or
 * retried pass never loses or duplicates an event.
 *
 * <p><b>Threads:</b> the public methods are callable from any thread; everything that is not
 * volatile or atomic is confined to the loop.
 *
 * <p>Over 500 lines on purpose: the state machine is one piece and is read as one, and half of
 * the file is the contract of the hooks a subclass fills in.
 */
public abstract class AbstractVConn implements ManagedVConn {

	private static final System.Logger logger = System.getLogger(AbstractVConn.class.getName());

	/** {@link #fill} found nothing to move yet: wait for the source, or for {@link VIO#reenable()}. */
	protected static final long WAIT = -1;

	/** {@link #fill}: the input ended with end of stream, every byte before it delivered. */
	protected static final long END_OF_STREAM = -2;

	/** {@link #fill}: the input failed. */
	protected static final long FAILED = -3;

	private static final int OPEN = 0;

	private static final int CLOSING = 1;

	private static final int ABORTING = 2;

	// field updaters rather than atomic objects: three fewer objects per VConn
	private static final VarHandle CLOSE_STATE;

	private static final VarHandle READ_QUEUED;

	private static final VarHandle WRITE_QUEUED;

	static {
		try {
			MethodHandles.Lookup lookup = MethodHandles.lookup();
			CLOSE_STATE = lookup.findVarHandle(AbstractVConn.class, "closeState", int.class);
			READ_QUEUED = lookup.findVarHandle(AbstractVConn.class, "readQueued", int.class);
			WRITE_QUEUED = lookup.findVarHandle(AbstractVConn.class, "writeQueued", int.class);
		}
		catch (ReflectiveOperationException ex) {
			throw new ExceptionInInitializerError(ex);
		}
	}

	private final RuntimeCore runtime;

	private final long id;

	private final EventLoop loop;

	// the creation time, kept as fields rather than an Instant: idle VConns are many, and small
	private final long createdSeconds;

	private final int createdNanos;

	/** {@link #OPEN}, {@link #CLOSING} or {@link #ABORTING}; changed through {@link #CLOSE_STATE}. */
	private volatile int closeState;

	private volatile CloseKind abortCause = CloseKind.API;

	private volatile int abortError;

	private volatile @Nullable NetVIO readVio;

	private volatile @Nullable NetVIO writeVio;

	private volatile boolean readShutdown;

	private volatile boolean writeShutdown;

	private volatile long bytesIn;

	private volatile long bytesOut;

	private final VConnTimeouts timeouts;

	/** Whether a read pass is queued on the loop (1) or not (0); set through {@link #READ_QUEUED}. */
	private volatile int readQueued;

	/** Whether a write pass is queued on the loop (1) or not (0); set through {@link #WRITE_QUEUED}. */
	private volatile int writeQueued;

	private final ContinuationDelivery readDelivery;

	private final ContinuationDelivery writeDelivery;

	private final Runnable readTask = () -> {
		this.readQueued = 0;
		readPass();
	};

	private final Runnable writeTask = () -> {
		this.writeQueued = 0;
		writePass();
	};

	// ---- loop-confined state ----

	private boolean freed;

	private boolean released;

	private @Nullable List<Runnable> releaseTasks;

	private boolean sawEos;

	private boolean sawError;

	protected AbstractVConn(RuntimeCore runtime, long id, EventLoop loop) {
		this.runtime = runtime;
		this.id = id;
		this.loop = loop;
		Instant now = Instant.now();
		this.createdSeconds = now.getEpochSecond();
		this.createdNanos = now.getNano();
		this.timeouts = new VConnTimeouts(this, loop);
		// a retry runs the queued pass's task: the whole pass again, with no object of its own
		this.readDelivery = new ContinuationDelivery(loop, this.readTask);
		this.writeDelivery = new ContinuationDelivery(loop, this.writeTask);
	}

	// ---- what a subclass provides ----

	/**
	 * Moves what the input has into the read VIO's buffer, at most {@link VIO#ntodo()} and never
	 * past the buffer's water mark, counting what it moved. On the loop, holding the VIO's mutex.
	 * @param vio the current read VIO, active, with bytes to do
	 * @param buffer its buffer, open
	 * @return the bytes moved (more than 0), or {@link #WAIT}, {@link #END_OF_STREAM} or {@link #FAILED}
	 */
	protected abstract long fill(NetVIO vio, IOBuffer buffer);

	/**
	 * Moves bytes of the write VIO's reader out, counting what left. On the loop, holding the
	 * VIO's mutex.
	 * @param vio the current write VIO
	 * @param reader its reader
	 * @param max the most bytes to move (available and still to do), more than 0
	 * @return whether the pass goes on (false: it resumes when the transfer completes, or on room)
	 */
	protected abstract boolean drain(NetVIO vio, IOBufferReader reader, long max);

	/**
	 * Whether writing can no longer succeed (the connection failed, or the peer is gone). On the loop.
	 * @return whether the write VIO gets ERROR
	 */
	protected abstract boolean writeFailed();

	/**
	 * Ends this VConn, on the loop, once: what is left to release after the VIOs went quiet and the
	 * timeouts stopped. The subclass reports the end through {@link #ended} when it is done.
	 * @param aborting whether the VConn is aborted (else closed)
	 */
	protected abstract void release(boolean aborting);

	/**
	 * Reports to the runtime that this VConn is gone.
	 * @param how how it ended
	 */
	protected abstract void releasedFromRuntime(CloseKind how);

	/** Read shut down by the user: whatever the input holds can be dropped. On the loop. */
	protected abstract void shutdownReadNow();

	/** Write shut down by the user: pass the end of stream on. Any thread. */
	protected abstract void shutdownWrite();

	/**
	 * Whether a write batch is still on its way; a write pass waits for it. On the loop.
	 * @return false unless the subclass keeps batches in flight
	 */
	protected boolean writeInFlight() {
		return false;
	}

	/** The read pass found nothing to read for: the subclass may drop what it holds. On the loop. */
	protected void readIdle() {
	}

	/**
	 * Runtime shutdown asks to abort a VConn that is closing: a subclass still delivering a close
	 * may cut it short. On the loop, after the close state became aborting.
	 * @return whether this VConn can turn a close in progress into an abort
	 */
	protected boolean abortsPendingClose() {
		return false;
	}

	/** Cuts short a close in progress (see {@link #abortsPendingClose()}). On the loop. */
	protected void abortPendingClose() {
	}

	// ---- VConn ----

	@Override
	public long id() {
		return this.id;
	}

	@Override
	public RuntimeCore runtime() {
		return this.runtime;
	}

	/**
	 * The loop this VConn lives on.
	 * @return its event loop
	 */
	public EventLoop loop() {
		return this.loop;
	}

	@Override
	public VIO read(Continuation cont, IOBuffer buffer, long nbytes) {
		Objects.requireNonNull(cont, "cont");
		Objects.requireNonNull(buffer, "buffer");
		requireNotNegative(nbytes);
		return begin(new NetVIO(this, VIO.Op.READ, cont, buffer, null, nbytes));
	}

	@Override
	public VIO write(Continuation cont, IOBufferReader reader, long nbytes) {
		Objects.requireNonNull(cont, "cont");
		Objects.requireNonNull(reader, "reader");
		requireNotNegative(nbytes);
		return begin(new NetVIO(this, VIO.Op.WRITE, cont, null, reader, nbytes));
	}

	/** Puts a new VIO in its direction's slot, replacing (and deactivating) the previous one. */
	private VIO begin(NetVIO vio) {
		boolean read = vio.op() == VIO.Op.READ;
		if (isClosed() || (read ? this.readShutdown : this.writeShutdown)) {
			vio.deactivate();
			return vio;
		}
		NetVIO previous;
		if (read) {
			previous = this.readVio;
			this.readVio = vio;
		}
		else {
			previous = this.writeVio;
			this.writeVio = vio;
		}
		deactivate(previous);
		schedule(vio);
		return vio;
	}

	@Override
	public void close() {
		if (CLOSE_STATE.compareAndSet(this, OPEN, CLOSING)) {
			deactivateVios();
			execute(this::free);
		}
	}

	@Override
	public void abort(int error) {
		abort(CloseKind.API, error);
	}

	@Override
	public boolean abort(CloseKind cause, int error) {
		if (CLOSE_STATE.compareAndSet(this, OPEN, ABORTING)) {
			this.abortCause = cause;
			this.abortError = error;
			deactivateVios();
			execute(this::free);
			return true;
		}
		if (cause == CloseKind.SHUTDOWN && abortsPendingClose() && CLOSE_STATE.compareAndSet(this, CLOSING, ABORTING)) {
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
			deactivate(this.readVio);
			execute(this::shutdownReadNow);
		}
		if (write && !this.writeShutdown) {
			this.writeShutdown = true;
			deactivate(this.writeVio);
			shutdownWrite();
		}
	}

	@Override
	public boolean isClosed() {
		return this.closeState != OPEN;
	}

	/**
	 * Whether abort (not close) was called.
	 * @return whether this VConn is aborted
	 */
	protected final boolean isAborted() {
		return this.closeState == ABORTING;
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

	/**
	 * Whether the user shut the read side down.
	 * @return whether reads are shut down
	 */
	protected final boolean isReadShutdown() {
		return this.readShutdown;
	}

	/**
	 * Whether the user shut the write side down.
	 * @return whether writes are shut down
	 */
	protected final boolean isWriteShutdown() {
		return this.writeShutdown;
	}

	@Override
	public void setInactivityTimeout(Duration timeout) {
		this.timeouts.setInactivity(requireTimeout(timeout));
	}

	@Override
	public void setActiveTimeout(Duration timeout) {
		this.timeouts.setActive(requireTimeout(timeout));
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
		return Instant.ofEpochSecond(this.createdSeconds, this.createdNanos);
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
		if (this.released) {
			task.run();
			return;
		}
		if (this.releaseTasks == null) {
			this.releaseTasks = new ArrayList<>(2);
		}
		this.releaseTasks.add(task);
	}

	/** Called by a VIO whose buffer or target changed. */
	@Override
	public void schedule(NetVIO vio) {
		if (vio.op() == VIO.Op.READ) {
			requestRead();
		}
		else {
			requestWrite();
		}
	}

	// ---- passes ----

	/** Queues a read pass on the loop, unless one is queued already. Any thread. */
	protected final void requestRead() {
		if (READ_QUEUED.compareAndSet(this, 0, 1)) {
			execute(this.readTask);
		}
	}

	/** Queues a write pass on the loop, unless one is queued already. Any thread. */
	protected final void requestWrite() {
		if (WRITE_QUEUED.compareAndSet(this, 0, 1)) {
			execute(this.writeTask);
		}
	}

	/** Delivers what the read VIO is owed, holding its mutex. On the loop. */
	protected final void readPass() {
		NetVIO vio = this.readVio;
		if (this.freed || vio == null || !isCurrentRead(vio)) {
			readIdle();
			return;
		}
		this.readDelivery.runLocked(vio.mutex, () -> readHoldingMutex(vio));
	}

	private void readHoldingMutex(NetVIO vio) {
		IOBuffer buffer = Objects.requireNonNull(vio.buffer());
		while (isCurrentRead(vio)) {
			if (buffer.isClosed()) {
				vio.deactivate();
				return;
			}
			if (vio.ntodo() == 0) {
				complete(vio, VConnEvent.VCONN_READ_COMPLETE);
				return;
			}
			long moved = fill(vio, buffer);
			if (moved == FAILED) {
				this.sawError = true;
				complete(vio, VConnEvent.ERROR);
				return;
			}
			if (moved == END_OF_STREAM) {
				this.sawEos = true;
				complete(vio, VConnEvent.VCONN_EOS);
				return;
			}
			if (moved == WAIT) {
				return;
			}
			if (vio.ntodo() == 0) {
				complete(vio, VConnEvent.VCONN_READ_COMPLETE);
				return;
			}
			deliver(vio, VConnEvent.VCONN_READ_READY);
		}
	}

	private boolean isCurrentRead(NetVIO vio) {
		return !isClosed() && !this.readShutdown && this.readVio == vio && vio.isActive();
	}

	/** Delivers what the write VIO is owed and moves its bytes, holding its mutex. On the loop. */
	protected final void writePass() {
		NetVIO vio = this.writeVio;
		if (this.freed || vio == null || !isCurrentWrite(vio) || writeInFlight()) {
			return;
		}
		this.writeDelivery.runLocked(vio.mutex, () -> writeHoldingMutex(vio));
	}

	private void writeHoldingMutex(NetVIO vio) {
		IOBufferReader reader = Objects.requireNonNull(vio.reader());
		boolean solicited = false;
		while (isCurrentWrite(vio) && !writeInFlight()) {
			if (writeFailed()) {
				this.sawError = true;
				complete(vio, VConnEvent.ERROR);
				return;
			}
			if (vio.ntodo() == 0) {
				complete(vio, VConnEvent.VCONN_WRITE_COMPLETE);
				return;
			}
			if (!vio.transferReported) {
				// the previous transfer left: report progress once
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
			if (avail == 0 || !drain(vio, reader, Math.min(avail, vio.ntodo()))) {
				return; // stalled on an empty reader (reenable() resumes it), or waiting for the transfer
			}
		}
	}

	private boolean isCurrentWrite(NetVIO vio) {
		return !isClosed() && !this.writeShutdown && this.writeVio == vio && vio.isActive();
	}

	private void complete(NetVIO vio, VConnEvent event) {
		vio.deactivate();
		deliver(vio, event);
	}

	/**
	 * Delivers an event to a VIO's continuation; the caller holds the VIO's mutex, on the loop. A
	 * continuation that throws aborts the VConn.
	 */
	final void deliver(NetVIO vio, VConnEvent event) {
		try {
			vio.continuation().handleEvent(event, vio);
		}
		catch (Throwable ex) {
			logger.log(System.Logger.Level.WARNING,
					"Continuation threw on " + event + " for " + this + "; aborting the VConn", ex);
			abort(CloseKind.API, 0);
		}
	}

	/**
	 * Whether a read or write VIO is live with bytes still to do.
	 * @return whether an operation is in progress
	 */
	/** On the loop: the VConn is being sent to another process; its timeouts wait until {@link #resumeTimeouts}. */
	public final void holdTimeouts() {
		this.timeouts.hold();
	}

	/** On the loop: the VConn stays in this process; a timeout that expired while it was held fires now. */
	public final void resumeTimeouts() {
		this.timeouts.resume();
	}

	protected final boolean hasOperationInProgress() {
		return inProgress(this.readVio) || inProgress(this.writeVio);
	}

	private static boolean inProgress(@Nullable NetVIO vio) {
		return vio != null && vio.isActive() && vio.ntodo() > 0;
	}

	final @Nullable NetVIO readVio() {
		return this.readVio;
	}

	final @Nullable NetVIO writeVio() {
		return this.writeVio;
	}

	// ---- accounting ----

	/**
	 * Counts bytes this VConn received and sent, and tells the runtime. On the loop.
	 * @param received bytes received
	 * @param sent bytes sent
	 */
	protected final void moved(long received, long sent) {
		this.timeouts.activity();
		counted(received, sent);
	}

	/**
	 * Counts bytes that moved without a VIO (before this VConn existed, or spliced by a tunnel),
	 * without counting them as activity. On the loop.
	 * @param received bytes received
	 * @param sent bytes sent
	 */
	protected final void counted(long received, long sent) {
		this.bytesIn += received;
		this.bytesOut += sent;
		this.runtime.bytesMoved(this, received, sent);
	}

	/** The input ended as a read VIO would have seen it: the VConn ends as EOS. On the loop. */
	protected final void sawEndOfStream() {
		this.sawEos = true;
	}

	// ---- close ----

	/** Deactivates both VIOs: nothing more is delivered to them. Any thread. */
	protected final void deactivateVios() {
		deactivate(this.readVio);
		deactivate(this.writeVio);
	}

	private static void deactivate(@Nullable NetVIO vio) {
		if (vio != null) {
			vio.deactivate();
		}
	}

	/**
	 * Whether the VConn was freed (its close or abort took effect on the loop).
	 * @return whether it is freed
	 */
	protected final boolean isFreed() {
		return this.freed;
	}

	/**
	 * Marks a VConn that never started as closed and freed, reporting nothing. On the creating
	 * thread, before anything else has seen it.
	 */
	protected final void discard() {
		this.closeState = CLOSING;
		this.freed = true;
		this.released = true;
	}

	/** Frees the VConn, on the loop, once: a task after close or abort, so never inside a callback. */
	protected final void free() {
		if (this.freed) {
			return;
		}
		this.freed = true;
		this.timeouts.cancel();
		release(isAborted());
	}

	/**
	 * Reports that the abort took effect (before {@link #ended}). On the loop.
	 */
	protected final void reportAbort() {
		this.runtime.aborted(this, this.abortCause, this.abortError);
	}

	/**
	 * The cause given to abort.
	 * @return why this VConn was aborted
	 */
	protected final CloseKind abortCause() {
		return this.abortCause;
	}

	/**
	 * The VConn is released: reports how it ended and runs the release tasks, once. On the loop.
	 * @param aborted whether an abort was reported for it
	 * @param peerFailed whether the other side reset or aborted (counted as a peer abort)
	 */
	protected final void ended(boolean aborted, boolean peerFailed) {
		if (this.released) {
			return;
		}
		this.released = true;
		CloseKind how;
		if (aborted) {
			how = this.abortCause; // one vocabulary: an abort's cause is also how the VConn ended
		}
		else if (peerFailed) {
			how = CloseKind.PEER;
		}
		else if (this.sawError) {
			how = CloseKind.ERROR;
		}
		else if (this.sawEos) {
			how = CloseKind.EOS;
		}
		else {
			how = CloseKind.CLOSE;
		}
		if (peerFailed && !aborted) {
			this.runtime.aborted(this, CloseKind.PEER, 0);
		}
		releasedFromRuntime(how);
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

	/**
	 * Whether {@link #ended} ran.
	 * @return whether the VConn is released
	 */
	protected final boolean isReleased() {
		return this.released;
	}

	/**
	 * Runs a task on the loop; once the runtime has stopped, shutdown already aborted and released
	 * this VConn, and the task is dropped.
	 * @param task the task
	 */
	protected final void execute(Runnable task) {
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
		return Durations.requireNotNegative(timeout, "timeout").toNanos();
	}

}
