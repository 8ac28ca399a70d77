package dev.vconn.demo;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live page's history ring, sampled by hand from a real registry on a clock the test moves.
 */
class MeterHistoryTests {

	private final MeterRegistry registry = new SimpleMeterRegistry();

	private final SteppingClock clock = new SteppingClock();

	private final MeterHistory history = new MeterHistory(this.registry, this.clock);

	@Test
	void samplesHoldTheTotalsOfTheChartedMetersAndZeroForThoseNotYetRegistered() {
		Counter adoptions = this.registry.counter("vconn.adoptions", "outcome", "success", "source", "fd");
		this.registry.counter("vconn.adoptions", "outcome", "success", "source", "intercept").increment(2);
		adoptions.increment(3);
		this.registry.gauge("vconn.active", 7);
		this.history.sample();
		MeterHistory.Sample sample = this.history.since(0).get(0);
		assertThat(sample.time()).isEqualTo(1000);
		assertThat(sample.totals()).containsEntry("adoptions", 5.0)
			.containsEntry("adoptionFailures", 0.0)
			.containsEntry("originFailures", 0.0)
			.containsEntry("aborts", 0.0)
			.containsEntry("active", 7.0);
	}

	@Test
	void ringKeepsTheLastTwoMinutesAndAnswersWhatCameAfterATime() {
		for (int i = 0; i < MeterHistory.CAPACITY + 5; i++) {
			this.history.sample();
		}
		List<MeterHistory.Sample> all = this.history.since(0);
		assertThat(all).hasSize(MeterHistory.CAPACITY);
		assertThat(all.get(0).time()).isEqualTo(6 * 1000);
		assertThat(all.get(all.size() - 1).time()).isEqualTo((MeterHistory.CAPACITY + 5) * 1000);
		assertThat(this.history.since((MeterHistory.CAPACITY + 3) * 1000)).extracting(MeterHistory.Sample::time)
			.containsExactly((MeterHistory.CAPACITY + 4) * 1000L, (MeterHistory.CAPACITY + 5) * 1000L);
	}

	/** Advances one second at every reading. */
	private static final class SteppingClock extends Clock {

		private long millis;

		@Override
		public long millis() {
			this.millis += 1000;
			return this.millis;
		}

		@Override
		public Instant instant() {
			return Instant.ofEpochMilli(millis());
		}

		@Override
		public ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

	}

}
