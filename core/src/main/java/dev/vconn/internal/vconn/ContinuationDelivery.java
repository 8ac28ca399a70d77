package dev.vconn.internal.vconn;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import dev.vconn.Continuation;
import dev.vconn.VConnEvent;
import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;

/**
 * Runs work holding a continuation's mutex on an event loop, the way Traffic Server's event
 * threads do: the loop only ever try-locks; when the mutex is busy the work is retried on the loop
 * shortly after, never waited for. Used by every VConn pass, the timeouts and the one-off
 * deliveries of the listeners and {@code connect} ({@link #deliver}).
 *
 * <p>A mutex is busy when another thread runs the same continuation: another loop delivering an
 * event of a second VConn the continuation drives, or the thread that starts its VIOs. That takes
 * microseconds, so the first retry runs as soon as the loop has run what else it has, and later
 * ones back off from {@link #FIRST_BACKOFF_NANOS} to {@link #MAX_BACKOFF_NANOS}: a fixed
 * millisecond would stall every such hand-over (a shuffle between VConns on two loops waited a
 * millisecond per buffer).
 *
 * <p>An instance belongs to one piece of retried work (a VConn's read pass, say). Retries coalesce:
 * however often the mutex was found busy, one retry is pending at a time, and the retry runs the
 * whole work again, which decides afresh what there is to do. Confined to the loop.
 */
public final class ContinuationDelivery implements Runnable {

	/** The wait before the second retry, doubled for each further one. */
	private static final long FIRST_BACKOFF_NANOS = TimeUnit.MICROSECONDS.toNanos(25);

	/** The longest wait between retries (PluginVC waits 10 ms; a JVM lock is released sooner). */
	private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

	private final EventLoop loop;

	private final Runnable retry;

	private boolean retryScheduled;

	/** Retries since the work last ran, up to {@link Byte#MAX_VALUE} (a byte: two per VConn, and VConns are many). */
	private byte busyRetries;

	/**
	 * @param loop the loop the work runs on
	 * @param retry what to run when the mutex was busy: the whole work again
	 */
	public ContinuationDelivery(EventLoop loop, Runnable retry) {
		this.loop = loop;
		this.retry = retry;
	}

	/** The retry task, scheduled by {@link #runLocked} (this object rather than a lambda: one object less per VConn). */
	@Override
	public void run() {
		this.retryScheduled = false;
		this.retry.run();
	}

	/**
	 * Runs {@code work} holding {@code mutex}, or, if the mutex is busy, schedules the retry.
	 * On the loop.
	 * @param mutex the continuation's mutex
	 * @param work what to run holding it
	 * @return whether {@code work} ran
	 */
	public boolean runLocked(Lock mutex, Runnable work) {
		if (!mutex.tryLock()) {
			scheduleRetry();
			return false;
		}
		this.busyRetries = 0;
		try {
			work.run();
		}
		finally {
			mutex.unlock();
		}
		return true;
	}

	private void scheduleRetry() {
		if (this.retryScheduled) {
			return;
		}
		this.retryScheduled = true;
		int retries = this.busyRetries;
		if (retries < Byte.MAX_VALUE) {
			this.busyRetries++;
		}
		if (retries == 0) {
			this.loop.execute(this);
			return;
		}
		long backoff = FIRST_BACKOFF_NANOS << Math.min(retries - 1, 10);
		this.loop.schedule(this, Math.min(backoff, MAX_BACKOFF_NANOS), TimeUnit.NANOSECONDS);
	}

	/**
	 * Delivers one event to {@code cont} on {@code loop}, holding its mutex, retrying while it is
	 * busy. Callable from any thread; on the loop the first attempt is made at once.
	 * @param loop the loop to deliver on
	 * @param cont the continuation
	 * @param event the event
	 * @param data the event's argument
	 */
	public static void deliver(EventLoop loop, Continuation cont, VConnEvent event, @Nullable Object data) {
		Runnable attempt = new Runnable() {

			private final ContinuationDelivery delivery = new ContinuationDelivery(loop, this);

			@Override
			public void run() {
				this.delivery.runLocked(cont.mutex(), () -> cont.handleEvent(event, data));
			}

		};
		if (loop.inEventLoop()) {
			attempt.run();
		}
		else {
			loop.execute(attempt);
		}
	}

}
