package dev.vconn.autoconfigure.metrics;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

import dev.vconn.AbortCause;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
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
 * MicrometerVConnListener metrics = new MicrometerVConnListener(() -> runtime.activeCount());
 * }</pre>
 *
 * <p><b>Accounting:</b> counters are function counters over totals kept since the listener was
 * added to the runtime, so they are exact whenever the registry was bound, and at any quiet moment
 * {@code vconn.adoptions{outcome=success}} equals {@code vconn.closed} plus {@code vconn.active}.
 * Every bounded tag combination is registered at bind time, so each series reads 0 before its
 * first event. The {@code vconn.adoption.duration} timer records adoptions made after binding.
 *
 * <p><b>Threads:</b> callbacks are thread-safe, lock-free and allocation-free on the hot path;
 * {@link #bindTo} may be called from any thread, once per registry.
 *
 * @since 0.1.0
 */
public final class MicrometerVConnListener implements VConnListener, MeterBinder {

	private static final AdoptionSource[] SOURCES = AdoptionSource.values();

	private static final AdoptionFailureReason[] REASONS = AdoptionFailureReason.values();

	private final IntSupplier activeConnections;

	/** Successes by source. */
	private final LongAdder[] adopted = adders(SOURCES.length);

	/** Failures by source and reason, indexed {@code source * REASONS.length + reason}. */
	private final LongAdder[] failed = adders(SOURCES.length * REASONS.length);

	private final LongAdder[] aborted = adders(AbortCause.values().length);

	private final LongAdder[] closed = adders(CloseKind.values().length);

	private final LongAdder bytesIn = new LongAdder();

	private final LongAdder bytesOut = new LongAdder();

	private final CopyOnWriteArrayList<Timer> adoptionTimers = new CopyOnWriteArrayList<>();

	/**
	 * Creates a listener.
	 * @param activeConnections reads the runtime's {@link dev.vconn.VConnRuntime#activeCount()}
	 * for the {@code vconn.active} gauge; called only when the gauge is read
	 */
	public MicrometerVConnListener(IntSupplier activeConnections) {
		this.activeConnections = Objects.requireNonNull(activeConnections, "activeConnections");
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

	private void recordDuration(Duration duration) {
		for (Timer timer : this.adoptionTimers) {
			timer.record(duration.toNanos(), TimeUnit.NANOSECONDS);
		}
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
		Timer timer = Timer.builder(VConnMeters.ADOPTION_DURATION.getName())
			.description(VConnMeters.ADOPTION_DURATION.getDescription())
			.register(registry);
		// Meters of different registries are equal when their ids are: compare identities.
		synchronized (this.adoptionTimers) {
			if (this.adoptionTimers.stream().noneMatch((bound) -> bound == timer)) {
				this.adoptionTimers.add(timer);
			}
		}
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
