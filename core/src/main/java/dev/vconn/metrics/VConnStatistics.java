package dev.vconn.metrics;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

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
 * The one count of what a runtime and its intercept listeners do: adoptions and their failures,
 * aborts and closes, bytes, tunnels, intercepts, finished transactions and rejections. Monitoring
 * reads these totals rather than counting again: the Spring Boot starter's Micrometer meters are
 * function counters over them and its {@code vconn} actuator endpoint shows them, so both always
 * agree. It needs no metrics library.
 *
 * <p><b>Usage:</b> add it to the runtime and to each intercept listener whose requests it should
 * count:
 * <pre>{@code
 * VConnStatistics statistics = new VConnStatistics();
 * VConnRuntime runtime = VConnRuntime.builder().addListener(statistics).build();
 * InterceptListener listener = InterceptListener.builder(runtime, hooks).addObserver(statistics).start();
 * }</pre>
 * The Spring Boot starter does both.
 *
 * <p><b>Accounting:</b> totals count from the moment it is added, so {@link #adoptions()} equals
 * {@link #closed()} plus the runtime's {@link dev.vconn.VConnRuntime#activeCount()} at any quiet
 * moment, and for every abortive {@link CloseKind} {@code k}, {@code aborts(k) == closed(k)}.
 *
 * <p><b>Bounds:</b> intercepts are kept by hook name; hook names are meant to be few and fixed
 * (see {@link dev.vconn.intercept.InterceptHook#name()}), and past {@link #MAX_HOOK_NAMES}
 * distinct names further ones are counted under {@link #OTHER_HOOKS}. Rejections are kept by
 * status: every status in {@link #rejectionStatuses()} from the start, others from their first
 * rejection. A {@link KeyListener} learns of each hook name and status as it is added.
 *
 * <p><b>Threads:</b> callbacks and getters are thread-safe, lock-free and never block; callbacks
 * allocate only when a hook name or status is seen for the first time. Getters read each counter
 * without a global snapshot, so totals read while connections come and go may be off by the
 * connections in flight.
 *
 * <p><b>Lifecycle:</b> the totals never reset; they outlive the runtime's close.
 *
 * <p>The class is longer than most on purpose: each count sits next to the callback that
 * increments it and the getters that read it, so the vocabulary of the counts (the hook-name cap,
 * the rejection statuses, the status classes) is defined in one place.
 *
 * @since 0.1.0
 */
public final class VConnStatistics implements VConnListener, InterceptObserver {

	/** The most distinct hook names counted one by one. */
	public static final int MAX_HOOK_NAMES = 100;

	/** The hook name that intercepts of hooks past {@link #MAX_HOOK_NAMES} are counted under. */
	public static final String OTHER_HOOKS = "other";

	/** The statuses an intercept listener answers rejected clients with, counted from the start. */
	private static final List<Integer> REJECTION_STATUSES = List.of(400, 408, 431, 502, 503);

	/** The status classes of finished transactions, {@code none} for connections handed over. */
	private static final List<String> STATUS_CLASSES = List.of("1xx", "2xx", "3xx", "4xx", "5xx", "none");

	private static final AdoptionSource[] SOURCES = AdoptionSource.values();

	private static final AdoptionFailureReason[] REASONS = AdoptionFailureReason.values();

	private static final CloseKind[] KINDS = CloseKind.values();

	private static final InterceptType[] TYPES = InterceptType.values();

	private static final InterceptOutcome[] OUTCOMES = InterceptOutcome.values();

	private static final TransactionPath[] PATHS = TransactionPath.values();

	private static final TunnelResult.End[] ENDS = TunnelResult.End.values();

	private final LongAdder[] adoptions = adders(SOURCES.length);

	/** Failures indexed {@code source * REASONS.length + reason}. */
	private final LongAdder[] failures = adders(SOURCES.length * REASONS.length);

	private final LongAdder[] aborts = adders(KINDS.length);

	private final LongAdder[] closed = adders(KINDS.length);

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

	private final List<KeyListener> keyListeners = new CopyOnWriteArrayList<>();

	/** Creates statistics with every total at zero. */
	public VConnStatistics() {
		for (int status : REJECTION_STATUSES) {
			this.rejections.put(status, new LongAdder());
		}
	}

	// ---- the runtime's callbacks ----

	@Override
	public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
		this.adoptions[source.ordinal()].increment();
	}

	@Override
	public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
		this.failures[source.ordinal() * REASONS.length + reason.ordinal()].increment();
	}

	@Override
	public void onAborted(VConn vconn, CloseKind cause, int error) {
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

	// ---- the intercept listeners' callbacks ----

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		LongAdder[] counts = this.intercepts.get(hook);
		if (counts == null) {
			counts = addHook(hook);
		}
		counts[type.ordinal() * OUTCOMES.length + outcome.ordinal()].increment();
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		this.transactions[path.ordinal() * STATUS_CLASSES.size() + statusClassIndex(status)].increment();
	}

	@Override
	public void onListenerRejection(int status) {
		LongAdder count = this.rejections.get(status);
		if (count == null) {
			count = this.rejections.computeIfAbsent(status, (key) -> new LongAdder());
			this.keyListeners.forEach((listener) -> listener.rejectionStatusAdded(status));
		}
		count.increment();
	}

	/**
	 * Counts a hook's intercepts from now on, so that they read zero before its first intercept.
	 * Past {@link #MAX_HOOK_NAMES} names, nothing is added.
	 * @param hook the hook's {@link dev.vconn.intercept.InterceptHook#name()}
	 */
	public void registerHook(String hook) {
		Objects.requireNonNull(hook, "hook");
		if (!this.intercepts.containsKey(hook) && this.intercepts.size() < MAX_HOOK_NAMES) {
			addHook(hook);
		}
	}

	/** The counts of a hook seen for the first time, or of {@link #OTHER_HOOKS} once the cap is reached. */
	private LongAdder[] addHook(String hook) {
		String name = (this.intercepts.size() < MAX_HOOK_NAMES) ? hook : OTHER_HOOKS;
		LongAdder[] counts = this.intercepts.get(name);
		if (counts != null) {
			return counts;
		}
		LongAdder[] created = adders(TYPES.length * OUTCOMES.length);
		counts = this.intercepts.putIfAbsent(name, created);
		if (counts != null) {
			return counts;
		}
		this.keyListeners.forEach((listener) -> listener.hookAdded(name));
		return created;
	}

	/**
	 * Adds a listener told of every hook name and rejection status that gets counts of its own
	 * from now on; those known already are read with {@link #interceptingHooks()} and
	 * {@link #listenerRejectionsByStatus()}, after adding it so that none is missed.
	 * @param listener the listener, called on the thread of the callback that added the key
	 */
	public void addKeyListener(KeyListener listener) {
		this.keyListeners.add(Objects.requireNonNull(listener, "listener"));
	}

	// ---- adoptions ----

	/**
	 * Successful adoptions and connects, whatever their source.
	 * @return the total
	 */
	public long adoptions() {
		return sum(this.adoptions);
	}

	/**
	 * Successful adoptions and connects of one source.
	 * @param source the source
	 * @return the total
	 */
	public long adoptions(AdoptionSource source) {
		return this.adoptions[source.ordinal()].sum();
	}

	/**
	 * Successful adoptions and connects by source.
	 * @return an unmodifiable map with an entry for every source
	 */
	public Map<AdoptionSource, Long> adoptionsBySource() {
		return totals(AdoptionSource.class, this::adoptions);
	}

	/**
	 * Failed adoptions and connects, whatever the source and reason.
	 * @return the total
	 */
	public long adoptionFailures() {
		return sum(this.failures);
	}

	/**
	 * Failed adoptions and connects of one source, for one reason.
	 * @param source what was being adopted
	 * @param reason why it failed
	 * @return the total
	 */
	public long adoptionFailures(AdoptionSource source, AdoptionFailureReason reason) {
		return this.failures[source.ordinal() * REASONS.length + reason.ordinal()].sum();
	}

	/**
	 * Failed adoptions and connects by reason, whatever the source.
	 * @return an unmodifiable map with an entry for every reason
	 */
	public Map<AdoptionFailureReason, Long> adoptionFailuresByReason() {
		return totals(AdoptionFailureReason.class, (reason) -> {
			long sum = 0;
			for (AdoptionSource source : SOURCES) {
				sum += adoptionFailures(source, reason);
			}
			return sum;
		});
	}

	// ---- endings ----

	/**
	 * Aborted VConns, whatever the cause.
	 * @return the total
	 */
	public long aborts() {
		return sum(this.aborts);
	}

	/**
	 * VConns aborted with one cause.
	 * @param cause an abortive kind ({@link CloseKind#isAbort()}); others read 0
	 * @return the total
	 */
	public long aborts(CloseKind cause) {
		return this.aborts[cause.ordinal()].sum();
	}

	/**
	 * Aborted VConns by cause.
	 * @return an unmodifiable map with an entry for every abortive {@link CloseKind}, in order
	 */
	public Map<CloseKind, Long> abortsByCause() {
		Map<CloseKind, Long> totals = new EnumMap<>(CloseKind.class);
		for (CloseKind kind : KINDS) {
			if (kind.isAbort()) {
				totals.put(kind, aborts(kind));
			}
		}
		return Collections.unmodifiableMap(totals);
	}

	/**
	 * VConns that ended, however they ended.
	 * @return the total
	 */
	public long closed() {
		return sum(this.closed);
	}

	/**
	 * VConns that ended one way.
	 * @param how how they ended
	 * @return the total
	 */
	public long closed(CloseKind how) {
		return this.closed[how.ordinal()].sum();
	}

	/**
	 * VConns that ended, by how they ended.
	 * @return an unmodifiable map with an entry for every kind
	 */
	public Map<CloseKind, Long> closedByKind() {
		return totals(CloseKind.class, this::closed);
	}

	// ---- bytes and tunnels ----

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
		return totals(TunnelResult.End.class, (end) -> this.tunnelsEnded[end.ordinal()].sum());
	}

	/**
	 * Tunnels that ended having moved their bytes with zero-copy {@code splice(2)}.
	 * @return the total
	 */
	public long splicedTunnels() {
		return this.tunnelsSpliced.sum();
	}

	// ---- intercepts, transactions, rejections ----

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
	 * Intercepts of one hook, type and outcome.
	 * @param hook the hook's name, or {@link #OTHER_HOOKS}
	 * @param type how the hook claimed the transactions
	 * @param outcome what became of them
	 * @return the total, 0 for a hook never seen
	 */
	public long intercepts(String hook, InterceptType type, InterceptOutcome outcome) {
		LongAdder[] counts = this.intercepts.get(hook);
		return (counts != null) ? counts[type.ordinal() * OUTCOMES.length + outcome.ordinal()].sum() : 0;
	}

	/**
	 * Intercepts of one hook, by outcome, whatever their type.
	 * @param hook the hook's {@link dev.vconn.intercept.InterceptHook#name()}
	 * @return an unmodifiable map with an entry for every outcome, zeros for a hook never seen
	 */
	public Map<InterceptOutcome, Long> interceptsOf(String hook) {
		return totals(InterceptOutcome.class, (outcome) -> {
			long sum = 0;
			for (InterceptType type : TYPES) {
				sum += intercepts(hook, type, outcome);
			}
			return sum;
		});
	}

	/**
	 * Intercepts of one hook and type, by outcome.
	 * @param hook the hook's {@link dev.vconn.intercept.InterceptHook#name()}
	 * @param type how the hook claimed the transactions
	 * @return an unmodifiable map with an entry for every outcome, zeros for a hook never seen
	 */
	public Map<InterceptOutcome, Long> interceptsOf(String hook, InterceptType type) {
		return totals(InterceptOutcome.class, (outcome) -> intercepts(hook, type, outcome));
	}

	/**
	 * The hook names counted so far, registered or seen.
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
	 * Transactions finished one way, with one status class.
	 * @param path which way they were served
	 * @param statusClass one of {@link #statusClasses()}
	 * @return the total
	 * @throws IllegalArgumentException if {@code statusClass} is not one of them
	 */
	public long transactions(TransactionPath path, String statusClass) {
		int index = STATUS_CLASSES.indexOf(statusClass);
		if (index < 0) {
			throw new IllegalArgumentException("Unknown status class '" + statusClass + "'");
		}
		return this.transactions[path.ordinal() * STATUS_CLASSES.size() + index].sum();
	}

	/**
	 * Finished transactions by the way they were served.
	 * @return an unmodifiable map with an entry for every path
	 */
	public Map<TransactionPath, Long> transactionsByPath() {
		return totals(TransactionPath.class, (path) -> {
			long sum = 0;
			for (String statusClass : STATUS_CLASSES) {
				sum += transactions(path, statusClass);
			}
			return sum;
		});
	}

	/**
	 * Finished transactions by the class of the response status sent to the client.
	 * @return an unmodifiable map with an entry for every one of {@link #statusClasses()}, in
	 * that order
	 */
	public Map<String, Long> transactionsByStatusClass() {
		Map<String, Long> totals = new LinkedHashMap<>();
		for (String statusClass : STATUS_CLASSES) {
			long sum = 0;
			for (TransactionPath path : PATHS) {
				sum += transactions(path, statusClass);
			}
			totals.put(statusClass, sum);
		}
		return Collections.unmodifiableMap(totals);
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
	 * Clients an intercept listener answered with one status and closed.
	 * @param status the HTTP status
	 * @return the total
	 */
	public long listenerRejections(int status) {
		LongAdder count = this.rejections.get(status);
		return (count != null) ? count.sum() : 0;
	}

	/**
	 * Intercept listener rejections by HTTP status.
	 * @return an unmodifiable map, ordered by status, with an entry for every one of
	 * {@link #rejectionStatuses()} at least
	 */
	public Map<Integer, Long> listenerRejectionsByStatus() {
		Map<Integer, Long> result = new TreeMap<>();
		this.rejections.forEach((status, count) -> result.put(status, count.sum()));
		return Collections.unmodifiableMap(new LinkedHashMap<>(result));
	}

	// ---- the vocabulary of the counts ----

	/**
	 * The statuses an intercept listener answers rejected clients with, counted from the start.
	 * @return 400, 408, 431, 502 and 503
	 */
	public static List<Integer> rejectionStatuses() {
		return REJECTION_STATUSES;
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
	 * @return {@code 1xx} to {@code 5xx}, then {@code none} for connections handed over
	 */
	public static List<String> statusClasses() {
		return STATUS_CLASSES;
	}

	private static int statusClassIndex(int status) {
		return (status >= 100 && status <= 599) ? status / 100 - 1 : STATUS_CLASSES.size() - 1;
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

	private static <E extends Enum<E>> Map<E, Long> totals(Class<E> type, ToLongFunction<E> total) {
		Map<E, Long> totals = new EnumMap<>(type);
		for (E constant : type.getEnumConstants()) {
			totals.put(constant, total.applyAsLong(constant));
		}
		return Collections.unmodifiableMap(totals);
	}

	/**
	 * Told when a hook name or a rejection status gets counts of its own, so that a binder can
	 * publish its series. Both methods default to no-ops.
	 *
	 * <p><b>Threads:</b> called on the thread of the callback that counted the key first, at most
	 * once per key; must be fast and must not block.
	 */
	public interface KeyListener {

		/**
		 * A hook name, or {@link #OTHER_HOOKS}, has intercept counts now.
		 * @param hook the name
		 */
		default void hookAdded(String hook) {
		}

		/**
		 * A rejection status not in {@link #rejectionStatuses()} has a count now.
		 * @param status the HTTP status
		 */
		default void rejectionStatusAdded(int status) {
		}

	}

}
