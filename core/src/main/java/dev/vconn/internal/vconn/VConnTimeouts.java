package dev.vconn.internal.vconn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.VConnEvent;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The inactivity and active timeouts of one VConn, socket or in-memory: scheduling on its loop,
 * delivery to the read continuation and then to a different write continuation, and the rule that
 * a timeout nobody handled aborts the VConn (cause {@link CloseKind#TIMEOUT}).
 *
 * <p>A handler "handles" a timeout by closing, aborting, or setting a timeout again: every setter
 * bumps a generation counter synchronously, on the caller's thread, so a re-arm made inside the
 * handler is seen at once. Everything else runs on the VConn's loop.
 */
final class VConnTimeouts {

	private static final VarHandle GENERATION;

	static {
		try {
			GENERATION = MethodHandles.lookup().findVarHandle(VConnTimeouts.class, "generation", int.class);
		}
		catch (ReflectiveOperationException ex) {
			throw new ExceptionInInitializerError(ex);
		}
	}

	private final AbstractVConn owner;

	private final EventLoop loop;

	/** Bumped through {@link #GENERATION}: a field, not an atomic object, as every VConn has one. */
	private volatile int generation;

	// ---- loop-confined ----

	private long inactivityNanos;

	private long lastActivityNanos = System.nanoTime();

	private @Nullable ScheduledFuture<?> inactivityTask;

	private @Nullable ScheduledFuture<?> activeTask;

	/** Whether the VConn is being sent to another process: an expiry then waits in {@link #heldExpiry}. */
	private boolean held;

	private @Nullable VConnEvent heldExpiry;

	VConnTimeouts(AbstractVConn owner, EventLoop loop) {
		this.owner = owner;
		this.loop = loop;
	}

	/** Any thread: (re-)arms the inactivity timeout, 0 cancels it. */
	void setInactivity(long nanos) {
		GENERATION.getAndAdd(this, 1);
		execute(() -> armInactivity(nanos));
	}

	/** Any thread: (re-)arms the active timeout, 0 cancels it. */
	void setActive(long nanos) {
		GENERATION.getAndAdd(this, 1);
		execute(() -> armActive(nanos));
	}

	/** On the loop: bytes moved, so the VConn is not idle. */
	void activity() {
		this.lastActivityNanos = System.nanoTime();
	}

	/** On the loop: the VConn is released; nothing fires any more. */
	void cancel() {
		cancel(this.inactivityTask);
		cancel(this.activeTask);
	}

	/**
	 * On the loop: the VConn is being sent to another process, which may already hold the socket.
	 * A timeout that expires now must not abort it (an abort sets {@code SO_LINGER} on the socket
	 * both processes share, and closes the descriptor being sent), so its event waits for
	 * {@link #resume}.
	 */
	void hold() {
		this.held = true;
	}

	/** On the loop: the VConn stays here after all; a timeout that expired meanwhile fires now. */
	void resume() {
		this.held = false;
		VConnEvent expired = this.heldExpiry;
		this.heldExpiry = null;
		if (expired != null) {
			fire(expired);
		}
	}

	private void armInactivity(long nanos) {
		cancel(this.inactivityTask);
		this.inactivityTask = null;
		this.inactivityNanos = nanos;
		this.lastActivityNanos = System.nanoTime();
		if (nanos > 0 && !this.owner.isClosed()) {
			this.inactivityTask = this.loop.schedule(this::checkInactivity, nanos, TimeUnit.NANOSECONDS);
		}
	}

	private void checkInactivity() {
		this.inactivityTask = null;
		if (this.owner.isClosed() || this.inactivityNanos == 0) {
			return;
		}
		long idle = System.nanoTime() - this.lastActivityNanos;
		if (idle < this.inactivityNanos) {
			this.inactivityTask = this.loop.schedule(this::checkInactivity, this.inactivityNanos - idle,
					TimeUnit.NANOSECONDS);
			return;
		}
		this.inactivityNanos = 0;
		fire(VConnEvent.VCONN_INACTIVITY_TIMEOUT);
	}

	private void armActive(long nanos) {
		cancel(this.activeTask);
		this.activeTask = null;
		if (nanos > 0 && !this.owner.isClosed()) {
			this.activeTask = this.loop.schedule(() -> {
				this.activeTask = null;
				fire(VConnEvent.VCONN_ACTIVE_TIMEOUT);
			}, nanos, TimeUnit.NANOSECONDS);
		}
	}

	/**
	 * Delivers a timeout to the read continuation, then to a different write continuation if the
	 * first handler neither closed nor re-armed; aborts if nobody did anything about it. A busy
	 * mutex delays only the delivery still to be made: a continuation that has been told is not
	 * told again.
	 */
	private void fire(VConnEvent event) {
		if (this.owner.isClosed()) {
			return;
		}
		if (this.held) {
			if (this.heldExpiry == null) {
				this.heldExpiry = event;
			}
			return;
		}
		toRead(event, this.generation);
	}

	private void toRead(VConnEvent event, int generation) {
		if (this.owner.isClosed() || this.generation != generation) {
			return;
		}
		NetVIO read = this.owner.readVio();
		if (read == null || !read.isActive()) {
			toWrite(event, generation, null);
			return;
		}
		if (!new ContinuationDelivery(this.loop, () -> toRead(event, generation)).runLocked(read.mutex,
				() -> deliverIfActive(read, event))) {
			return;
		}
		toWrite(event, generation, read.continuation());
	}

	private void toWrite(VConnEvent event, int generation, @Nullable Continuation told) {
		if (this.owner.isClosed() || this.generation != generation) {
			return;
		}
		NetVIO write = this.owner.writeVio();
		if (write != null && write.isActive() && write.continuation() != told) {
			if (!new ContinuationDelivery(this.loop, () -> toWrite(event, generation, told)).runLocked(write.mutex,
					() -> deliverIfActive(write, event))) {
				return;
			}
			if (this.owner.isClosed() || this.generation != generation) {
				return;
			}
		}
		this.owner.abort(CloseKind.TIMEOUT, 0);
	}

	private void deliverIfActive(NetVIO vio, VConnEvent event) {
		if (!this.owner.isClosed() && vio.isActive()) {
			this.owner.deliver(vio, event);
		}
	}

	private void execute(Runnable task) {
		try {
			this.loop.execute(task);
		}
		catch (RejectedExecutionException ex) {
			// the runtime has stopped; shutdown already aborted and released the VConn
		}
	}

	private static void cancel(@Nullable ScheduledFuture<?> task) {
		if (task != null) {
			task.cancel(false);
		}
	}

}
