package dev.vconn.autoconfigure.metrics;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vconn.intercept.VConnHandoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Counts takeovers ({@link VConnHandoff}) on {@code vconn.handoffs} ({@link VConnMeters#HANDOFFS})
 * in every {@link MeterRegistry} it is bound to, tagged {@code direction} ({@code in} for the successor, {@code out} for the running
 * instance), {@code kind} ({@code listener}, {@code connection}, {@code tunnel}), {@code outcome}
 * ({@code success}, {@code refused}, {@code failed}) and {@code reason} ({@code none} on success,
 * else {@code peer-uid}, {@code malformed}, {@code interrupted}, {@code adoption},
 * {@code refused-by-peer}, {@code io}). The two series of a successful takeover of the listener
 * ({@code in} and {@code out}) are at 0 from the moment of binding; the others appear with their
 * first count.
 *
 * <p><b>Threads:</b> {@link #handoff} is called on the thread that ran the exchange and may run
 * while {@link #bindTo} adds a registry.
 *
 * @since 0.1.0
 */
public final class MicrometerHandoffObserver implements VConnHandoff.Observer, MeterBinder {

	private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	/**
	 * Creates an observer bound to no registry yet.
	 */
	public MicrometerHandoffObserver() {
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		counter(registry, VConnHandoff.Direction.IN, VConnHandoff.Kind.LISTENER, VConnHandoff.Outcome.SUCCESS, "none");
		counter(registry, VConnHandoff.Direction.OUT, VConnHandoff.Kind.LISTENER, VConnHandoff.Outcome.SUCCESS, "none");
		this.registries.add(registry);
	}

	@Override
	public void handoff(VConnHandoff.Direction direction, VConnHandoff.Kind kind, VConnHandoff.Outcome outcome,
			String reason) {
		for (MeterRegistry registry : this.registries) {
			counter(registry, direction, kind, outcome, reason).increment();
		}
	}

	private static Counter counter(MeterRegistry registry, VConnHandoff.Direction direction, VConnHandoff.Kind kind,
			VConnHandoff.Outcome outcome, String reason) {
		VConnMeters meter = VConnMeters.HANDOFFS;
		return Counter.builder(meter.getName())
			.description(meter.getDescription())
			.tag(VConnMeters.Tags.DIRECTION.asString(), direction.name().toLowerCase(Locale.ROOT))
			.tag(VConnMeters.Tags.KIND.asString(), kind.name().toLowerCase(Locale.ROOT))
			.tag(VConnMeters.Tags.OUTCOME.asString(), outcome.name().toLowerCase(Locale.ROOT))
			.tag(VConnMeters.Tags.REASON.asString(), reason)
			.register(registry);
	}

}
