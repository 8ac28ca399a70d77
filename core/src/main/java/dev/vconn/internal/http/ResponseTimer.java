package dev.vconn.internal.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The origin timeout of one exchange: fires when the next hop has not started its response within
 * the timeout of the last request byte it was given. One scheduled task, re-armed for the rest of
 * the time when progress was made meanwhile, so that a long upload costs no task per chunk. On the
 * exchange's loop.
 */
final class ResponseTimer {

	private final EventLoop loop;

	private final long timeoutNanos;

	private final Runnable onTimeout;

	private long lastProgress;

	private @Nullable ScheduledFuture<?> task;

	ResponseTimer(EventLoop loop, Duration timeout, Runnable onTimeout) {
		this.loop = loop;
		this.timeoutNanos = timeout.toNanos();
		this.onTimeout = onTimeout;
	}

	/** Starts counting, or restarts it (an interim response came). */
	void start() {
		this.lastProgress = System.nanoTime();
		if (this.task == null) {
			this.task = this.loop.schedule(this::check, this.timeoutNanos, TimeUnit.NANOSECONDS);
		}
	}

	/** The next hop was given more of the request: its time counts from now. */
	void progress() {
		this.lastProgress = System.nanoTime();
	}

	/**
	 * A response head came: an interim one restarts the count, a final one ends it.
	 * @return whether the head was the final one, which starts the response
	 */
	boolean headArrived(ResponseHead head) {
		if (head.isInterim()) {
			progress();
			return false;
		}
		stop();
		return true;
	}

	/** The response started, or the exchange ended. */
	void stop() {
		if (this.task != null) {
			this.task.cancel(false);
			this.task = null;
		}
	}

	private void check() {
		this.task = null;
		long left = this.timeoutNanos - (System.nanoTime() - this.lastProgress);
		if (left > 0) {
			this.task = this.loop.schedule(this::check, left, TimeUnit.NANOSECONDS);
			return;
		}
		this.onTimeout.run();
	}

}
