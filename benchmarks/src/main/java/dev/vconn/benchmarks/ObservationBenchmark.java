package dev.vconn.benchmarks;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.vconn.Continuation;
import dev.vconn.autoconfigure.metrics.VConnObservationMeterHandler;
import dev.vconn.autoconfigure.observation.ObservationInterceptObserver;
import dev.vconn.intercept.Transaction;
import dev.vconn.intercept.TransactionObserver;
import dev.vconn.intercept.TransactionOutcome;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.intercept.TransactionResult;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The starter's {@code vconn.transaction} observation of one transaction, started and stopped as
 * the listener does for every request, timed into a {@code MeterRegistry} with a common tag:
 * by {@link VConnObservationMeterHandler} ahead of Micrometer's default meter handler, as the
 * starter registers them ({@code vconn}), by the default handler alone ({@code default}), and with
 * no handler at all, where the observer does nothing ({@code none}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class ObservationBenchmark {

	@Param({ "vconn", "default", "none" })
	public String handler;

	private ObservationInterceptObserver observer;

	private final Transaction transaction = new RequestHead();

	private final TransactionResult result = TransactionResult.of(TransactionOutcome.COMPLETED,
			TransactionPath.PASS_THROUGH, null, null, 200);

	@Setup
	public void setUp() {
		MeterRegistry meters = new SimpleMeterRegistry();
		meters.config().meterFilter(MeterFilter.commonTags(Tags.of("application", "benchmark")));
		ObservationRegistry observations = ObservationRegistry.create();
		DefaultMeterObservationHandler defaultHandler = new DefaultMeterObservationHandler(meters);
		switch (this.handler) {
			case "vconn" -> observations.observationConfig()
				.observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
						new VConnObservationMeterHandler(meters), defaultHandler));
			case "default" -> observations.observationConfig().observationHandler(defaultHandler);
			case "none" -> {
			}
			default -> throw new IllegalArgumentException("handler " + this.handler);
		}
		this.observer = new ObservationInterceptObserver(observations);
	}

	@Benchmark
	public TransactionObserver transaction() {
		TransactionObserver observer = this.observer.onTransactionStarted(this.transaction);
		observer.onEnded(this.result);
		return observer;
	}

	/** A keep-alive {@code GET} as the listener reports it; only what the observation reads answers. */
	static final class RequestHead implements Transaction {

		private static final SocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 50000);

		@Override
		public long id() {
			return 1;
		}

		@Override
		public @Nullable SocketAddress clientAddress() {
			return CLIENT;
		}

		@Override
		public @Nullable SocketAddress localAddress() {
			return null;
		}

		@Override
		public String method() {
			return "GET";
		}

		@Override
		public String target() {
			return "/1k";
		}

		@Override
		public String version() {
			return "HTTP/1.1";
		}

		@Override
		public Set<String> headerNames() {
			return Set.of("host");
		}

		@Override
		public List<String> headers(String name) {
			return name.equalsIgnoreCase("host") ? List.of("127.0.0.1") : List.of();
		}

		@Override
		public Transaction setHeader(String name, String value) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Transaction addHeader(String name, String value) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Transaction removeHeader(String name) {
			throw new UnsupportedOperationException();
		}

		@Override
		public void serverIntercept(Continuation cont) {
			throw new UnsupportedOperationException();
		}

		@Override
		public void intercept(Continuation cont) {
			throw new UnsupportedOperationException();
		}

		@Override
		public @Nullable String claimedBy() {
			return null;
		}

	}

}
