package dev.vconn.testing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

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
import org.jspecify.annotations.Nullable;

import static org.awaitility.Awaitility.await;

/**
 * Records what a runtime reports to its listeners and what its intercept listeners report to their
 * observers: adoptions and their sources, failed adoptions, aborts, closes, bytes per VConn,
 * tunnels, intercepts, completed transactions and listener rejections. Thread-safe: the callbacks
 * come from event threads while the test reads.
 *
 * <p>It also checks the listener's own rules and keeps what broke them for
 * {@link #assertNoViolations()}: one {@code onAdopted} and one {@code onClosed} per VConn,
 * {@code onAborted} at most once and only before {@code onClosed}, no negative byte counts.
 */
public final class CountingListener implements VConnListener, InterceptObserver {

	private static final Duration AWAIT = Duration.ofSeconds(15);

	/** One {@code onAborted} call. */
	public record Aborted(VConn vconn, CloseKind cause, int error) {
	}

	/** One {@code onClosed} call. */
	public record Closed(VConn vconn, CloseKind how) {
	}

	/** One {@code onIntercept} call. */
	public record Intercept(String hook, InterceptType type, InterceptOutcome outcome) {
	}

	/** One {@code onTransactionCompleted} call. */
	public record Completed(TransactionPath path, int status) {
	}

	private final AtomicInteger adoptions = new AtomicInteger();

	private final AtomicInteger closes = new AtomicInteger();

	private final Map<Long, AdoptionSource> sources = new ConcurrentHashMap<>();

	private final List<AdoptionFailureReason> adoptionFailures = new CopyOnWriteArrayList<>();

	private final Map<Long, Aborted> abortsById = new ConcurrentHashMap<>();

	private final List<Aborted> aborted = new CopyOnWriteArrayList<>();

	private final Map<Long, CloseKind> closeKinds = new ConcurrentHashMap<>();

	private final List<Closed> closed = new CopyOnWriteArrayList<>();

	private final Map<Long, LongAdder> received = new ConcurrentHashMap<>();

	private final Map<Long, LongAdder> sent = new ConcurrentHashMap<>();

	private final List<long[]> tunnelsStarted = new CopyOnWriteArrayList<>();

	private final List<TunnelResult> tunnelsEnded = new CopyOnWriteArrayList<>();

	private final List<Intercept> intercepts = new CopyOnWriteArrayList<>();

	private final List<Completed> completed = new CopyOnWriteArrayList<>();

	private final List<Integer> rejections = new CopyOnWriteArrayList<>();

	private final List<String> violations = new CopyOnWriteArrayList<>();

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adoptions.incrementAndGet();
		if (this.sources.putIfAbsent(vconn.id(), source) != null) {
			this.violations.add("onAdopted twice for " + vconn);
		}
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.adoptionFailures.add(reason);
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
		if (this.closeKinds.containsKey(vconn.id())) {
			this.violations.add("onAborted after onClosed for " + vconn);
		}
		Aborted abort = new Aborted(vconn, cause, error);
		Aborted earlier = this.abortsById.putIfAbsent(vconn.id(), abort);
		if (earlier != null) {
			this.violations.add("onAborted twice for " + vconn + ": " + earlier.cause() + ", then " + cause);
		}
		this.aborted.add(abort);
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		if (this.closeKinds.putIfAbsent(vconn.id(), how) != null) {
			this.violations.add("onClosed twice for " + vconn);
		}
		this.closed.add(new Closed(vconn, how));
		this.closes.incrementAndGet();
	}

	@Override
	public void onBytes(VConn vconn, long received, long sent) {
		if (received < 0 || sent < 0) {
			this.violations.add("negative byte counts for " + vconn + ": " + received + ", " + sent);
		}
		this.received.computeIfAbsent(vconn.id(), (id) -> new LongAdder()).add(received);
		this.sent.computeIfAbsent(vconn.id(), (id) -> new LongAdder()).add(sent);
	}

	@Override
	public void onTunnelStarted(VConn a, VConn b) {
		this.tunnelsStarted.add(new long[] { a.id(), b.id() });
	}

	@Override
	public void onTunnelEnded(TunnelResult result) {
		this.tunnelsEnded.add(result);
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		this.intercepts.add(new Intercept(hook, type, outcome));
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		this.completed.add(new Completed(path, status));
	}

	@Override
	public void onListenerRejection(int status) {
		this.rejections.add(status);
	}

	public int adoptions() {
		return this.adoptions.get();
	}

	public int closes() {
		return this.closes.get();
	}

	/** Whether every VConn adopted has been closed or is still alive: adoptions == closes + active. */
	public boolean reconciles(int active) {
		return adoptions() == closes() + active;
	}

	/** How each VConn was adopted, by VConn id. */
	public Map<Long, AdoptionSource> sources() {
		return Map.copyOf(this.sources);
	}

	public List<AdoptionFailureReason> adoptionFailures() {
		return List.copyOf(this.adoptionFailures);
	}

	/** Every {@code onAborted}, in order. */
	public List<Aborted> aborted() {
		return List.copyOf(this.aborted);
	}

	/** The VConn's {@code onAborted}, or null if it was not aborted. */
	public @Nullable Aborted abortOf(VConn vconn) {
		return this.abortsById.get(vconn.id());
	}

	/** The cause of each abort, by VConn id. */
	public Map<Long, CloseKind> abortCauses() {
		return this.abortsById.entrySet()
			.stream()
			.collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, (e) -> e.getValue().cause()));
	}

	/** Every {@code onClosed}, in order. */
	public List<Closed> closed() {
		return List.copyOf(this.closed);
	}

	/** How each VConn closed, by VConn id. */
	public Map<Long, CloseKind> closeKinds() {
		return Map.copyOf(this.closeKinds);
	}

	/** Waits for the VConn's {@code onClosed} and returns how it ended. */
	public CloseKind awaitClosed(VConn vconn) {
		return await().atMost(AWAIT).until(() -> this.closeKinds.get(vconn.id()), (kind) -> kind != null);
	}

	/** The bytes {@code onBytes} reported received by a VConn, by its id. */
	public long receivedBy(long vconnId) {
		LongAdder sum = this.received.get(vconnId);
		return (sum != null) ? sum.sum() : 0;
	}

	/** The bytes {@code onBytes} reported sent by a VConn, by its id. */
	public long sentBy(long vconnId) {
		LongAdder sum = this.sent.get(vconnId);
		return (sum != null) ? sum.sum() : 0;
	}

	/** The ids of the two VConns of each tunnel started, in order. */
	public List<long[]> tunnelsStarted() {
		return List.copyOf(this.tunnelsStarted);
	}

	public List<TunnelResult> tunnelsEnded() {
		return List.copyOf(this.tunnelsEnded);
	}

	public List<Intercept> intercepts() {
		return List.copyOf(this.intercepts);
	}

	public List<Completed> completed() {
		return List.copyOf(this.completed);
	}

	public List<Integer> rejections() {
		return List.copyOf(this.rejections);
	}

	/** Fails if a callback broke the listener's rules (see the class description). */
	public void assertNoViolations() {
		if (!this.violations.isEmpty()) {
			throw new AssertionError("listener rules broken: " + this.violations);
		}
	}

}
