package dev.vconn.demo;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Tags;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;

/**
 * The live page's recent history: every second, the totals of the meters the page charts, kept for
 * the last two minutes in a ring, so that a page that opens (or reloads) draws its charts from
 * that history at once instead of starting empty. Served by {@code GET /demo/history}.
 *
 * <p><b>Threads:</b> sampled on a daemon thread of its own; read from request threads.
 */
@Component
class MeterHistory implements InitializingBean, DisposableBean {

	static final Duration INTERVAL = Duration.ofSeconds(1);

	static final int CAPACITY = 120;

	/** The series the page charts: name on the page, meter name, tags (key, value, ...). */
	private static final List<Series> SERIES = List.of(
			new Series("adoptions", "vconn.adoptions", Tags.of("outcome", "success")),
			new Series("adoptionFailures", "vconn.adoptions", Tags.of("outcome", "failure")),
			new Series("originFailures", "demo.origin.connects", Tags.of("outcome", "failure")),
			new Series("aborts", "vconn.aborts", Tags.empty()), new Series("active", "vconn.active", Tags.empty()));

	private final MeterRegistry registry;

	private final Clock clock;

	private final ArrayDeque<Sample> samples = new ArrayDeque<>(CAPACITY);

	private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "demo-meter-history");
		thread.setDaemon(true);
		return thread;
	});

	@Autowired
	MeterHistory(MeterRegistry registry) {
		this(registry, Clock.systemUTC());
	}

	MeterHistory(MeterRegistry registry, Clock clock) {
		this.registry = registry;
		this.clock = clock;
	}

	@Override
	public void afterPropertiesSet() {
		this.sampler.scheduleAtFixedRate(this::sample, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void destroy() {
		this.sampler.shutdownNow();
	}

	/** Takes one sample of every series now, dropping the oldest beyond {@link #CAPACITY}. */
	void sample() {
		Map<String, Double> totals = new LinkedHashMap<>();
		for (Series series : SERIES) {
			totals.put(series.name(), total(series));
		}
		Sample sample = new Sample(this.clock.millis(), totals);
		synchronized (this.samples) {
			if (this.samples.size() == CAPACITY) {
				this.samples.removeFirst();
			}
			this.samples.addLast(sample);
		}
	}

	/**
	 * The samples taken after a time, oldest first.
	 * @param after epoch milliseconds; 0 for every sample kept
	 * @return the samples
	 */
	List<Sample> since(long after) {
		synchronized (this.samples) {
			return this.samples.stream().filter((sample) -> sample.time() > after).toList();
		}
	}

	/** The sum of a series' meters (a counter's count, a gauge's value); 0 before any exists. */
	private double total(Series series) {
		double total = 0;
		for (Meter meter : this.registry.find(series.meter()).tags(series.tags()).meters()) {
			for (Measurement measurement : meter.measure()) {
				if (measurement.getStatistic() == Statistic.COUNT || measurement.getStatistic() == Statistic.VALUE) {
					total += measurement.getValue();
				}
			}
		}
		return total;
	}

	/**
	 * One sample.
	 * @param time when it was taken, in epoch milliseconds
	 * @param totals each series' total at that time, by its name on the page
	 */
	record Sample(long time, Map<String, Double> totals) {
	}

	private record Series(String name, String meter, Tags tags) {
	}

}
