package dev.vconn.contract;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;

import static org.awaitility.Awaitility.await;

/**
 * Counts what a runtime reports and checks the listener's own rules: one {@code onAdopted} and
 * one {@code onClosed} per VConn, {@code onAborted} only before {@code onClosed}.
 */
final class CountingListener implements VConnListener {

	/** One {@code onAborted} call. */
	record Abort(CloseKind cause, int error) {
	}

	private final AtomicInteger adopted = new AtomicInteger();

	private final AtomicInteger closed = new AtomicInteger();

	private final Map<Long, CloseKind> closes = new ConcurrentHashMap<>();

	private final Map<Long, Abort> aborts = new ConcurrentHashMap<>();

	private final Map<Long, Boolean> adoptedIds = new ConcurrentHashMap<>();

	private final List<AdoptionFailureReason> failures = new CopyOnWriteArrayList<>();

	private final List<String> violations = new CopyOnWriteArrayList<>();

	private final Map<Long, LongAdder> received = new ConcurrentHashMap<>();

	private final Map<Long, LongAdder> sent = new ConcurrentHashMap<>();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adopted.incrementAndGet();
		if (this.adoptedIds.putIfAbsent(vconn.id(), Boolean.TRUE) != null) {
			this.violations.add("onAdopted twice for " + vconn);
		}
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.failures.add(reason);
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		if (this.closes.containsKey(vconn.id())) {
			this.violations.add("onAborted after onClosed for " + vconn);
		}
		if (this.aborts.putIfAbsent(vconn.id(), new Abort(cause, error)) != null) {
			this.violations.add("onAborted twice for " + vconn + ": " + this.aborts.get(vconn.id()) + ", then " + cause);
		}
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		if (this.closes.putIfAbsent(vconn.id(), how) != null) {
			this.violations.add("onClosed twice for " + vconn);
		}
		this.closed.incrementAndGet();
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		if (received < 0 || sent < 0) {
			this.violations.add("negative byte counts for " + vconn + ": " + received + ", " + sent);
		}
		this.received.computeIfAbsent(vconn.id(), (id) -> new LongAdder()).add(received);
		this.sent.computeIfAbsent(vconn.id(), (id) -> new LongAdder()).add(sent);
	}

	long bytesReceived(VConn vconn) {
		LongAdder sum = this.received.get(vconn.id());
		return (sum != null) ? sum.sum() : 0;
	}

	long bytesSent(VConn vconn) {
		LongAdder sum = this.sent.get(vconn.id());
		return (sum != null) ? sum.sum() : 0;
	}

	int adopted() {
		return this.adopted.get();
	}

	int closed() {
		return this.closed.get();
	}

	List<AdoptionFailureReason> failures() {
		return List.copyOf(this.failures);
	}

	/** Waits for the VConn's {@code onClosed} and returns how it ended. */
	CloseKind awaitClosed(VConn vconn) {
		return await().atMost(EventLog.AWAIT).until(() -> this.closes.get(vconn.id()), (kind) -> kind != null);
	}

	/** The VConn's {@code onAborted}, or null if it was not aborted. */
	Abort abortOf(VConn vconn) {
		return this.aborts.get(vconn.id());
	}

	void assertNoViolations() {
		if (!this.violations.isEmpty()) {
			throw new AssertionError("listener rules broken: " + this.violations);
		}
	}

}
