package dev.vconn.autoconfigure.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.metrics.VConnStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Publishes VConn's meters ({@link VConnMeters}) to every {@link MeterRegistry} it is bound to.
 * The counters and gauges read a {@link VConnStatistics}, which counts once for every registry
 * and for the {@code vconn} actuator endpoint; only the two timers, which need each duration,
 * are recorded here, from the runtime's callbacks.
 *
 * <p><b>Usage:</b> add the statistics to the runtime and to its intercept listeners, add this
 * listener to the runtime for the timers, and bind it to a registry; Spring Boot does all of it
 * when Micrometer is on the classpath and a {@code MeterRegistry} bean exists.
 * <pre>{@code
 * VConnStatistics statistics = new VConnStatistics();
 * AtomicReference<VConnRuntime> runtime = new AtomicReference<>();
 * MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> runtime.get().activeCount());
 * runtime.set(VConnRuntime.builder().addListener(statistics).addListener(metrics).build());
 * metrics.bindTo(registry);
 * }</pre>
 *
 * <p><b>Accounting:</b> counters are function counters over totals kept since the statistics
 * were added to the runtime, so they are exact whenever the registry was bound, and at any quiet
 * moment {@code vconn.adoptions{outcome=success}} equals {@code vconn.closed} plus
 * {@code vconn.active}. Every bounded tag combination is registered at bind time, so each series
 * reads 0 before its first event: for {@code vconn.intercepts}, every type and outcome of every
 * hook name known then; a hook first counted later gets its series, in every bound registry, on
 * its first intercept. The {@code vconn.adoption.duration} and {@code vconn.tunnel.duration}
 * timers record what happens after binding.
 *
 * <p><b>Threads:</b> callbacks are thread-safe and lock-free; {@link #bindTo} may be called from
 * any thread, once per registry.
 *
 * @since 0.1.0
 */
public final class MicrometerVConnListener implements VConnListener, MeterBinder {

	private final VConnStatistics statistics;

	private final IntSupplier activeConnections;

	private final Supplier<? extends Collection<String>> hookNames;

	private final CopyOnWriteArrayList<Timer> adoptionTimers = new CopyOnWriteArrayList<>();

	private final CopyOnWriteArrayList<Timer> tunnelTimers = new CopyOnWriteArrayList<>();

	/** The registries bound so far, for the series of hooks and statuses first counted later. */
	private final CopyOnWriteArrayList<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	/**
	 * Creates meters whose hook series appear with their first intercept.
	 * @param statistics the totals the counters read
	 * @param activeConnections reads the runtime's {@link dev.vconn.VConnRuntime#activeCount()}
	 * for the {@code vconn.active} gauge; called only when the gauge is read
	 */
	public MicrometerVConnListener(VConnStatistics statistics, IntSupplier activeConnections) {
		this(statistics, activeConnections, List::of);
	}

	/**
	 * Creates meters.
	 * @param statistics the totals the counters read
	 * @param activeConnections reads the runtime's {@link dev.vconn.VConnRuntime#activeCount()}
	 * for the {@code vconn.active} gauge; called only when the gauge is read
	 * @param hookNames the names of the registered intercept hooks, whose {@code vconn.intercepts}
	 * series are registered at bind time; called once per {@link #bindTo}
	 */
	public MicrometerVConnListener(VConnStatistics statistics, IntSupplier activeConnections,
			Supplier<? extends Collection<String>> hookNames) {
		this.statistics = Objects.requireNonNull(statistics, "statistics");
		this.activeConnections = Objects.requireNonNull(activeConnections, "activeConnections");
		this.hookNames = Objects.requireNonNull(hookNames, "hookNames");
		statistics.addKeyListener(new VConnStatistics.KeyListener() {

			@Override
			public void hookAdded(String hook) {
				MicrometerVConnListener.this.registries.forEach((registry) -> interceptCounters(registry, hook));
			}

			@Override
			public void rejectionStatusAdded(int status) {
				MicrometerVConnListener.this.registries.forEach((registry) -> rejectionCounter(registry, status));
			}

		});
	}

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		record(this.adoptionTimers, duration);
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		record(this.adoptionTimers, duration);
	}

	@Override
	public void onTunnelEnded(TunnelResult result) {
		record(this.tunnelTimers, result.duration());
	}

	private static void record(List<Timer> timers, Duration duration) {
		for (Timer timer : timers) {
			timer.record(duration.toNanos(), TimeUnit.NANOSECONDS);
		}
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (AdoptionSource source : AdoptionSource.values()) {
			adoptionCounter(registry, "success", "none", source, (s) -> s.adoptions(source));
			for (AdoptionFailureReason reason : AdoptionFailureReason.values()) {
				adoptionCounter(registry, "failure", tagValue(reason), source,
						(s) -> s.adoptionFailures(source, reason));
			}
		}
		for (CloseKind kind : CloseKind.values()) {
			if (kind.isAbort()) {
				counter(registry, VConnMeters.ABORTS, (s) -> s.aborts(kind), VConnMeters.Tags.CAUSE, tagValue(kind));
			}
			counter(registry, VConnMeters.CLOSED, (s) -> s.closed(kind), VConnMeters.Tags.HOW, tagValue(kind));
		}
		counter(registry, VConnMeters.BYTES, VConnStatistics::bytesIn, VConnMeters.Tags.DIRECTION, "in");
		counter(registry, VConnMeters.BYTES, VConnStatistics::bytesOut, VConnMeters.Tags.DIRECTION, "out");
		Gauge.builder(VConnMeters.ACTIVE.getName(), this.activeConnections, IntSupplier::getAsInt)
			.description(VConnMeters.ACTIVE.getDescription())
			.baseUnit(VConnMeters.ACTIVE.getBaseUnit())
			.strongReference(true)
			.register(registry);
		Gauge.builder(VConnMeters.TUNNELS_ACTIVE.getName(), this.statistics, VConnStatistics::activeTunnels)
			.description(VConnMeters.TUNNELS_ACTIVE.getDescription())
			.baseUnit(VConnMeters.TUNNELS_ACTIVE.getBaseUnit())
			.strongReference(true)
			.register(registry);
		addOnce(this.adoptionTimers, timer(registry, VConnMeters.ADOPTION_DURATION));
		addOnce(this.tunnelTimers, timer(registry, VConnMeters.TUNNEL_DURATION));
		for (TransactionPath path : TransactionPath.values()) {
			for (String statusClass : VConnStatistics.statusClasses()) {
				FunctionCounter
					.builder(VConnMeters.TRANSACTIONS.getName(), this.statistics,
							(s) -> s.transactions(path, statusClass))
					.description(VConnMeters.TRANSACTIONS.getDescription())
					.baseUnit(VConnMeters.TRANSACTIONS.getBaseUnit())
					.tag(VConnMeters.Tags.PATH.asString(), tagValue(path))
					.tag(VConnMeters.Tags.STATUS.asString(), statusClass)
					.register(registry);
			}
		}
		this.hookNames.get().forEach(this.statistics::registerHook);
		// Registry first, then every key known: a key first counted meanwhile is registered here or
		// by the key listener (rarely both, which Micrometer ignores).
		addOnce(this.registries, registry);
		for (String hook : this.statistics.interceptingHooks()) {
			interceptCounters(registry, hook);
		}
		for (int status : this.statistics.listenerRejectionsByStatus().keySet()) {
			rejectionCounter(registry, status);
		}
	}

	private static Timer timer(MeterRegistry registry, VConnMeters meter) {
		return Timer.builder(meter.getName()).description(meter.getDescription()).register(registry);
	}

	// Meters of different registries are equal when their ids are: compare identities.
	private static <T> void addOnce(List<T> list, T element) {
		synchronized (list) {
			if (list.stream().noneMatch((present) -> present == element)) {
				list.add(element);
			}
		}
	}

	private void interceptCounters(MeterRegistry registry, String hook) {
		for (InterceptType type : InterceptType.values()) {
			for (InterceptOutcome outcome : InterceptOutcome.values()) {
				FunctionCounter
					.builder(VConnMeters.INTERCEPTS.getName(), this.statistics,
							(s) -> s.intercepts(hook, type, outcome))
					.description(VConnMeters.INTERCEPTS.getDescription())
					.baseUnit(VConnMeters.INTERCEPTS.getBaseUnit())
					.tag(VConnMeters.Tags.HOOK.asString(), hook)
					.tag(VConnMeters.Tags.TYPE.asString(), tagValue(type))
					.tag(VConnMeters.Tags.OUTCOME.asString(), tagValue(outcome))
					.register(registry);
			}
		}
	}

	private void rejectionCounter(MeterRegistry registry, int status) {
		counter(registry, VConnMeters.LISTENER_REJECTIONS, (s) -> s.listenerRejections(status),
				VConnMeters.Tags.STATUS, Integer.toString(status));
	}

	private void adoptionCounter(MeterRegistry registry, String outcome, String reason, AdoptionSource source,
			ToDoubleFunction<VConnStatistics> count) {
		FunctionCounter.builder(VConnMeters.ADOPTIONS.getName(), this.statistics, count)
			.description(VConnMeters.ADOPTIONS.getDescription())
			.baseUnit(VConnMeters.ADOPTIONS.getBaseUnit())
			.tag(VConnMeters.Tags.OUTCOME.asString(), outcome)
			.tag(VConnMeters.Tags.REASON.asString(), reason)
			.tag(VConnMeters.Tags.SOURCE.asString(), tagValue(source))
			.register(registry);
	}

	private void counter(MeterRegistry registry, VConnMeters meter, ToDoubleFunction<VConnStatistics> count,
			VConnMeters.Tags tag, String tagValue) {
		FunctionCounter.builder(meter.getName(), this.statistics, count)
			.description(meter.getDescription())
			.baseUnit(meter.getBaseUnit())
			.tag(tag.asString(), tagValue)
			.register(registry);
	}

	static String tagValue(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT);
	}

}
