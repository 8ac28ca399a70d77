package dev.vconn.reliability;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;

/**
 * Counts every callback a runtime makes, by kind and tag, in constant memory so that it can run
 * under load for minutes: {@code adopted.<source>}, {@code adoption-failed.<source>.<reason>},
 * {@code aborted.<cause>}, {@code closed.<how>}, {@code tunnels.started}, {@code tunnels.ended},
 * {@code intercept.<hook>.<type>.<outcome>}, {@code completed.<path>.<status>} and
 * {@code rejected.<status>}: a runtime listener and an intercept listener's observer at once.
 * These are the source data of the {@code vconn.*} meters. Thread-safe.
 */
final class Tally implements VConnListener, InterceptObserver {

	private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		count("adopted." + source);
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		count("adoption-failed." + source + "." + reason);
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		count("aborted." + cause);
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		count("closed." + how);
	}

	@Override
	public void onTunnelStarted(VConn a, VConn b) {
		count("tunnels.started");
	}

	@Override
	public void onTunnelEnded(TunnelResult result) {
		count("tunnels.ended." + result.end());
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		count("intercept." + hook + "." + type + "." + outcome);
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		count("completed." + path + "." + status);
	}

	@Override
	public void onListenerRejection(int status) {
		count("rejected." + status);
	}

	private void count(String key) {
		this.counts.computeIfAbsent(key, (k) -> new LongAdder()).increment();
	}

	/** Every count so far, by key, sorted. */
	Counts snapshot() {
		Map<String, Long> snapshot = new TreeMap<>();
		this.counts.forEach((key, count) -> snapshot.put(key, count.sum()));
		return new Counts(snapshot);
	}

	/** Counts at one moment. */
	record Counts(Map<String, Long> values) {

		long get(String key) {
			return this.values.getOrDefault(key, 0L);
		}

		/** The sum of every count whose key starts with {@code prefix}. */
		long sum(String prefix) {
			return this.values.entrySet()
				.stream()
				.filter((e) -> e.getKey().startsWith(prefix))
				.mapToLong(Map.Entry::getValue)
				.sum();
		}

		/** What was counted since {@code before}: the non-zero differences, by key. */
		Counts since(Counts before) {
			Map<String, Long> delta = new TreeMap<>();
			this.values.forEach((key, count) -> {
				long d = count - before.get(key);
				if (d != 0) {
					delta.put(key, d);
				}
			});
			return new Counts(delta);
		}

		/** Records every count into {@code figures}, each key prefixed with {@code scope}. */
		void recordInto(Figures figures, String scope) {
			this.values.forEach((key, count) -> figures.record(scope + "." + key, count));
		}

	}

}
