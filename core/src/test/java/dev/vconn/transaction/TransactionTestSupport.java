package dev.vconn.transaction;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import dev.vconn.Continuation;
import dev.vconn.VConnEvent;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.Transaction;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.TestOrigin;
import dev.vconn.testing.TransportMode;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A runtime, a test origin and a per-transaction listener in front of it, with one hook that
 * counts every transaction it is offered, lets the test rewrite it, and serves every target that
 * starts with {@code /si} with a {@link ScriptedIntercept} or a continuation of the test's own, gives
 * the connection of a {@code /ci...} transaction to a continuation of the test's own, and lets
 * everything else pass through.
 *
 * <p>Each concrete class runs on every transport ({@link OnEachTransport}).
 *
 * <p>After each test: every client is closed, every server intercept got exactly one of
 * {@code NET_ACCEPT} / {@code NET_ACCEPT_FAILED}, always holding its mutex on an event thread, every
 * VConn ended, and the runtime's accounting holds (adoptions = closes + active).
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(60)
abstract class TransactionTestSupport {

	static final String HOOK = "router";

	private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

	private Duration closeTook = Duration.ZERO;

	private int abortedAtClose;

	/** A transaction as the hook saw it. */
	record Seen(String method, String target, String version, List<String> headerNames,
			@Nullable SocketAddress client) {
	}

	protected final CountingListener listener = new CountingListener();

	protected final InterceptHookRegistry hooks = new InterceptHookRegistry();

	/** Every {@code onTransaction} call of the hook, in order. */
	protected final List<Seen> seen = new CopyOnWriteArrayList<>();

	/** Every server intercept the hook claimed, in order. */
	protected final List<ScriptedIntercept> intercepts = new CopyOnWriteArrayList<>();

	/** The script of the intercept for a target. */
	protected volatile Function<String, ScriptedIntercept.Script> scripts = (target) -> new ScriptedIntercept.Script();

	/** A continuation of the test's own for a {@code /si...} transaction; {@code null} for a {@link ScriptedIntercept}. */
	protected volatile Function<Transaction, @Nullable Continuation> customIntercept = (txn) -> null;

	/** The continuation that takes the connection for a {@code /ci...} transaction ({@code Transaction#intercept}). */
	protected volatile Function<Transaction, @Nullable Continuation> connectionIntercept = (txn) -> null;

	/** What the hook does to each transaction before routing it. */
	protected volatile Consumer<Transaction> rewrite = (txn) -> {
	};

	private final List<RawClient> clients = new ArrayList<>();

	private final List<InterceptListener> proxies = new ArrayList<>();

	/** The transport of this run of the class ({@link OnEachTransport} on the concrete classes). */
	@Parameter
	@SuppressWarnings("NullAway.Init")
	protected TransportMode transport;

	@SuppressWarnings("NullAway.Init")
	protected VConnRuntime runtime;

	@SuppressWarnings("NullAway.Init")
	protected TestOrigin origin;

	@SuppressWarnings("NullAway.Init")
	protected InterceptListener proxy;

	@BeforeEach
	void startProxy() throws IOException {
		this.origin = new TestOrigin();
		this.transport.assumeAvailable();
		this.runtime = VConnRuntime.builder()
			.transport(this.transport.transport())
			.eventThreads(2)
			.addListener(this.listener)
			.shutdownTimeout(SHUTDOWN_TIMEOUT)
			.build();
		this.hooks.register(new RoutingHook());
		this.proxy = proxy(UnaryOperator.identity());
	}

	/** Starts another listener on the runtime, in front of the origin, configured by {@code customizer}. */
	protected InterceptListener proxy(UnaryOperator<InterceptListener.Builder> customizer) {
		InterceptListener started = customizer
			.apply(InterceptListener.builder(this.runtime, this.hooks)
				.addObserver(this.listener)
				.port(0)
				.origin(this.origin.address()))
			.start();
		this.proxies.add(started);
		return started;
	}

	protected RawClient client() throws IOException {
		return client(this.proxy);
	}

	protected RawClient client(InterceptListener to) throws IOException {
		RawClient client = new RawClient(to.address());
		this.clients.add(client);
		return client;
	}

	@AfterEach
	void checkAndStop() throws InterruptedException {
		try {
			this.clients.forEach(RawClient::close);
			for (ScriptedIntercept intercept : this.intercepts) {
				eventually().untilAsserted(() -> assertThat(intercept.events()
					.stream()
					.filter((e) -> e == VConnEvent.NET_ACCEPT || e == VConnEvent.NET_ACCEPT_FAILED)
					.count()).as("NET_ACCEPT or NET_ACCEPT_FAILED events of %s", intercept).isEqualTo(1));
				assertThat(intercept.events().get(0)).as("first event of %s", intercept)
					.isIn(VConnEvent.NET_ACCEPT, VConnEvent.NET_ACCEPT_FAILED);
				assertThat(intercept.mutexHeldOnEvents()).as("mutex held for every event of %s", intercept).isTrue();
				Thread thread = intercept.lastEventThread();
				assertThat(thread).isNotNull();
				assertThat(thread.getName()).as("event thread of %s", intercept).startsWith("vconn-");
			}
			eventually().untilAsserted(() -> assertThat(this.runtime.activeCount())
				.as("live VConns once the clients are gone: %s", this.runtime.vconns())
				.isZero());
			eventually().untilAsserted(() -> assertThat(this.listener.adoptions())
				.as("adoptions = closes + active")
				.isEqualTo(this.listener.closes() + this.runtime.activeCount()));
		}
		finally {
			this.intercepts.forEach(ScriptedIntercept::dispose);
			this.proxies.forEach(InterceptListener::close); // also after a test shut the runtime down
			long start = System.nanoTime();
			int abortedAtClose = this.runtime.close(SHUTDOWN_TIMEOUT);
			this.closeTook = Duration.ofNanos(System.nanoTime() - start);
			this.abortedAtClose = abortedAtClose;
			this.origin.close();
		}
		assertThat(this.abortedAtClose).as("VConns the runtime had to abort").isZero();
		assertThat(this.closeTook).as("time to drain the runtime: a connection slot still held makes it wait")
			.isLessThan(SHUTDOWN_TIMEOUT.dividedBy(2));
		assertThat(this.listener.adoptions()).as("adoptions = closes after the runtime closed")
			.isEqualTo(this.listener.closes());
	}

	protected static ConditionFactory eventually() {
		return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5));
	}

	/** The targets the hook was offered, in order. */
	protected List<String> seenTargets() {
		return this.seen.stream().map(Seen::target).toList();
	}

	/** The hook of every test: counts, rewrites, routes {@code /si...} to a server intercept. */
	private final class RoutingHook implements InterceptHook {

		@Override
		public String name() {
			return HOOK;
		}

		@Override
		public void onTransaction(Transaction txn) {
			TransactionTestSupport.this.seen.add(new Seen(txn.method(), txn.target(), txn.version(),
					List.copyOf(txn.headerNames()), txn.clientAddress()));
			TransactionTestSupport.this.rewrite.accept(txn);
			if (txn.target().startsWith("/ci")) {
				Continuation cont = TransactionTestSupport.this.connectionIntercept.apply(txn);
				if (cont != null) {
					txn.intercept(cont);
				}
				return;
			}
			if (txn.target().startsWith("/si")) {
				Continuation custom = TransactionTestSupport.this.customIntercept.apply(txn);
				if (custom != null) {
					txn.serverIntercept(custom);
					return;
				}
				ScriptedIntercept intercept = new ScriptedIntercept(txn.target(),
						TransactionTestSupport.this.scripts.apply(txn.target()));
				TransactionTestSupport.this.intercepts.add(intercept);
				txn.serverIntercept(intercept);
			}
		}

	}

}
