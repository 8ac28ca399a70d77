package dev.vconn.autoconfigure.actuate;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.InterceptType;
import dev.vconn.metrics.VConnStatistics;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code vconn} actuator endpoint: the runtime's configuration, live connections and totals,
 * tunnels, the intercept listener, the registered intercept hooks with their intercept counts, one
 * VConn by id, and an abort operation.
 *
 * <p><b>Access:</b> read-only by default. The abort ({@code DELETE /actuator/vconn/{id}}) is
 * available only once {@code management.endpoint.vconn.access=unrestricted} grants it. Exposure
 * over HTTP follows Spring Boot's defaults: add {@code vconn} to
 * {@code management.endpoints.web.exposure.include}.
 *
 * <p><b>Threads:</b> operations run on the caller's (web or JMX) thread; they never block on an
 * event thread. An abort is carried out on the VConn's event thread shortly after the call.
 *
 * @since 0.1.0
 */
@Endpoint(id = "vconn", defaultAccess = Access.READ_ONLY)
public class VConnEndpoint {

	/** The most live connections listed by {@link #runtime()}, oldest first. */
	public static final int MAX_LISTED_CONNECTIONS = 100;

	private final VConnRuntime runtime;

	private final VConnStatistics statistics;

	private final InterceptHookRegistry hooks;

	private final Supplier<@Nullable InterceptListener> listener;

	private final Supplier<HandoffDescriptor> handoff;

	private final Clock clock;

	/**
	 * Creates an endpoint for a runtime without an intercept listener.
	 * @param runtime the runtime to describe
	 * @param statistics the totals of that runtime and its intercept listener
	 * @param hooks the registered intercept hooks
	 */
	public VConnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks) {
		this(runtime, statistics, hooks, () -> null);
	}

	/**
	 * Creates an endpoint.
	 * @param runtime the runtime to describe
	 * @param statistics the totals of that runtime and its intercept listener
	 * @param hooks the registered intercept hooks
	 * @param listener gives the intercept listener, or {@code null} when there is none; called on
	 * each read
	 */
	public VConnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks,
			Supplier<@Nullable InterceptListener> listener) {
		this(runtime, statistics, hooks, listener, () -> HandoffDescriptor.OFF, Clock.systemUTC());
	}

	/**
	 * Creates an endpoint that also shows the takeover state of the listener.
	 * @param runtime the runtime to describe
	 * @param statistics the totals of that runtime and its intercept listener
	 * @param hooks the registered intercept hooks
	 * @param listener gives the intercept listener, or {@code null} when there is none; called on
	 * each read
	 * @param handoff gives the takeover state; called on each read
	 */
	public VConnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks,
			Supplier<@Nullable InterceptListener> listener, Supplier<HandoffDescriptor> handoff) {
		this(runtime, statistics, hooks, listener, handoff, Clock.systemUTC());
	}

	VConnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks,
			Supplier<@Nullable InterceptListener> listener, Clock clock) {
		this(runtime, statistics, hooks, listener, () -> HandoffDescriptor.OFF, clock);
	}

	private VConnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks,
			Supplier<@Nullable InterceptListener> listener, Supplier<HandoffDescriptor> handoff, Clock clock) {
		this.runtime = runtime;
		this.statistics = statistics;
		this.hooks = hooks;
		this.listener = listener;
		this.handoff = handoff;
		this.clock = clock;
	}

	/**
	 * Describes the runtime.
	 * @return the transport, limits, live count, totals, tunnels, intercept listener, hooks and the
	 * oldest live connections
	 */
	@ReadOperation
	public RuntimeDescriptor runtime() {
		Instant now = this.clock.instant();
		List<VConnDescriptor> connections = this.runtime.vconns()
			.stream()
			.sorted(Comparator.comparingLong(VConn::id))
			.limit(MAX_LISTED_CONNECTIONS)
			.map((vconn) -> VConnDescriptor.of(vconn, now))
			.toList();
		VConnStatistics stats = this.statistics;
		List<HookDescriptor> hookDescriptors = this.hooks.registrations().stream().map((registration) -> {
			String name = registration.hook().name();
			Map<String, Map<String, Long>> intercepts = new LinkedHashMap<>();
			for (InterceptType type : InterceptType.values()) {
				intercepts.put(lowerCase(type), lowerCaseKeys(stats.interceptsOf(name, type)));
			}
			return new HookDescriptor(name, registration.order(), intercepts);
		}).toList();
		Map<String, Long> rejections = new LinkedHashMap<>();
		stats.listenerRejectionsByStatus().forEach((status, count) -> rejections.put(status.toString(), count));
		TransactionsDescriptor transactions = new TransactionsDescriptor(stats.transactions(),
				lowerCaseKeys(stats.transactionsByPath()), stats.transactionsByStatusClass());
		InterceptListener interceptListener = this.listener.get();
		ListenerDescriptor listenerDescriptor = (interceptListener != null)
				? new ListenerDescriptor(true, interceptListener.isRunning(), hostAndPort(interceptListener.address()),
						interceptListener.isInherited(), hostAndPort(interceptListener.origin()), transactions,
						new CountsDescriptor(stats.listenerRejections(), rejections), this.handoff.get())
				: new ListenerDescriptor(false, false, null, false, null, transactions,
						new CountsDescriptor(stats.listenerRejections(), rejections), this.handoff.get());
		TunnelsDescriptor tunnels = new TunnelsDescriptor(stats.activeTunnels(), stats.tunnels(),
				lowerCaseKeys(stats.tunnelsByEnd()), stats.splicedTunnels());
		return new RuntimeDescriptor(lowerCase(this.runtime.transport()),
				new FdAdoptionDescriptor(this.runtime.isFdAdoptionAvailable(),
						this.runtime.fdAdoptionUnavailableReason()),
				this.runtime.eventThreads(),
				this.runtime.isRunning(), this.runtime.isHealthy(),
				new LimitsDescriptor(this.runtime.maxConnections(), this.runtime.shutdownTimeout().toString()),
				this.runtime.activeCount(),
				new AdoptionsDescriptor(stats.adoptions(), stats.adoptionFailures(),
						lowerCaseKeys(stats.adoptionsBySource()), lowerCaseKeys(stats.adoptionFailuresByReason())),
				new CountsDescriptor(stats.aborts(), lowerCaseKeys(stats.abortsByCause())),
				new CountsDescriptor(stats.closed(), lowerCaseKeys(stats.closedByKind())),
				new BytesDescriptor(stats.bytesIn(), stats.bytesOut()), tunnels, listenerDescriptor, hookDescriptors,
				connections);
	}

	/**
	 * Describes one live VConn.
	 * @param id the VConn's id
	 * @return the VConn, or {@code null} (HTTP 404) if no live VConn has that id
	 */
	@ReadOperation
	public @Nullable VConnDescriptor vconn(@Selector long id) {
		return this.runtime.find(id).map((vconn) -> VConnDescriptor.of(vconn, this.clock.instant())).orElse(null);
	}

	/**
	 * Aborts one live VConn: the peer sees a reset, and the abort is counted with cause
	 * {@code api}. Denied unless {@code management.endpoint.vconn.access=unrestricted}.
	 * @param id the VConn's id
	 * @return the VConn as it was when the abort was requested, or {@code null} (HTTP 404) if no
	 * live VConn has that id
	 */
	@DeleteOperation
	public @Nullable VConnDescriptor abort(@Selector long id) {
		Optional<VConn> found = this.runtime.find(id);
		if (found.isEmpty()) {
			return null;
		}
		VConn vconn = found.get();
		VConnDescriptor descriptor = VConnDescriptor.of(vconn, this.clock.instant());
		vconn.abort(0);
		return descriptor;
	}

	private static String lowerCase(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT);
	}

	private static Map<String, Long> lowerCaseKeys(Map<? extends Enum<?>, Long> totals) {
		Map<String, Long> result = new LinkedHashMap<>();
		totals.forEach((key, value) -> result.put(lowerCase(key), value));
		return result;
	}

	private static @Nullable String address(@Nullable SocketAddress address) {
		return (address != null) ? address.toString() : null;
	}

	private static @Nullable String hostAndPort(@Nullable InetSocketAddress address) {
		if (address == null) {
			return null;
		}
		String host = (address.getAddress() != null) ? address.getAddress().getHostAddress() : address.getHostString();
		return ((host.indexOf(':') >= 0) ? "[" + host + "]" : host) + ":" + address.getPort();
	}

	/**
	 * The runtime, as {@link #runtime()} reports it.
	 *
	 * @param transport epoll or nio
	 * @param fdAdoption whether raw file descriptors can be adopted
	 * @param eventThreads the number of event threads of the main transport
	 * @param running whether the runtime takes new connections
	 * @param healthy whether it runs and every event thread is alive
	 * @param limits the configured limits
	 * @param active the VConns alive now
	 * @param adoptions adoption totals
	 * @param aborts abort totals, by cause
	 * @param closed totals of VConns that ended, by how they ended
	 * @param bytes byte totals
	 * @param tunnels tunnel totals
	 * @param listener the intercept listener and its rejections
	 * @param hooks the registered intercept hooks, in the order they run
	 * @param connections up to {@link #MAX_LISTED_CONNECTIONS} live VConns, oldest first
	 */
	public record RuntimeDescriptor(String transport, FdAdoptionDescriptor fdAdoption, int eventThreads, boolean running, boolean healthy,
			LimitsDescriptor limits, int active, AdoptionsDescriptor adoptions, CountsDescriptor aborts,
			CountsDescriptor closed, BytesDescriptor bytes, TunnelsDescriptor tunnels, ListenerDescriptor listener,
			List<HookDescriptor> hooks, List<VConnDescriptor> connections) implements OperationResponseBody {

	}

	/**
	 * Whether the runtime can adopt raw file descriptors.
	 *
	 * @param available whether {@code fdCreate(int)} can succeed
	 * @param unavailableReason why it cannot (the transport, or native access denied), or
	 * {@code null} when it can
	 */
	public record FdAdoptionDescriptor(boolean available, @Nullable String unavailableReason) {

	}

	/**
	 * The runtime's limits.
	 *
	 * @param maxConnections the most VConns alive at once, 0 for no limit
	 * @param shutdownTimeout how long live VConns may finish at shutdown, ISO-8601
	 */
	public record LimitsDescriptor(int maxConnections, String shutdownTimeout) {

	}

	/**
	 * Adoption totals since start-up.
	 *
	 * @param succeeded successful adoptions and connects
	 * @param failed failed adoptions and connects
	 * @param bySource successes by lower-case source
	 * @param failuresByReason failures by lower-case reason
	 */
	public record AdoptionsDescriptor(long succeeded, long failed, Map<String, Long> bySource,
			Map<String, Long> failuresByReason) {

	}

	/**
	 * A total and its breakdown.
	 *
	 * @param total the total
	 * @param by the total by lower-case cause or kind
	 */
	public record CountsDescriptor(long total, Map<String, Long> by) {

	}

	/**
	 * Byte totals since start-up.
	 *
	 * @param in bytes received from peers
	 * @param out bytes handed to the kernel for peers
	 */
	public record BytesDescriptor(long in, long out) {

	}

	/**
	 * Tunnel totals since start-up, whoever started the tunnels (the intercept listener's
	 * pass-through or the application).
	 *
	 * @param active tunnels moving bytes now
	 * @param total tunnels started
	 * @param byEnd tunnels that ended, by lower-case {@link dev.vconn.TunnelResult.End}
	 * @param spliced tunnels that ended having moved their bytes with zero-copy {@code splice(2)}
	 */
	public record TunnelsDescriptor(long active, long total, Map<String, Long> byEnd, long spliced) {

	}

	/**
	 * The intercept listener.
	 *
	 * @param enabled whether there is one ({@code vconn.listener.enabled=true})
	 * @param running whether it accepts connections
	 * @param address the address it is bound to, {@code host:port}, or {@code null} without a listener
	 * @param inherited whether it serves on a listening socket passed by systemd socket activation
	 * ({@code vconn.listener.inherit}) rather than one it bound
	 * @param origin where requests no hook claims go, {@code host:port}, or {@code null} without a
	 * listener or an origin (such requests then get 502)
	 * @param transactions the transactions it finished
	 * @param rejections clients answered with an error status and closed, by status
	 * @param handoff the takeover state
	 */
	public record ListenerDescriptor(boolean enabled, boolean running, @Nullable String address, boolean inherited,
			@Nullable String origin, TransactionsDescriptor transactions, CountsDescriptor rejections,
			HandoffDescriptor handoff) {

	}

	/**
	 * Zero-downtime restarts of the intercept listener ({@code vconn.handoff.*}).
	 *
	 * @param enabled whether takeovers are on
	 * @param path the Unix domain socket a successor takes over through, or {@code null} when off
	 * @param state {@code offering} (a successor may take over), {@code handed_over} (a successor
	 * serves; this instance is closing) or {@code closed}; {@code null} when off
	 * @param tookOver whether this instance took its listener over from a running one at start-up
	 */
	public record HandoffDescriptor(boolean enabled, @Nullable String path, @Nullable String state, boolean tookOver) {

		/** Takeovers off. */
		public static final HandoffDescriptor OFF = new HandoffDescriptor(false, null, null, false);

	}

	/**
	 * Transactions an intercept listener finished since start-up.
	 *
	 * @param total every finished transaction
	 * @param byPath by lower-case {@link dev.vconn.intercept.TransactionPath}
	 * @param byStatus by class of the response status sent: {@code 1xx} to {@code 5xx}, or
	 * {@code none} for connections handed over to an intercept
	 */
	public record TransactionsDescriptor(long total, Map<String, Long> byPath, Map<String, Long> byStatus) {

	}

	/**
	 * A registered intercept hook.
	 *
	 * @param name the hook's name
	 * @param order its order; lower runs first
	 * @param intercepts transactions it claimed or threw on, by lower-case
	 * {@link dev.vconn.intercept.InterceptType}, then by lower-case
	 * {@link dev.vconn.intercept.InterceptOutcome}; hooks sharing a name share these counts
	 */
	public record HookDescriptor(String name, int order, Map<String, Map<String, Long>> intercepts) {

	}

	/**
	 * One VConn.
	 *
	 * @param id its id
	 * @param remote the peer's address, or {@code null} for in-memory VConns
	 * @param local the local address, or {@code null} for in-memory VConns
	 * @param fd the descriptor it owns, or -1
	 * @param createdAt when it was created, ISO-8601
	 * @param age how long it has lived, ISO-8601
	 * @param bytesIn bytes received from the peer
	 * @param bytesOut bytes handed to the kernel for the peer
	 * @param state lower-case {@link dev.vconn.VConnState}
	 */
	public record VConnDescriptor(long id, @Nullable String remote, @Nullable String local, int fd, String createdAt,
			String age, long bytesIn, long bytesOut, String state) implements OperationResponseBody {

		static VConnDescriptor of(VConn vconn, Instant now) {
			Instant created = vconn.createdAt();
			Duration age = Duration.between(created, now);
			if (age.isNegative()) {
				age = Duration.ZERO;
			}
			return new VConnDescriptor(vconn.id(), address(vconn.remoteAddress()), address(vconn.localAddress()),
					vconn.fd(), created.toString(), age.toString(), vconn.bytesIn(), vconn.bytesOut(),
					lowerCase(vconn.state()));
		}

	}

}
