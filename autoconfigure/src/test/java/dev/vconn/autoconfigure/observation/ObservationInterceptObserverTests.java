package dev.vconn.autoconfigure.observation;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.sun.net.httpserver.HttpServer;
import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.Transaction;
import dev.vconn.intercept.TransactionObserver;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code vconn.transaction} observation of a real intercept listener on loopback, driven by the
 * JDK's HTTP client, with a real origin (the JDK's HTTP server) or none reachable.
 */
@Timeout(60)
class ObservationInterceptObserverTests {

	private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	private final TestObservationRegistry registry = TestObservationRegistry.create();

	private final VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).build();

	private final InterceptHookRegistry hooks = new InterceptHookRegistry();

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	private @Nullable HttpServer origin;

	private @Nullable InterceptListener listener;

	private ObservationInterceptObserver observer = new ObservationInterceptObserver(this.registry);

	@AfterEach
	void stop() {
		if (this.listener != null) {
			this.listener.close();
		}
		this.runtime.close();
		if (this.origin != null) {
			this.origin.stop(0);
		}
	}

	@Test
	void passThroughTransactionIsObservedFromHeadToRelayedResponse() throws Exception {
		List<@Nullable Observation> currentInHook = Collections.synchronizedList(new ArrayList<>());
		this.hooks.register(new InterceptHook() {
			@Override
			public void onTransaction(Transaction txn) {
				currentInHook.add(ObservationInterceptObserverTests.this.registry.getCurrentObservation());
			}
		});
		InterceptListener started = startListener(startOrigin());
		HttpResponse<String> first = get(started, "/hello");
		HttpResponse<String> second = get(started, "/hello");
		assertThat(first.statusCode()).isEqualTo(200);
		assertThat(second.body()).isEqualTo("hello from the origin");
		awaitStopped(2);
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("vconn.transaction", 2)
			.forAllObservationsWithNameEqualTo("vconn.transaction", (context) -> context.hasContextualNameEqualTo("vconn GET")
				.hasLowCardinalityKeyValue("outcome", "completed")
				.hasLowCardinalityKeyValue("path", "pass_through")
				.hasLowCardinalityKeyValue("type", "none")
				.hasLowCardinalityKeyValue("hook", "none")
				.hasLowCardinalityKeyValue("method", "GET")
				.hasLowCardinalityKeyValue("status", "200")
				.hasHighCardinalityKeyValue("network.peer.address", "127.0.0.1")
				.hasHighCardinalityKeyValueWithKey("network.peer.port")
				.doesNotHaveParentObservation()
				.doesNotHaveError());
		// hooks run on the event thread, inside no observation: none was left current there
		assertThat(currentInHook).hasSize(2).containsOnlyNulls();
	}

	@Test
	void transactionsEndingAlikeOrNotEachCountInTheTimerOfTheirOwnTags() throws Exception {
		SimpleMeterRegistry meters = new SimpleMeterRegistry();
		ObservationRegistry timed = ObservationRegistry.create();
		timed.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
		this.observer = new ObservationInterceptObserver(timed);
		InterceptListener started = startListener(startOrigin());
		// each combination twice, interleaved: key values made once per combination are reused
		// only for transactions that ended the same way
		List<String[]> sent = List.of(new String[] { "GET", "/hello", "200" }, new String[] { "POST", "/missing", "404" },
				new String[] { "PROPFIND", "/hello", "200" }, new String[] { "DELETE", "/hello", "200" });
		for (int round = 0; round < 2; round++) {
			for (String[] request : sent) {
				HttpResponse<String> response = send(started, request[0], request[1]);
				assertThat(response.statusCode()).hasToString(request[2]);
			}
		}
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(meters.find("vconn.transaction").timers().stream().mapToLong(Timer::count).sum())
				.isEqualTo(8));
		assertThat(meters.find("vconn.transaction").timers()).hasSize(4).allSatisfy((timer) -> {
			assertThat(timer.count()).isEqualTo(2);
			assertThat(timer.getId().getTag("outcome")).isEqualTo("completed");
			assertThat(timer.getId().getTag("path")).isEqualTo("pass_through");
			assertThat(timer.getId().getTag("type")).isEqualTo("none");
			assertThat(timer.getId().getTag("hook")).isEqualTo("none");
			assertThat(timer.getId().getTag("error")).isEqualTo("none");
		});
		assertThat(meters.find("vconn.transaction").timers())
			.extracting((timer) -> timer.getId().getTag("method") + " " + timer.getId().getTag("status"))
			.containsExactlyInAnyOrder("GET 200", "POST 404", "other 200", "DELETE 200");
		// the long task timer of transactions in flight is tagged as they start, and is empty again
		assertThat(meters.get("vconn.transaction.active").longTaskTimers()).allSatisfy((active) -> {
			assertThat(active.activeTasks()).isZero();
			assertThat(active.getId().getTag("outcome")).isEqualTo("unknown");
		});
	}

	@Test
	void clientsTraceContextIsReadableByATracingHandlerWhenTheObservationStarts() throws Exception {
		List<@Nullable String> extracted = Collections.synchronizedList(new ArrayList<>());
		this.registry.observationConfig().observationHandler(new ObservationHandler<TransactionObservationContext>() {
			@Override
			public void onStart(TransactionObservationContext context) {
				// what Micrometer Tracing's propagating receiver handler does to continue the trace
				extracted.add(context.getGetter().get(context.getCarrier(), "traceparent"));
			}

			@Override
			public boolean supportsContext(Observation.Context context) {
				return context instanceof TransactionObservationContext;
			}
		});
		InterceptListener started = startListener(startOrigin());
		String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
		URI uri = URI.create("http://127.0.0.1:" + started.address().getPort() + "/traced");
		HttpResponse<String> response = this.client.send(
				HttpRequest.newBuilder(uri).header("traceparent", traceparent).timeout(Duration.ofSeconds(20)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		awaitStopped(1);
		assertThat(extracted).containsExactly(traceparent);
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasSingleObservationThat()
			.hasLowCardinalityKeyValue("outcome", "completed")
			.hasLowCardinalityKeyValue("status", "200");
	}

	@Test
	void conventionShownInTheDocsNamesTheSpans() throws Exception {
		this.observer = new ObservationInterceptObserver(this.registry,
				new TracingConfiguration().transactionConvention());
		InterceptListener started = startListener(startOrigin());
		assertThat(get(started, "/named").statusCode()).isEqualTo(200);
		awaitStopped(1);
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasSingleObservationThat()
			.hasContextualNameEqualTo("proxy GET")
			.hasLowCardinalityKeyValue("outcome", "completed");
	}

	@Test
	void unreachableOriginIsObservedAsRejectedWith502() throws Exception {
		InterceptListener started = startListener(refusingAddress());
		HttpResponse<String> response = get(started, "/nowhere");
		assertThat(response.statusCode()).isEqualTo(502);
		awaitStopped(1);
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasSingleObservationThat()
			.hasNameEqualTo("vconn.transaction")
			.hasLowCardinalityKeyValue("outcome", "rejected")
			.hasLowCardinalityKeyValue("path", "pass_through")
			.hasLowCardinalityKeyValue("status", "502")
			.hasHighCardinalityKeyValue("network.peer.address", "127.0.0.1");
	}

	@Test
	void hookThatThrowsIsObservedAsRejectedWith500NamingTheHook() throws Exception {
		this.hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return "broken";
			}

			@Override
			public void onTransaction(Transaction txn) {
				throw new IllegalStateException("broken on purpose");
			}
		});
		InterceptListener started = startListener(startOrigin());
		HttpResponse<String> response = get(started, "/");
		assertThat(response.statusCode()).isEqualTo(500);
		awaitStopped(1);
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasSingleObservationThat()
			.hasLowCardinalityKeyValue("outcome", "rejected")
			.hasLowCardinalityKeyValue("path", "none")
			.hasLowCardinalityKeyValue("hook", "broken")
			.hasLowCardinalityKeyValue("status", "500");
	}

	@Test
	void noopRegistryFollowsNoTransaction() {
		ObservationInterceptObserver observer = new ObservationInterceptObserver(ObservationRegistry.NOOP);
		// a registry with no handler is a no-op too: nothing is allocated per transaction
		ObservationInterceptObserver withoutHandlers = new ObservationInterceptObserver(ObservationRegistry.create());
		// never read: a no-op registry returns before looking at the transaction
		Transaction txn = (Transaction) Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] { Transaction.class }, (proxy, method, args) -> {
					throw new AssertionError(method.getName() + " was called");
				});
		assertThat(observer.onTransactionStarted(txn)).isSameAs(TransactionObserver.noop());
		assertThat(withoutHandlers.onTransactionStarted(txn)).isSameAs(TransactionObserver.noop());
	}

	/**
	 * The end is reported once the response is written: the client may have it a moment before.
	 * The outcome is {@code unknown} from the start until the stop.
	 */
	private void awaitStopped(int transactions) {
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> TestObservationRegistryAssert.assertThat(this.registry)
				.hasNumberOfObservationsWithNameEqualTo("vconn.transaction", transactions)
				.forAllObservationsWithNameEqualTo("vconn.transaction",
						(context) -> context.doesNotHaveLowCardinalityKeyValue("outcome", "unknown")));
		if (transactions == 1) {
			TestObservationRegistryAssert.assertThat(this.registry).hasSingleObservationThat().hasBeenStopped();
		}
	}

	private InterceptListener startListener(InetSocketAddress originAddress) {
		this.listener = InterceptListener.builder(this.runtime, this.hooks)
			.port(0)
			.origin(originAddress)
			.addObserver(this.observer)
			.start();
		return this.listener;
	}

	private InetSocketAddress startOrigin() throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
		server.createContext("/missing", (exchange) -> {
			exchange.getRequestBody().readAllBytes();
			exchange.sendResponseHeaders(404, -1);
			exchange.close();
		});
		server.createContext("/", (exchange) -> {
			byte[] body = "hello from the origin".getBytes(StandardCharsets.UTF_8);
			exchange.getRequestBody().readAllBytes();
			exchange.sendResponseHeaders(200, body.length);
			exchange.getResponseBody().write(body);
			exchange.close();
		});
		server.start();
		this.origin = server;
		return server.getAddress();
	}

	/** An address on which nothing listens: its port was just given up. */
	private static InetSocketAddress refusingAddress() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
			return new InetSocketAddress(LOOPBACK, socket.getLocalPort());
		}
	}

	private HttpResponse<String> send(InterceptListener started, String method, String path) throws Exception {
		URI uri = URI.create("http://127.0.0.1:" + started.address().getPort() + path);
		return this.client.send(HttpRequest.newBuilder(uri)
			.timeout(Duration.ofSeconds(20))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> get(InterceptListener started, String path) throws Exception {
		URI uri = URI.create("http://127.0.0.1:" + started.address().getPort() + path);
		return this.client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build(),
				HttpResponse.BodyHandlers.ofString());
	}

}
