package dev.vconn.autoconfigure.actuate;

import java.util.Locale;

import dev.vconn.VConnRuntime;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports a {@link VConnRuntime}'s health: UP while it runs with every event thread alive, DOWN
 * once it is stopped or an event thread has died. Details are bounded: transport, whether raw file
 * descriptors can be adopted (and if not, why), event threads, live count and connection limit,
 * never a per-connection list. A runtime that cannot adopt raw descriptors stays UP: JDK channels
 * can still be adopted.
 *
 * <p><b>Threads:</b> called on whatever thread asks for health; never blocks.
 *
 * @since 0.1.0
 */
public class VConnHealthIndicator extends AbstractHealthIndicator {

	private final VConnRuntime runtime;

	/**
	 * Creates an indicator.
	 * @param runtime the runtime to report on
	 */
	public VConnHealthIndicator(VConnRuntime runtime) {
		super("VConn health check failed");
		this.runtime = runtime;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		boolean running = this.runtime.isRunning();
		boolean healthy = running && this.runtime.isHealthy();
		if (healthy) {
			builder.up();
		}
		else {
			builder.down().withDetail("reason", running ? "an event thread is not alive" : "stopped");
		}
		builder.withDetail("transport", this.runtime.transport().name().toLowerCase(Locale.ROOT))
			.withDetail("eventThreads", this.runtime.eventThreads())
			.withDetail("active", this.runtime.activeCount())
			.withDetail("maxConnections", this.runtime.maxConnections())
			.withDetail("running", running)
			.withDetail("fdAdoption", this.runtime.isFdAdoptionAvailable());
		String fdAdoptionUnavailable = this.runtime.fdAdoptionUnavailableReason();
		if (fdAdoptionUnavailable != null) {
			builder.withDetail("fdAdoptionUnavailable", fdAdoptionUnavailable);
		}
	}

}
