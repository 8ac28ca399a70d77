package dev.vconn.autoconfigure;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.vconn.AbortCause;
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
 * A {@link VConnListener} that keeps running totals of a runtime's adoptions, failures, aborts,
 * closes, bytes, tunnels, and of its intercept listeners' intercepts, transactions and rejections,
 * for the {@code vconn} actuator endpoint. It works without Micrometer.
 *
 * <p><b>Accounting:</b> totals count from the moment the listener is added to a runtime's
 * builder, so {@link #adoptions()} equals the sum of {@link #closedByKind()} plus the runtime's
 * {@link dev.vconn.VConnRuntime#activeCount()} at any quiet moment.
 *
 * <p><b>Bounds:</b> intercepts are kept by hook name; hook names are meant to be few and fixed
 * (see {@link dev.vconn.intercept.InterceptHook#name()}), and past {@link #MAX_HOOK_NAMES}
 * distinct names further ones are counted under {@link #OTHER_HOOKS}.
 *
 * <p><b>Threads:</b> callbacks and getters are thread-safe and never block; getters read each
 * counter without a global snapshot, so totals read while connections come and go may be off by
 * the connections in flight.
 *
 * <p><b>Lifecycle:</b> the totals never reset; they outlive the runtime's close.
 *
 * @since 0.1.0
 */
public final class VConnStatistics implements VConnListener, InterceptObserver {

	/** The most distinct hook names counted one by one. */
	public static final int MAX_HOOK_NAMES = 100;

	/** The hook name that intercepts of hooks past {@link #MAX_HOOK_NAMES} are counted under. */
	public static final String OTHER_HOOKS = "other";

	/** The statuses an intercept listener answers a rejected client with, in order. */
	private static final int[] REJECTION_STATUSES = { 400, 408, 431, 502, 503 };

	/** The status classes of finished transactions, {@code none} for connections handed over. */
	private static final List<String> STATUS_CLASSES = List.of("1xx", "2xx", "3xx", "4xx", "5xx", "none");

	private static final InterceptType[] TYPES = InterceptType.values();

	private static final InterceptOutcome[] OUTCOMES = InterceptOutcome.values();

	private static final TransactionPath[] PATHS = TransactionPath.values();

	private static final TunnelResult.End[] ENDS = TunnelResult.End.values();

	private final LongAdder[] adoptions = adders(AdoptionSource.values().length);

	private final LongAdder[] failures = adders(AdoptionFailureReason.values().length);

	private final LongAdder[] aborts = adders(AbortCause.values().length);

	private final LongAdder[] closed = adders(CloseKind.values().length);

	private final LongAdder bytesIn = new LongAdder();

	private final LongAdder bytesOut = new LongAdder();

	private final LongAdder tunnelsStarted = new LongAdder();

	private final AtomicLong tunnelsActive = new AtomicLong();

	private final LongAdder[] tunnelsEnded = adders(ENDS.length);

	private final LongAdder tunnelsSpliced = new LongAdder();

	/** Intercepts by hook name, each indexed {@code type * OUTCOMES.length + outcome}. */
	private final ConcurrentMap<String, LongAdder[]> intercepts = new ConcurrentHashMap<>();

	/** Transactions indexed {@code path * STATUS_CLASSES.size() + class}. */
	private final LongAdder[] transactions = adders(PATHS.length * STATUS_CLASSES.size());

	private final ConcurrentMap<Integer, LongAdder> rejections = new ConcurrentHashMap<>();

	/**
	 * Creates a listener with every total at zero. Add it to a runtime with
	 * {@link dev.vconn.VConnRuntime.Builder#addListener}.
	 */
	public VConnStatistics() {
		for (int status : REJECTION_STATUSES) {
			this.rejections.put(status, new LongAdder());
		}
	}

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adoptions[source.ordinal()].increment();
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.failures[reason.ordinal()].increment();
	}

	@Override
	public void onAborted(VConn vconn, AbortCause cause, int error) {
		this.aborts[cause.ordinal()].increment();
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
		this.tunnelsStarted.increment();
		this.tunnelsActive.incrementAndGet();
	}

	@Override
	public void onTunnelEnded(TunnelResult result) {
		this.tunnelsActive.decrementAndGet();
		this.tunnelsEnded[result.end().ordinal()].increment();
		if (result.spliced()) {
			this.tunnelsSpliced.increment();
		}
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		LongAdder[] counts = this.intercepts.get(hook);
		if (counts == null) {
			String name = (this.intercepts.size() < MAX_HOOK_NAMES) ? hook : OTHER_HOOKS;
			counts = this.intercepts.computeIfAbsent(name, (key) -> adders(TYPES.length * OUTCOMES.length));
		}
		counts[type.ordinal() * OUTCOMES.length + outcome.ordinal()].increment();
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		this.transactions[path.ordinal() * STATUS_CLASSES.size() + statusClassIndex(status)].increment();
	}

	@Override
	public void onListenerRejection(int status) {
		this.rejections.computeIfAbsent(status, (key) -> new LongAdder()).increment();
	}

	/**
	 * Successful adoptions and connects, whatever their source.
	 * @return the total
	 */
	public long adoptions() {
		return sum(this.adoptions);
	}

	/**
	 * Successful adoptions and connects by source.
	 * @return an unmodifiable map with an entry for every source
	 */
	public Map<AdoptionSource, Long> adoptionsBySource() {
		return totals(AdoptionSource.class, this.adoptions);
	}

	/**
	 * Failed adoptions and connects, whatever the reason.
	 * @return the total
	 */
	public long adoptionFailures() {
		return sum(this.failures);
	}

	/**
	 * Failed adoptions and connects by reason.
	 * @return an unmodifiable map with an entry for every reason
	 */
	public Map<AdoptionFailureReason, Long> adoptionFailuresByReason() {
		return totals(AdoptionFailureReason.class, this.failures);
	}

	/**
	 * Aborted VConns, whatever the cause.
	 * @return the total
	 */
	public long aborts() {
		return sum(this.aborts);
	}

	/**
	 * Aborted VConns by cause.
	 * @return an unmodifiable map with an entry for every cause
	 */
	public Map<AbortCause, Long> abortsByCause() {
		return totals(AbortCause.class, this.aborts);
	}

	/**
	 * VConns that ended, however they ended.
	 * @return the total
	 */
	public long closed() {
		return sum(this.closed);
	}

	/**
	 * VConns that ended, by how they ended.
	 * @return an unmodifiable map with an entry for every kind
	 */
	public Map<CloseKind, Long> closedByKind() {
		return totals(CloseKind.class, this.closed);
	}

	/**
	 * Bytes received from peers.
	 * @return the total
	 */
	public long bytesIn() {
		return this.bytesIn.sum();
	}

	/**
	 * Bytes handed to the kernel for peers.
	 * @return the total
	 */
	public long bytesOut() {
		return this.bytesOut.sum();
	}

	/**
	 * Tunnels started, whether by an intercept listener's pass-through or by the application.
	 * @return the total
	 */
	public long tunnels() {
		return this.tunnelsStarted.sum();
	}

	/**
	 * Tunnels started and not yet ended.
	 * @return the count
	 */
	public long activeTunnels() {
		return Math.max(0, this.tunnelsActive.get());
	}

	/**
	 * Tunnels that ended, by how they ended.
	 * @return an unmodifiable map with an entry for every {@link TunnelResult.End}
	 */
	public Map<TunnelResult.End, Long> tunnelsByEnd() {
		return totals(TunnelResult.End.class, this.tunnelsEnded);
	}

	/**
	 * Tunnels that ended having moved their bytes with zero-copy {@code splice(2)}.
	 * @return the total
	 */
	public long splicedTunnels() {
		return this.tunnelsSpliced.sum();
	}

	/**
	 * Transactions claimed by a hook, or on which a hook threw, whatever the hook, type and
	 * outcome.
	 * @return the total
	 */
	public long intercepts() {
		long sum = 0;
		for (LongAdder[] counts : this.intercepts.values()) {
			sum += sum(counts);
		}
		return sum;
	}

	/**
	 * Intercepts of one hook, by outcome, whatever their type.
	 * @param hook the hook's {@link dev.vconn.intercept.InterceptHook#name()}
	 * @return an unmodifiable map with an entry for every outcome, zeros for a hook never seen
	 */
	public Map<InterceptOutcome, Long> interceptsOf(String hook) {
		Map<InterceptOutcome, Long> totals = new EnumMap<>(InterceptOutcome.class);
		for (InterceptOutcome outcome : OUTCOMES) {
			long sum = 0;
			for (InterceptType type : TYPES) {
				sum += interceptsOf(hook, type).get(outcome);
			}
			totals.put(outcome, sum);
		}
		return Collections.unmodifiableMap(totals);
	}

	/**
	 * Intercepts of one hook and type, by outcome.
	 * @param hook the hook's {@link dev.vconn.intercept.InterceptHook#name()}
	 * @param type how the hook claimed the transactions
	 * @return an unmodifiable map with an entry for every outcome, zeros for a hook never seen
	 */
	public Map<InterceptOutcome, Long> interceptsOf(String hook, InterceptType type) {
		LongAdder[] counts = this.intercepts.get(hook);
		Map<InterceptOutcome, Long> totals = new EnumMap<>(InterceptOutcome.class);
		for (InterceptOutcome outcome : OUTCOMES) {
			totals.put(outcome,
					(counts != null) ? counts[type.ordinal() * OUTCOMES.length + outcome.ordinal()].sum() : 0L);
		}
		return Collections.unmodifiableMap(totals);
	}

	/**
	 * The hook names seen so far.
	 * @return an unmodifiable, sorted set
	 */
	public Set<String> interceptingHooks() {
		return Collections.unmodifiableSet(new TreeSet<>(this.intercepts.keySet()));
	}

	/**
	 * Transactions an intercept listener finished, whatever the path and status.
	 * @return the total
	 */
	public long transactions() {
		return sum(this.transactions);
	}

	/**
	 * Finished transactions by the way they were served.
	 * @return an unmodifiable map with an entry for every path
	 */
	public Map<TransactionPath, Long> transactionsByPath() {
		Map<TransactionPath, Long> totals = new EnumMap<>(TransactionPath.class);
		for (TransactionPath path : PATHS) {
			long sum = 0;
			for (int i = 0; i < STATUS_CLASSES.size(); i++) {
				sum += this.transactions[path.ordinal() * STATUS_CLASSES.size() + i].sum();
			}
			totals.put(path, sum);
		}
		return Collections.unmodifiableMap(totals);
	}

	/**
	 * Finished transactions by the class of the response status sent to the client:
	 * {@code 1xx} to {@code 5xx}, or {@code none} for connections handed over to an intercept.
	 * @return an unmodifiable map with an entry for every class, in that order
	 */
	public Map<String, Long> transactionsByStatusClass() {
		Map<String, Long> totals = new LinkedHashMap<>();
		for (int i = 0; i < STATUS_CLASSES.size(); i++) {
			long sum = 0;
			for (TransactionPath path : PATHS) {
				sum += this.transactions[path.ordinal() * STATUS_CLASSES.size() + i].sum();
			}
			totals.put(STATUS_CLASSES.get(i), sum);
		}
		return Collections.unmodifiableMap(totals);
	}

	/**
	 * The status class a transaction is counted under.
	 * @param status the response status, or 0 when the connection was handed over
	 * @return {@code 1xx} to {@code 5xx}, or {@code none}
	 */
	public static String statusClass(int status) {
		return STATUS_CLASSES.get(statusClassIndex(status));
	}

	/**
	 * Every status class, in order.
	 * @return {@code 1xx} to {@code 5xx}, then {@code none}
	 */
	public static List<String> statusClasses() {
		return STATUS_CLASSES;
	}

	private static int statusClassIndex(int status) {
		return (status >= 100 && status <= 599) ? status / 100 - 1 : STATUS_CLASSES.size() - 1;
	}

	/**
	 * Clients an intercept listener answered with an error status and closed, whatever the status.
	 * @return the total
	 */
	public long listenerRejections() {
		long sum = 0;
		for (LongAdder count : this.rejections.values()) {
			sum += count.sum();
		}
		return sum;
	}

	/**
	 * Intercept listener rejections by HTTP status.
	 * @return an unmodifiable map, ordered by status, with entries for 400, 408, 431, 502 and 503
	 * at least
	 */
	public Map<Integer, Long> listenerRejectionsByStatus() {
		Map<Integer, Long> result = new TreeMap<>();
		this.rejections.forEach((status, count) -> result.put(status, count.sum()));
		return Collections.unmodifiableMap(new LinkedHashMap<>(result));
	}

	@Override
	public String toString() {
		return "VConnStatistics[adoptions=" + adoptions() + ", failures=" + adoptionFailures() + ", aborts=" + aborts()
				+ ", closed=" + closed() + ", tunnels=" + tunnels() + ", intercepts=" + intercepts()
				+ ", transactions=" + transactions() + ", rejections=" + listenerRejections() + "]";
	}

	private static LongAdder[] adders(int count) {
		LongAdder[] adders = new LongAdder[count];
		for (int i = 0; i < count; i++) {
			adders[i] = new LongAdder();
		}
		return adders;
	}

	private static long sum(LongAdder[] adders) {
		long sum = 0;
		for (LongAdder adder : adders) {
			sum += adder.sum();
		}
		return sum;
	}

	private static <E extends Enum<E>> Map<E, Long> totals(Class<E> type, LongAdder[] adders) {
		Map<E, Long> totals = new EnumMap<>(type);
		for (E constant : type.getEnumConstants()) {
			totals.put(constant, adders[constant.ordinal()].sum());
		}
		return Collections.unmodifiableMap(totals);
	}

}
