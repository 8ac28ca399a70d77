package dev.vconn.internal.http;

import java.time.Duration;

/**
 * The origin timeout of one exchange: fires when the next hop has not started its response within
 * the timeout of the last request byte it was given. It runs on its client connection's timeout
 * check ({@link ClientConnection#awaitResponse}), which stays scheduled from one request to the
 * next, so that neither a request nor a chunk of a long upload schedules or cancels a task. On
 * the client connection's loop.
 */
final class ResponseTimer {

	private final ClientConnection client;

	private final long timeoutNanos;

	private final Runnable onTimeout;

	ResponseTimer(ClientConnection client, Duration timeout, Runnable onTimeout) {
		this.client = client;
		this.timeoutNanos = timeout.toNanos();
		this.onTimeout = onTimeout;
	}

	/** Starts counting, or restarts it (an interim response came). */
	void start() {
		this.client.awaitResponse(this, this.timeoutNanos);
	}

	/** The next hop was given more of the request: its time counts from now. */
	void progress() {
		this.client.responseProgress(this, this.timeoutNanos);
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
		this.client.responseAwaited(this);
	}

	/** The timeout ran out; called by the client connection's check. */
	void expired() {
		this.onTimeout.run();
	}

}
