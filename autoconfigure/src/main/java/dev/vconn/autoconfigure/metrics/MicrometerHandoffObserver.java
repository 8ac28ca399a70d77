package dev.vconn.autoconfigure.metrics;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vconn.intercept.VConnHandoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Counts takeovers ({@link VConnHandoff}) on {@value #HANDOFFS} in every {@link MeterRegistry} it
 * is bound to, tagged {@code direction} ({@code in} for the successor, {@code out} for the running
 * instance), {@code kind} ({@code listener}, {@code connection}, {@code tunnel}), {@code outcome}
 * ({@code success}, {@code refused}, {@code failed}) and {@code reason} ({@code none} on success,
 * else {@code peer-uid}, {@code malformed}, {@code interrupted}, {@code adoption},
 * {@code refused-by-peer}, {@code io}). Series appear with their first count.
 *
 * <p><b>Threads:</b> {@link #handoff} is called on the thread that ran the exchange and may run
 * while {@link #bindTo} adds a registry.
 *
 * @since 0.1.0
 */
public final class MicrometerHandoffObserver implements VConnHandoff.Observer, MeterBinder {

	/** The counter's name. */
	public static final String HANDOFFS = "vconn.handoffs";

	private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	/**
	 * Creates an observer bound to no registry yet.
	 */
	public MicrometerHandoffObserver() {
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registries.add(registry);
	}

	@Override
	public void handoff(VConnHandoff.Direction direction, VConnHandoff.Kind kind, VConnHandoff.Outcome outcome,
			String reason) {
		for (MeterRegistry registry : this.registries) {
			Counter.builder(HANDOFFS)
				.description("Listening sockets and live connections handed from a running instance to its successor")
				.tag("direction", direction.name().toLowerCase(Locale.ROOT))
				.tag("kind", kind.name().toLowerCase(Locale.ROOT))
				.tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
				.tag("reason", reason)
				.register(registry)
				.increment();
		}
	}

}
