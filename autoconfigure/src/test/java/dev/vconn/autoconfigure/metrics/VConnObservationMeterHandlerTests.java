package dev.vconn.autoconfigure.metrics;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionObserver;
import dev.vconn.AdoptionSource;
import dev.vconn.autoconfigure.observation.ObservationVConnListener;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VConnObservationMeterHandler} against Micrometer's default meter handler: the same
 * observations, recorded through each into its own registry, must leave the same meters with the
 * same counts.
 */
class VConnObservationMeterHandlerTests {

	private static final InetSocketAddress ORIGIN = new InetSocketAddress("127.0.0.1", 8080);

	@Test
	void recordsTheMetersOfTheDefaultHandlerWithCommonTagsAndObservationFilters() {
		MeterRegistry expected = registry();
		MeterRegistry actual = registry();
		observeAdoptions(observations(expected, DefaultMeterObservationHandler::new));
		observeAdoptions(observations(actual, VConnObservationMeterHandler::new));
		assertThat(meters(actual)).isEqualTo(meters(expected))
			.containsEntry("timer vconn.adoption [app=demo, error=none, outcome=failure, reason=not_connected, "
					+ "region=eu, source=fd]", 2.0)
			.containsEntry("timer vconn.adoption [app=demo, error=none, outcome=failure, reason=connect_failed, "
					+ "region=eu, source=connect]", 1.0)
			.containsEntry("ltt vconn.adoption.active [app=demo, outcome=unknown, reason=none, source=fd]",
					1.0);
	}

	@Test
	void makesNoLongTaskTimersWhenTheyAreIgnored() {
		MeterRegistry registry = registry();
		observeAdoptions(observations(registry, (meters) -> new VConnObservationMeterHandler(meters,
				DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER)));
		assertThat(registry.find("vconn.adoption").timers()).hasSize(2);
		assertThat(registry.find("vconn.adoption.active").longTaskTimers()).isEmpty();
	}

	@Test
	void registersARemovedTimerAgainAtTheNextStop() {
		MeterRegistry registry = registry();
		ObservationRegistry observations = observations(registry, VConnObservationMeterHandler::new);
		failedConnect(observations);
		Timer first = registry.get("vconn.adoption").timer();
		registry.remove(first);
		failedConnect(observations);
		Timer second = registry.get("vconn.adoption").timer();
		assertThat(second).isNotSameAs(first);
		assertThat(second.count()).isOne();
	}

	@Test
	void leavesOtherObservationsToTheNextHandler() {
		MeterRegistry registry = registry();
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig()
			.observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
					new VConnObservationMeterHandler(registry), new DefaultMeterObservationHandler(registry)));
		Observation.createNotStarted("acme.work", observations).lowCardinalityKeyValue("kind", "batch").observe(() -> {
		});
		assertThat(registry.get("acme.work").tag("kind", "batch").timer().count()).isOne();
		assertThat(new VConnObservationMeterHandler(registry)
			.supportsContext(new Observation.Context())).isFalse();
	}

	private static void observeAdoptions(ObservationRegistry observations) {
		ObservationVConnListener listener = new ObservationVConnListener(observations);
		for (int i = 0; i < 2; i++) {
			AdoptionObserver attempt = listener.onAdoptionStarted(AdoptionSource.FD, null);
			attempt.onFailed(AdoptionFailureReason.NOT_CONNECTED);
		}
		failedConnect(observations);
		// one still running: its long-task timer is active
		listener.onAdoptionStarted(AdoptionSource.FD, null);
	}

	private static void failedConnect(ObservationRegistry observations) {
		new ObservationVConnListener(observations).onAdoptionStarted(AdoptionSource.CONNECT, ORIGIN)
			.onFailed(AdoptionFailureReason.CONNECT_FAILED);
	}

	private static MeterRegistry registry() {
		MeterRegistry registry = new SimpleMeterRegistry();
		registry.config().meterFilter(MeterFilter.commonTags(Tags.of("app", "demo")));
		return registry;
	}

	private static ObservationRegistry observations(MeterRegistry registry,
			Function<MeterRegistry, ObservationHandler<Observation.Context>> handler) {
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig()
			.observationHandler(handler.apply(registry))
			.observationFilter((context) -> context.addLowCardinalityKeyValue(KeyValue.of("region", "eu")));
		return observations;
	}

	/** Every meter as its kind, name and sorted tags, with its count (active tasks for a long-task timer). */
	private static Map<String, Double> meters(MeterRegistry registry) {
		Map<String, Double> meters = new TreeMap<>();
		for (Meter meter : registry.getMeters()) {
			String tags = meter.getId()
				.getTags()
				.stream()
				.map((tag) -> tag.getKey() + "=" + tag.getValue())
				.collect(Collectors.joining(", ", "[", "]"));
			if (meter instanceof Timer timer) {
				meters.put("timer " + meter.getId().getName() + " " + tags, (double) timer.count());
			}
			else if (meter instanceof LongTaskTimer longTaskTimer) {
				meters.put("ltt " + meter.getId().getName() + " " + tags, (double) longTaskTimer.activeTasks());
			}
			else {
				meters.put(meter.getId().getType() + " " + meter.getId().getName() + " " + tags, Double.NaN);
			}
		}
		return meters;
	}

}
