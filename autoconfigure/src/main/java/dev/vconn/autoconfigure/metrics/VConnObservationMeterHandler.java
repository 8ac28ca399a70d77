package dev.vconn.autoconfigure.metrics;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.vconn.autoconfigure.observation.AdoptionObservationContext;
import dev.vconn.autoconfigure.observation.TransactionObservationContext;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.observation.MeterObservationHandler;
import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * Times VConn's {@code vconn.transaction} and {@code vconn.adoption} observations with the same
 * meters as Micrometer's {@link DefaultMeterObservationHandler}, but finds them in a cache of its
 * own instead of building tags and asking the registry at every start and stop. Both observations
 * run once per request or connection, on event threads, so that lookup was a measurable part of a
 * keep-alive request's time.
 *
 * <p>The meters are those the default handler makes: a timer named after the observation, tagged
 * with its low-cardinality key values (after {@link io.micrometer.observation.ObservationFilter}s
 * ran) and {@code error} (the error's simple class name, or {@code none}); a long-task timer named
 * {@code <name>.active} tagged with the key values at the start, unless long-task timers are
 * ignored; and a counter {@code <name>.<event>} per event. The registry's meter filters (common tags,
 * renames, denials) apply as they would to the default handler's, since the meters are registered
 * through it. A meter removed from the registry leaves the cache, so the next observation
 * registers it again.
 *
 * <p>It supports only VConn's observation contexts; every other observation goes to the next
 * meter handler. The starter registers it ahead of Spring Boot's default handler when both a
 * {@link MeterRegistry} and an {@code ObservationRegistry} exist.
 *
 * <p><b>Threads:</b> safe for concurrent use; starts and stops may run on any thread.
 *
 * @since 0.1.0
 */
public final class VConnObservationMeterHandler implements MeterObservationHandler<Observation.Context> {

	/** Past this many tag combinations per meter kind, more meters are looked up in the registry instead of kept. */
	private static final int MAX_CACHED = 4096;

	private final MeterRegistry registry;

	private final boolean longTaskTimers;

	private final Map<MeterKey, Timer> timers = new ConcurrentHashMap<>();

	private final Map<MeterKey, LongTaskTimer> longTaskTimersByKey = new ConcurrentHashMap<>();

	/**
	 * Creates a handler.
	 * @param registry where the meters are registered
	 * @param ignoredMeters meters not to make, as for {@link DefaultMeterObservationHandler}
	 */
	public VConnObservationMeterHandler(MeterRegistry registry,
			DefaultMeterObservationHandler.IgnoredMeters... ignoredMeters) {
		this.registry = Objects.requireNonNull(registry, "registry");
		boolean longTaskTimers = true;
		for (DefaultMeterObservationHandler.IgnoredMeters ignored : ignoredMeters) {
			if (ignored == DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER) {
				longTaskTimers = false;
			}
		}
		this.longTaskTimers = longTaskTimers;
		registry.config().onMeterRemoved(this::forget);
	}

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof TransactionObservationContext || context instanceof AdoptionObservationContext;
	}

	@Override
	public void onStart(Observation.Context context) {
		if (this.longTaskTimers) {
			MeterKey key = new MeterKey(context.getName(), context.getLowCardinalityKeyValues(), null);
			LongTaskTimer active = this.longTaskTimersByKey.get(key);
			if (active == null) {
				active = keep(this.longTaskTimersByKey, key,
						LongTaskTimer.builder(key.name + ".active").tags(tags(key.keyValues)).register(this.registry));
			}
			context.put(LongTaskTimer.Sample.class, active.start());
		}
		context.put(Timer.Sample.class, Timer.start(this.registry));
	}

	@Override
	public void onStop(Observation.Context context) {
		Throwable error = context.getError();
		String errorValue = (error != null) ? error.getClass().getSimpleName() : "none";
		MeterKey key = new MeterKey(context.getName(), context.getLowCardinalityKeyValues(), errorValue);
		Timer timer = this.timers.get(key);
		if (timer == null) {
			timer = keep(this.timers, key,
					Timer.builder(key.name).tags(tags(key.keyValues)).tag("error", errorValue).register(this.registry));
		}
		context.<Timer.Sample>getRequired(Timer.Sample.class).stop(timer);
		if (this.longTaskTimers) {
			context.<LongTaskTimer.Sample>getRequired(LongTaskTimer.Sample.class).stop();
		}
	}

	@Override
	public void onEvent(Observation.Event event, Observation.Context context) {
		// events are rare (none of VConn's own observations signals one): no cache
		Counter.builder(context.getName() + "." + event.getName())
			.tags(tags(context.getLowCardinalityKeyValues()))
			.register(this.registry)
			.increment();
	}

	private static <M extends Meter> M keep(Map<MeterKey, M> cache, MeterKey key, M meter) {
		if (cache.size() < MAX_CACHED) {
			cache.putIfAbsent(key, meter);
		}
		return meter;
	}

	private void forget(Meter removed) {
		this.timers.values().remove(removed);
		this.longTaskTimersByKey.values().remove(removed);
	}

	private static Tags tags(KeyValues keyValues) {
		Tags tags = Tags.empty();
		for (KeyValue keyValue : keyValues) {
			tags = tags.and(keyValue.getKey(), keyValue.getValue());
		}
		return tags;
	}

	/** An observation's name and low-cardinality key values, and for a timer its error tag. */
	private static final class MeterKey {

		final String name;

		final KeyValues keyValues;

		final @Nullable String error;

		private final int hash;

		MeterKey(String name, KeyValues keyValues, @Nullable String error) {
			this.name = name;
			this.keyValues = keyValues;
			this.error = error;
			this.hash = 31 * (31 * name.hashCode() + keyValues.hashCode()) + Objects.hashCode(error);
		}

		@Override
		public boolean equals(@Nullable Object other) {
			if (!(other instanceof MeterKey)) {
				return false;
			}
			MeterKey that = (MeterKey) other;
			return this.hash == that.hash && this.name.equals(that.name) && this.keyValues.equals(that.keyValues)
					&& Objects.equals(this.error, that.error);
		}

		@Override
		public int hashCode() {
			return this.hash;
		}

	}

}
