package dev.vconn.autoconfigure.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import dev.vconn.AbortCause;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import dev.vconn.autoconfigure.VConnStatistics;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Records VConn's meters ({@link VConnMeters}) from a runtime's listener callbacks and publishes
 * them to every {@link MeterRegistry} it is bound to.
 *
 * <p><b>Usage:</b> add it to the runtime with
 * {@link dev.vconn.VConnRuntime.Builder#addListener} and bind it to a registry with
 * {@link #bindTo(MeterRegistry)}; Spring Boot does both when Micrometer is on the classpath and a
 * {@code MeterRegistry} bean exists.
 * <pre>{@code
 * MicrometerVConnListener metrics = new MicrometerVConnListener(() -> runtime.activeCount(),
 *         () -> hooks.hooks().stream().map(InterceptHook::name).toList());
 * }</pre>
 *
 * <p><b>Accounting:</b> counters are function counters over totals kept since the listener was
 * added to the runtime, so they are exact whenever the registry was bound, and at any quiet moment
 * {@code vconn.adoptions{outcome=success}} equals {@code vconn.closed} plus {@code vconn.active}.
 * Every bounded tag combination is registered at bind time, so each series reads 0 before its
 * first event: for {@code vconn.intercepts}, every type and outcome of every hook name known then;
 * a hook first seen later gets its series, in every bound registry, on its first intercept. The
 * {@code vconn.adoption.duration} and {@code vconn.tunnel.duration} timers record what happens
 * after binding.
 *
 * <p><b>Threads:</b> callbacks are thread-safe, lock-free and allocation-free on the hot path;
 * {@link #bindTo} may be called from any thread, once per registry.
 *
 * @since 0.1.0
 */
public final class MicrometerVConnListener implements VConnListener, InterceptObserver, MeterBinder {

	private static final AdoptionSource[] SOURCES = AdoptionSource.values();

	private static final AdoptionFailureReason[] REASONS = AdoptionFailureReason.values();

	private static final InterceptType[] TYPES = InterceptType.values();

	private static final InterceptOutcome[] OUTCOMES = InterceptOutcome.values();

	private static final TransactionPath[] PATHS = TransactionPath.values();

	private static final List<String> STATUS_CLASSES = VConnStatistics.statusClasses();

	/** The statuses an intercept listener rejects clients with. */
	private static final int[] REJECTION_STATUSES = { 400, 408, 431, 502, 503 };

	/** The most distinct hook names given their own {@code hook} tag value. */
	static final int MAX_HOOK_NAMES = 100;

	/** The {@code hook} tag value of intercepts of hooks past {@link #MAX_HOOK_NAMES}. */
	static final String OTHER_HOOKS = "other";

	private final IntSupplier activeConnections;

	private final Supplier<? extends Collection<String>> hookNames;

	/** Successes by source. */
	private final LongAdder[] adopted = adders(SOURCES.length);

	/** Failures by source and reason, indexed {@code source * REASONS.length + reason}. */
	private final LongAdder[] failed = adders(SOURCES.length * REASONS.length);

	private final LongAdder[] aborted = adders(AbortCause.values().length);

	private final LongAdder[] closed = adders(CloseKind.values().length);

	private final LongAdder bytesIn = new LongAdder();

	private final LongAdder bytesOut = new LongAdder();

	private final CopyOnWriteArrayList<Timer> adoptionTimers = new CopyOnWriteArrayList<>();

	/** Intercepts by hook name, each indexed {@code type * OUTCOMES.length + outcome}. */
	private final ConcurrentMap<String, LongAdder[]> intercepts = new ConcurrentHashMap<>();

	/** Transactions indexed {@code path * STATUS_CLASSES.size() + class}. */
	private final LongAdder[] transactions = adders(PATHS.length * STATUS_CLASSES.size());

	/** Rejections by status. */
	private final ConcurrentMap<Integer, LongAdder> rejections = new ConcurrentHashMap<>();

	private final AtomicLong activeTunnels = new AtomicLong();

	private final CopyOnWriteArrayList<Timer> tunnelTimers = new CopyOnWriteArrayList<>();

	/** The registries bound so far, for the series of hooks and statuses first seen later. */
	private final CopyOnWriteArrayList<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	/**
	 * Creates a listener that learns hook names from their first intercept.
	 * @param activeConnections reads the runtime's {@link dev.vconn.VConnRuntime#activeCount()}
	 * for the {@code vconn.active} gauge; called only when the gauge is read
	 */
	public MicrometerVConnListener(IntSupplier activeConnections) {
		this(activeConnections, List::of);
	}

	/**
	 * Creates a listener.
	 * @param activeConnections reads the runtime's {@link dev.vconn.VConnRuntime#activeCount()}
	 * for the {@code vconn.active} gauge; called only when the gauge is read
	 * @param hookNames the names of the registered intercept hooks, whose {@code vconn.intercepts}
	 * series are registered at bind time; called once per {@link #bindTo}
	 */
	public MicrometerVConnListener(IntSupplier activeConnections, Supplier<? extends Collection<String>> hookNames) {
		this.activeConnections = Objects.requireNonNull(activeConnections, "activeConnections");
		this.hookNames = Objects.requireNonNull(hookNames, "hookNames");
		for (int status : REJECTION_STATUSES) {
			this.rejections.put(status, new LongAdder());
		}
	}

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adopted[source.ordinal()].increment();
		recordDuration(duration);
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.failed[source.ordinal() * REASONS.length + reason.ordinal()].increment();
		recordDuration(duration);
	}

	@Override
	public void onAborted(VConn vconn, AbortCause cause, int error) {
		this.aborted[cause.ordinal()].increment();
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		this.closed[how.ordinal()].increment();
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		if (received > 0) {
			this.bytesIn.add(received);
		}
		if (sent > 0) {
			this.bytesOut.add(sent);
		}
	}

	@Override
	public void onTunnelStarted(VConn a, VConn b) {
		this.activeTunnels.incrementAndGet();
	}

	@Override
	public void onTunnelEnded(TunnelResult result) {
		this.activeTunnels.decrementAndGet();
		record(this.tunnelTimers, result.duration());
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		LongAdder[] counts = this.intercepts.get(hook);
		if (counts == null) {
			counts = interceptCounts(hook);
		}
		counts[type.ordinal() * OUTCOMES.length + outcome.ordinal()].increment();
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		// 1xx to 5xx, then none (connections handed over), as VConnStatistics.statusClasses() lists them
		int statusClass = (status >= 100 && status <= 599) ? status / 100 - 1 : STATUS_CLASSES.size() - 1;
		this.transactions[path.ordinal() * STATUS_CLASSES.size() + statusClass].increment();
	}

	@Override
	public void onListenerRejection(int status) {
		LongAdder count = this.rejections.get(status);
		if (count == null) {
			count = this.rejections.computeIfAbsent(status, (key) -> new LongAdder());
			for (MeterRegistry registry : this.registries) {
				rejectionCounter(registry, status, count);
			}
		}
		count.increment();
	}

	private void recordDuration(Duration duration) {
		record(this.adoptionTimers, duration);
	}

	private static void record(List<Timer> timers, Duration duration) {
		for (Timer timer : timers) {
			timer.record(duration.toNanos(), TimeUnit.NANOSECONDS);
		}
	}

	/** The counts of a hook seen for the first time, with its series in every bound registry. */
	private LongAdder[] interceptCounts(String hook) {
		String name = (this.intercepts.size() < MAX_HOOK_NAMES) ? hook : OTHER_HOOKS;
		LongAdder[] counts = this.intercepts.get(name);
		if (counts != null) {
			return counts;
		}
		counts = this.intercepts.computeIfAbsent(name, (key) -> adders(TYPES.length * OUTCOMES.length));
		// a registry bound concurrently registers it too: registration is idempotent
		for (MeterRegistry registry : this.registries) {
			interceptCounters(registry, name, counts);
		}
		return counts;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (AdoptionSource source : SOURCES) {
			adoptionCounter(registry, "success", "none", source, this.adopted[source.ordinal()]);
			for (AdoptionFailureReason reason : REASONS) {
				adoptionCounter(registry, "failure", tagValue(reason), source,
						this.failed[source.ordinal() * REASONS.length + reason.ordinal()]);
			}
		}
		for (AbortCause cause : AbortCause.values()) {
			counter(registry, VConnMeters.ABORTS, this.aborted[cause.ordinal()], VConnMeters.Tags.CAUSE.asString(),
					tagValue(cause));
		}
		for (CloseKind how : CloseKind.values()) {
			counter(registry, VConnMeters.CLOSED, this.closed[how.ordinal()], VConnMeters.Tags.HOW.asString(),
					tagValue(how));
		}
		counter(registry, VConnMeters.BYTES, this.bytesIn, VConnMeters.Tags.DIRECTION.asString(), "in");
		counter(registry, VConnMeters.BYTES, this.bytesOut, VConnMeters.Tags.DIRECTION.asString(), "out");
		Gauge.builder(VConnMeters.ACTIVE.getName(), this.activeConnections, IntSupplier::getAsInt)
			.description(VConnMeters.ACTIVE.getDescription())
			.baseUnit(VConnMeters.ACTIVE.getBaseUnit())
			.strongReference(true)
			.register(registry);
		addOnce(this.adoptionTimers, timer(registry, VConnMeters.ADOPTION_DURATION));
		Gauge.builder(VConnMeters.TUNNELS_ACTIVE.getName(), this.activeTunnels, AtomicLong::doubleValue)
			.description(VConnMeters.TUNNELS_ACTIVE.getDescription())
			.baseUnit(VConnMeters.TUNNELS_ACTIVE.getBaseUnit())
			.strongReference(true)
			.register(registry);
		addOnce(this.tunnelTimers, timer(registry, VConnMeters.TUNNEL_DURATION));
		for (String hook : this.hookNames.get()) {
			if (this.intercepts.size() < MAX_HOOK_NAMES) {
				this.intercepts.computeIfAbsent(hook, (key) -> adders(TYPES.length * OUTCOMES.length));
			}
		}
		// Known first, then every hook and status: a hook first seen meanwhile is registered here
		// or by the callback that sees it (rarely both, which Micrometer ignores).
		addOnce(this.registries, registry);
		for (Map.Entry<String, LongAdder[]> entry : this.intercepts.entrySet()) {
			interceptCounters(registry, entry.getKey(), entry.getValue());
		}
		for (Map.Entry<Integer, LongAdder> entry : this.rejections.entrySet()) {
			rejectionCounter(registry, entry.getKey(), entry.getValue());
		}
		for (TransactionPath path : PATHS) {
			for (int i = 0; i < STATUS_CLASSES.size(); i++) {
				FunctionCounter
					.builder(VConnMeters.TRANSACTIONS.getName(), this.transactions[path.ordinal() * STATUS_CLASSES.size() + i],
							LongAdder::doubleValue)
					.description(VConnMeters.TRANSACTIONS.getDescription())
					.baseUnit(VConnMeters.TRANSACTIONS.getBaseUnit())
					.tag(VConnMeters.Tags.PATH.asString(), tagValue(path))
					.tag(VConnMeters.Tags.STATUS.asString(), STATUS_CLASSES.get(i))
					.register(registry);
			}
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

	private static void interceptCounters(MeterRegistry registry, String hook, LongAdder[] counts) {
		for (InterceptType type : TYPES) {
			for (InterceptOutcome outcome : OUTCOMES) {
				FunctionCounter
					.builder(VConnMeters.INTERCEPTS.getName(), counts[type.ordinal() * OUTCOMES.length + outcome.ordinal()],
							LongAdder::doubleValue)
					.description(VConnMeters.INTERCEPTS.getDescription())
					.baseUnit(VConnMeters.INTERCEPTS.getBaseUnit())
					.tag(VConnMeters.Tags.HOOK.asString(), hook)
					.tag(VConnMeters.Tags.TYPE.asString(), tagValue(type))
					.tag(VConnMeters.Tags.OUTCOME.asString(), tagValue(outcome))
					.register(registry);
			}
		}
	}

	private static void rejectionCounter(MeterRegistry registry, int status, LongAdder count) {
		counter(registry, VConnMeters.LISTENER_REJECTIONS, count, VConnMeters.Tags.STATUS.asString(),
				Integer.toString(status));
	}

	private static void adoptionCounter(MeterRegistry registry, String outcome, String reason, AdoptionSource source,
			LongAdder adder) {
		FunctionCounter.builder(VConnMeters.ADOPTIONS.getName(), adder, LongAdder::doubleValue)
			.description(VConnMeters.ADOPTIONS.getDescription())
			.baseUnit(VConnMeters.ADOPTIONS.getBaseUnit())
			.tag(VConnMeters.Tags.OUTCOME.asString(), outcome)
			.tag(VConnMeters.Tags.REASON.asString(), reason)
			.tag(VConnMeters.Tags.SOURCE.asString(), tagValue(source))
			.register(registry);
	}

	private static void counter(MeterRegistry registry, VConnMeters meter, LongAdder adder, String tagKey,
			String tagValue) {
		FunctionCounter.builder(meter.getName(), adder, LongAdder::doubleValue)
			.description(meter.getDescription())
			.baseUnit(meter.getBaseUnit())
			.tag(tagKey, tagValue)
			.register(registry);
	}

	static String tagValue(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT);
	}

	private static LongAdder[] adders(int count) {
		LongAdder[] adders = new LongAdder[count];
		for (int i = 0; i < count; i++) {
			adders[i] = new LongAdder();
		}
		return adders;
	}

}
