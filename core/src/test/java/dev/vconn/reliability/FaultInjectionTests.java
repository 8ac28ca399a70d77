package dev.vconn.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import dev.vconn.Adoption;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.Continuation;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.Transaction;
import dev.vconn.reliability.Reliability.Baseline;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.TestOrigin;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Faults injected on both sides of the listener, each repeated
 * {@code vconn.reliability.faults.rounds} times (default 20, full 200): every round has the
 * documented outcome, the counters the runtime reports match the rounds exactly, an ordinary
 * request still works afterwards, and when the test ends the process holds no more descriptors
 * or threads than before it started.
 */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NettyLeakCheck.class)
@Timeout(300)
class FaultInjectionTests {

	@RegisterExtension
	static final Figures figures = new Figures();

	private static final int ROUNDS = Reliability.size("faults.rounds", 20, 200);

	/** Rounds of the stalls, each of which lasts the origin timeout. */
	private static final int STALL_ROUNDS = Reliability.size("faults.stall-rounds", 3, 20);

	private static final Duration ORIGIN_TIMEOUT = Duration.ofMillis(500);

	private static final String HOOK = "faults";

	private final Tally tally = new Tally();

	private final InterceptHookRegistry hooks = new InterceptHookRegistry();

	private final List<InterceptListener> listeners = new ArrayList<>();

	/** Every scripted server intercept the hook handed a transaction to. */
	private final Queue<ScriptedIntercept> scripted = new ConcurrentLinkedQueue<>();

	/** The server intercept a {@code /si...} target gets. */
	private volatile Function<String, Continuation> intercept = (target) -> scripted(
			new ScriptedIntercept(target, new ScriptedIntercept.Script()));

	@SuppressWarnings("NullAway.Init")
	private Baseline outside;

	@SuppressWarnings("NullAway.Init")
	private TestOrigin origin;

	@SuppressWarnings("NullAway.Init")
	private VConnRuntime runtime;

	@SuppressWarnings("NullAway.Init")
	private Tally.Counts before;

	/** Runs every kind of exchange once, so that what is loaded once per process is in the baseline. */
	@BeforeAll
	static void warmUp() throws Exception {
		FaultInjectionTests warm = new FaultInjectionTests();
		warm.start();
		for (ListenerMode mode : ListenerMode.values()) {
			InterceptListener listener = warm.listener(mode, UnaryOperator.identity());
			warm.assertServed(listener, "/pt/cl/10/warm");
			if (mode == ListenerMode.PER_TRANSACTION) { // server intercepts need it
				warm.assertServed(listener, "/si/cl/10/warm");
			}
		}
		warm.shutdown();
	}

	@BeforeEach
	void start() throws IOException {
		this.outside = Baseline.take();
		this.origin = new TestOrigin();
		this.runtime = VConnRuntime.builder()
			.eventThreads(2)
			.addListener(this.tally)
			.shutdownTimeout(Duration.ofSeconds(10))
			.build();
		this.hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return HOOK;
			}

			@Override
			public void onTransaction(Transaction txn) {
				if (txn.target().startsWith("/si")) {
					txn.serverIntercept(FaultInjectionTests.this.intercept.apply(txn.target()));
				}
			}
		});
		this.before = this.tally.snapshot();
	}

	@AfterEach
	void stop(TestInfo test) throws InterruptedException {
		try {
			Reliability.within(Duration.ofSeconds(30)).until(() -> this.runtime.activeCount() == 0);
			Tally.Counts counted = this.tally.snapshot();
			assertThat(counted.sum("adopted.")).as("adoptions = closes").isEqualTo(counted.sum("closed."));
		}
		finally {
			shutdown();
		}
		this.outside.awaitReturn(test.getDisplayName());
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void originThatRefusesGets502(ListenerMode mode) throws IOException {
		InetSocketAddress refusing = closedPort();
		InterceptListener listener = listener(mode, (builder) -> builder.origin(refusing));
		for (int round = 0; round < ROUNDS; round++) {
			try (RawClient client = new RawClient(listener.address())) {
				Message response = client.exchange(HttpWire.get("/pt/cl/10/refused-" + round), "GET");
				assertThat(response.status()).as("round %d", round).isEqualTo(502);
				assertThat(client.isClosedByPeer()).as("round %d: closed after the 502", round).isTrue();
			}
		}
		Tally.Counts counted = awaitCounted("rejected.502", ROUNDS);
		assertThat(counted.sum("rejected.")).as("error answers").isEqualTo(ROUNDS);
		assertThat(counted.sum("completed.")).as("transactions completed").isZero();
		record("origin-refuses." + mode.key(), counted);
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void originThatResetsMidBodyNeverGivesTheClientACompleteLookingResponse(ListenerMode mode) throws IOException {
		byte[] partial = HttpWire.concat(HttpWire.ascii("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"),
				HttpWire.body("partial", 1000));
		this.origin.behave((request, exchange) -> {
			exchange.out().write(partial);
			exchange.out().flush();
			TestOrigin.reset(exchange.socket());
			return false;
		});
		InterceptListener listener = listener(mode, UnaryOperator.identity());
		for (int round = 0; round < ROUNDS; round++) {
			try (RawClient client = new RawClient(listener.address())) {
				client.send(HttpWire.get("/pt/cl/100000/reset-" + round));
				assertThatIOException().as("round %d: a response cut off by a reset must not look complete", round)
					.isThrownBy(() -> client.read("GET"));
			}
		}
		this.origin.behave(TestOrigin.STANDARD);
		assertServed(listener, "/pt/cl/10/after-resets");
		Tally.Counts counted = assertCompletedOnlyTheOrdinaryOnes(mode);
		assertThat(counted.sum("rejected.")).as("error answers: the response had started").isZero();
		record("origin-resets-mid-body." + mode.key(), counted);
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void originThatClosesWithoutAResponseGets502(ListenerMode mode) throws IOException {
		this.origin.behave((request, exchange) -> false);
		InterceptListener listener = listener(mode, UnaryOperator.identity());
		for (int round = 0; round < ROUNDS; round++) {
			try (RawClient client = new RawClient(listener.address())) {
				Message response = client.exchange(HttpWire.get("/pt/cl/10/silent-" + round), "GET");
				assertThat(response.status()).as("round %d", round).isEqualTo(502);
				assertThat(client.isClosedByPeer()).as("round %d: closed after the 502", round).isTrue();
			}
		}
		Tally.Counts counted = awaitCounted("rejected.502", ROUNDS);
		assertThat(counted.sum("rejected.")).as("error answers").isEqualTo(ROUNDS);
		// connection mode counts each connection once, as handed to its tunnel (status 0), before
		// the origin's silence is known; per-transaction mode completes none
		assertThat(counted.sum("completed.")).as("transactions completed")
			.isEqualTo((mode == ListenerMode.PER_TRANSACTION) ? 0 : ROUNDS);
		assertThat(counted.sum("completed.PASS_THROUGH.2")).as("responses relayed").isZero();
		record("origin-closes-without-response." + mode.key(), counted);
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void clientThatResetsMidBodyNeverReachesTheOriginAsACompleteRequest(ListenerMode mode) throws IOException {
		InterceptListener listener = listener(mode, UnaryOperator.identity());
		for (int round = 0; round < ROUNDS; round++) {
			RawClient client = new RawClient(listener.address());
			byte[] request = HttpWire.request("POST", "/pt/cl/10/client-reset-" + round, "", HttpWire.body("b", 100_000),
					Framing.LENGTH);
			client.send(java.util.Arrays.copyOf(request, request.length - 90_000));
			TestOrigin.reset(client.socket());
		}
		assertServed(listener, "/pt/cl/10/after-client-resets");
		Reliability.within(Duration.ofSeconds(30)).until(() -> this.runtime.activeCount() == 0);
		assertThat(this.origin.requests()).extracting(Message::target)
			.as("requests the origin read in full")
			.containsExactly("/pt/cl/10/after-client-resets");
		Tally.Counts counted = (mode == ListenerMode.PER_TRANSACTION)
				? assertCompletedOnlyTheOrdinaryOnes(mode) : counted();
		assertThat(counted.sum("rejected.")).as("error answers: nobody left to answer").isZero();
		// in connection mode a client that left before the origin connect completed is never tunnelled
		assertThat(counted.get("tunnels.started")).as("tunnels started = tunnels ended")
			.isEqualTo(counted.sum("tunnels.ended."));
		assertThat(counted.get("completed.PASS_THROUGH.0")).as("tunnels completed = tunnels started")
			.isEqualTo(counted.get("tunnels.started"));
		record("client-resets-mid-body." + mode.key(), counted);
	}

	@Test
	void interceptContinuationThatThrowsGets502AndItsVConnIsAborted() throws IOException {
		this.intercept = (target) -> (event, data) -> {
			throw new IllegalStateException("broken intercept for " + target);
		};
		InterceptListener listener = listener(ListenerMode.PER_TRANSACTION, UnaryOperator.identity());
		for (int round = 0; round < ROUNDS; round++) {
			try (RawClient client = new RawClient(listener.address())) {
				Message response = client.exchange(HttpWire.get("/si/cl/10/throws-" + round), "GET");
				assertThat(response.status()).as("round %d", round).isEqualTo(502);
				assertThat(response.bodyText()).as("round %d: no internal detail", round).doesNotContain("broken");
				assertThat(client.isClosedByPeer()).as("round %d: closed after the 502", round).isTrue();
			}
		}
		Tally.Counts counted = awaitCounted("intercept." + HOOK + ".SERVER_INTERCEPT.ERROR", ROUNDS);
		assertThat(counted.get("intercept." + HOOK + ".SERVER_INTERCEPT.ACCEPTED")).as("intercepts accepted")
			.isEqualTo(ROUNDS);
		assertThat(counted.get("rejected.502")).as("502 answers").isEqualTo(ROUNDS);
		assertThat(counted.get("aborted.INTERCEPT")).as("intercept VConns aborted").isEqualTo(ROUNDS);
		assertThat(counted.sum("completed.")).as("transactions completed").isZero();
		record("intercept-throws", counted);
	}

	/**
	 * Adoptions racing {@link VConnRuntime#close}: each either succeeds, and the runtime then ends
	 * the VConn and closes the fd, or fails with {@code SHUTTING_DOWN} and leaves the fd open and
	 * the caller's; the listener counts exactly that, and nothing of the closed runtimes stays.
	 */
	@Test
	void adoptionRacingRuntimeCloseEitherAdoptsOrLeavesTheFdToItsOwner() throws Exception {
		int adopters = 7;
		int adopted = 0;
		int refused = 0;
		ExecutorService pool = Executors.newFixedThreadPool(adopters + 1);
		try (NativeFds fds = new NativeFds()) {
			for (int round = 0; round < ROUNDS; round++) {
				Tally racing = new Tally();
				VConnRuntime doomed = VConnRuntime.builder().eventThreads(1).addListener(racing).build();
				List<Integer> sockets = new ArrayList<>();
				for (int i = 0; i < adopters; i++) {
					sockets.add(fds.connectedTcp().fd());
				}
				CyclicBarrier start = new CyclicBarrier(adopters + 1);
				List<Future<Adoption>> adoptions = new ArrayList<>();
				for (int fd : sockets) {
					adoptions.add(pool.submit(() -> {
						start.await();
						return doomed.factory().adopt(fd);
					}));
				}
				Future<Integer> closing = pool.submit(() -> {
					start.await();
					return doomed.close(Duration.ZERO);
				});
				closing.get(30, TimeUnit.SECONDS);
				int adoptedThisRound = 0;
				for (int i = 0; i < adopters; i++) {
					Adoption adoption = adoptions.get(i).get(30, TimeUnit.SECONDS);
					int fd = sockets.get(i);
					if (adoption.isSuccess()) {
						adoptedThisRound++;
						fds.release(fd);
						assertThat(adoption.vconn().isClosed()).as("round %d: VConn adopted during close()", round).isTrue();
						Reliability.within(Duration.ofSeconds(10)).until(() -> !NativeFds.isOpen(fd));
					}
					else {
						assertThat(adoption.failureReason()).as("round %d: %s", round, adoption)
							.isEqualTo(AdoptionFailureReason.SHUTTING_DOWN);
						assertThat(NativeFds.isOpen(fd)).as("round %d: refused fd %d still open", round, fd).isTrue();
						fds.closeFd(fd);
					}
				}
				Tally.Counts counted = racing.snapshot();
				assertThat(counted.get("adopted.FD")).as("round %d: adoptions counted", round).isEqualTo(adoptedThisRound);
				assertThat(counted.get("adoption-failed.FD.SHUTTING_DOWN")).as("round %d: refusals counted", round)
					.isEqualTo(adopters - adoptedThisRound);
				assertThat(counted.sum("closed.")).as("round %d: closes counted", round).isEqualTo(adoptedThisRound);
				adopted += adoptedThisRound;
				refused += adopters - adoptedThisRound;
			}
		}
		finally {
			pool.shutdownNow();
			assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
		}
		figures.record("adoption-racing-close.rounds", ROUNDS);
		figures.record("adoption-racing-close.attempts", ROUNDS * adopters);
		figures.record("adoption-racing-close.adopted-then-closed-by-shutdown", adopted);
		figures.record("adoption-racing-close.refused-shutting-down", refused);
	}

	// ---- support ----

	private ScriptedIntercept scripted(ScriptedIntercept intercept) {
		this.scripted.add(intercept);
		return intercept;
	}

	private InterceptListener listener(ListenerMode mode, UnaryOperator<InterceptListener.Builder> customizer) {
		InterceptListener listener = customizer
			.apply(mode.configure(InterceptListener.builder(this.runtime, this.hooks)
				.addObserver(this.tally)
				.port(0)
				.origin(this.origin.address())))
			.start();
		this.listeners.add(listener);
		return listener;
	}

	private void assertServed(InterceptListener listener, String target) throws IOException {
		try (RawClient client = new RawClient(listener.address())) {
			Message response = client.exchange(HttpWire.get(target), "GET");
			assertThat(response.status()).as(target).isEqualTo(200);
			assertThat(response.body()).as(target).isEqualTo(Responses.expectedBody(target));
		}
	}

	/**
	 * Per transaction, only the ordinary request after the faulty rounds completed; in connection
	 * mode every connection was tunnelled (a tunnel completes with status 0, whatever it carried).
	 */
	private Tally.Counts assertCompletedOnlyTheOrdinaryOnes(ListenerMode mode) {
		if (mode == ListenerMode.PER_TRANSACTION) {
			Tally.Counts counted = awaitCounted("completed.PASS_THROUGH.200", 1);
			assertThat(counted.sum("completed.")).as("transactions completed").isOne();
			return counted;
		}
		Tally.Counts counted = awaitCounted("completed.PASS_THROUGH.0", ROUNDS + 1);
		assertThat(counted.sum("completed.")).as("connections tunnelled").isEqualTo(ROUNDS + 1);
		assertThat(counted.get("tunnels.started")).as("tunnels started").isEqualTo(ROUNDS + 1);
		assertThat(counted.sum("tunnels.ended.")).as("tunnels ended").isEqualTo(ROUNDS + 1);
		return counted;
	}

	/** What the runtime counted since the test started, once every VConn has ended. */
	private Tally.Counts counted() {
		Reliability.within(Duration.ofSeconds(30)).until(() -> this.runtime.activeCount() == 0);
		return this.tally.snapshot().since(this.before);
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(ListenerMode.class)
	void originThatStallsGets504AtTheOriginTimeout(ListenerMode mode) throws Exception {
		CountDownLatch released = new CountDownLatch(1);
		this.origin.behave((request, exchange) -> {
			try {
				released.await(60, TimeUnit.SECONDS); // holds the request unanswered until the test ends
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return false;
		});
		InterceptListener listener = listener(mode, (builder) -> builder.originTimeout(ORIGIN_TIMEOUT));
		try {
			for (int round = 0; round < STALL_ROUNDS; round++) {
				try (RawClient client = new RawClient(listener.address())) {
					long start = System.nanoTime();
					Message response = client.exchange(HttpWire.get("/pt/cl/10/stalled-" + round), "GET");
					assertThat(response.status()).as("round %d", round).isEqualTo(504);
					assertThat(Duration.ofNanos(System.nanoTime() - start)).as("round %d: answered after", round)
						.isGreaterThanOrEqualTo(ORIGIN_TIMEOUT);
					assertThat(client.isClosedByPeer()).as("round %d: closed after the 504", round).isTrue();
				}
			}
		}
		finally {
			released.countDown();
		}
		Tally.Counts counted = awaitCounted("rejected.504", STALL_ROUNDS);
		assertThat(counted.sum("rejected.")).as("error answers").isEqualTo(STALL_ROUNDS);
		assertThat(counted.sum("completed.PASS_THROUGH.2")).as("transactions completed").isZero();
		record("origin-stalls." + mode.key(), counted);
	}

	@Test
	void serverInterceptThatNeverAnswersGets504AndItsVConnIsAbortedWithTimeout() throws IOException {
		this.intercept = (target) -> new ScriptedIntercept(target, new ScriptedIntercept.Script().hold());
		InterceptListener listener = listener(ListenerMode.PER_TRANSACTION,
				(builder) -> builder.originTimeout(ORIGIN_TIMEOUT));
		for (int round = 0; round < STALL_ROUNDS; round++) {
			try (RawClient client = new RawClient(listener.address())) {
				Message response = client.exchange(HttpWire.get("/si/cl/10/silent-" + round), "GET");
				assertThat(response.status()).as("round %d", round).isEqualTo(504);
				assertThat(client.isClosedByPeer()).as("round %d: closed after the 504", round).isTrue();
			}
		}
		Tally.Counts counted = awaitCounted("aborted.TIMEOUT", STALL_ROUNDS);
		assertThat(counted.get("rejected.504")).as("504 answers").isEqualTo(STALL_ROUNDS);
		assertThat(counted.sum("completed.")).as("transactions completed").isZero();
		record("intercept-stalls", counted);
	}

	private Tally.Counts awaitCounted(String key, long expected) {
		Reliability.within(Duration.ofSeconds(20)).until(() -> this.tally.snapshot().since(this.before).get(key) == expected);
		return counted();
	}

	private void record(String scope, Tally.Counts counted) {
		figures.record(scope + ".rounds", ROUNDS);
		counted.recordInto(figures, scope);
	}

	private static InetSocketAddress closedPort() throws IOException {
		try (ServerSocket unused = new ServerSocket(0)) {
			return new InetSocketAddress("127.0.0.1", unused.getLocalPort());
		}
	}

	private void shutdown() throws InterruptedException {
		this.scripted.forEach(ScriptedIntercept::dispose); // those the listener aborted never ended themselves
		this.listeners.forEach(InterceptListener::close);
		this.runtime.close(Duration.ofSeconds(10));
		this.origin.close();
	}

}
