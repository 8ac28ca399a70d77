package dev.vconn.autoconfigure;

import java.time.Duration;
import java.util.Locale;

import dev.vconn.VConnRuntime;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

/**
 * Binds a {@link VConnRuntime} to the application context's lifecycle. On stop the runtime stops
 * taking new connections, lets live VConns finish for its shutdown timeout
 * ({@code vconn.shutdown.timeout}), then aborts the rest (abort cause {@code shutdown}) and stops
 * its event threads.
 *
 * <p><b>Phase:</b> {@link #PHASE}, the phase of Spring Boot's graceful web server shutdown, so
 * both drain together; the stop runs on its own thread. Keep
 * {@code spring.lifecycle.timeout-per-shutdown-phase} at least as long as the shutdown timeout,
 * or the context moves on while VConns still drain (the runtime is closed for good when the bean
 * is destroyed either way).
 *
 * <p><b>Threads:</b> {@link #stop(Runnable)} returns at once and closes the runtime on a thread
 * named {@code vconn-shutdown}; {@link #stop()} blocks until the runtime is closed.
 *
 * <p><b>Not pauseable:</b> a closed runtime cannot start again, so the test framework's pausing of
 * cached contexts (Spring Framework 7) leaves it running rather than stopping it for good.
 */
final class VConnRuntimeLifecycle implements SmartLifecycle {

	/** The lifecycle phase: that of Spring Boot's graceful web server shutdown. */
	static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

	private static final Log logger = LogFactory.getLog(VConnRuntimeLifecycle.class);

	private final VConnRuntime runtime;

	private volatile boolean running;

	VConnRuntimeLifecycle(VConnRuntime runtime) {
		this.runtime = runtime;
	}

	@Override
	public void start() {
		if (!this.runtime.isRunning()) {
			logger.warn("VConn runtime was closed and cannot be restarted: " + this.runtime);
			return;
		}
		this.running = true;
		if (logger.isDebugEnabled()) {
			logger.debug("VConn runtime bound to the application lifecycle: "
					+ this.runtime.transport().name().toLowerCase(Locale.ROOT) + ", " + this.runtime.eventThreads()
					+ " event threads");
		}
	}

	@Override
	public void stop() {
		this.running = false;
		closeRuntime();
	}

	@Override
	public void stop(Runnable callback) {
		this.running = false;
		Thread thread = new Thread(() -> {
			try {
				closeRuntime();
			}
			finally {
				callback.run();
			}
		}, "vconn-shutdown");
		thread.setDaemon(true);
		thread.start();
	}

	private void closeRuntime() {
		Duration timeout = this.runtime.shutdownTimeout();
		int live = this.runtime.activeCount();
		if (live > 0 && logger.isInfoEnabled()) {
			logger.info("Stopping VConn runtime: waiting up to " + timeout + " for " + live + " live VConns");
		}
		try {
			int aborted = this.runtime.close(timeout);
			if (aborted > 0) {
				logger.warn("VConn runtime stopped: aborted " + aborted + " VConns still alive after " + timeout);
			}
			else {
				logger.debug("VConn runtime stopped");
			}
		}
		catch (RuntimeException ex) {
			logger.error("Failed to stop VConn runtime", ex);
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	@Override
	public boolean isPauseable() {
		return false;
	}

}
