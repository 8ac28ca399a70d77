package dev.vconn.reliability;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.Transaction;
import dev.vconn.reliability.Reliability.Baseline;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.TestOrigin;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Churn: for {@code vconn.reliability.soak.seconds} (default 10, full 60), several clients at
 * once open and close connections with a random mix of keep-alive sequences, one request per
 * connection, pipelined batches, server-intercepted requests (with and without bodies) and
 * connection-mode tunnels. Every answer is checked; afterwards every counter of the runtime
 * reconciles exactly with what the clients did (transactions by path and status, intercepts,
 * tunnels, adoptions = closes), the origin read exactly the requests that were passed through,
 * and descriptors and threads return to their baseline.
 */
@EnabledOnOs(OS.LINUX)
@CountsProcessFds
@ExtendWith(NettyLeakCheck.class)
@Timeout(600)
class ChurnSoakTests {

	@RegisterExtension
	static final Figures figures = new Figures();

	private static final Duration SOAK = Reliability.seconds("soak.seconds", 10, 60);

	private static final int CLIENTS = Reliability.size("soak.clients", 4, 8);

	private static final String HOOK = "soak";

	/** What one client does with one connection. */
	enum Kind {

		/** Three requests in turn on one keep-alive connection. */
		KEEP_ALIVE,

		/** One request, then the client closes. */
		NEW_CONNECTION,

		/** Three requests in one write, then the three answers. */
		PIPELINED,

		/** A GET and a chunked POST served by a server intercept, on one connection. */
		INTERCEPTED,

		/** Two requests through a connection-mode tunnel. */
		TUNNELLED

	}

	/** What the clients did, counted on their side. */
	static final class Done {

		final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

		void add(String key, long n) {
			this.counts.computeIfAbsent(key, (k) -> new LongAdder()).add(n);
		}

		long get(String key) {
			LongAdder count = this.counts.get(key);
			return (count != null) ? count.sum() : 0;
		}

		Map<String, Long> all() {
			Map<String, Long> all = new TreeMap<>();
			this.counts.forEach((key, count) -> all.put(key, count.sum()));
			return all;
		}

	}

	@Test
	void everyCounterReconcilesAfterChurn() throws Exception {
		soak(Duration.ofSeconds(1), null); // loads what is loaded once per process
		Baseline outside = Baseline.take();
		soak(SOAK, figures);
		outside.awaitReturn("the soak, with the runtime, listeners and origin closed");
	}

	private static void soak(Duration length, @Nullable Figures figures) throws Exception {
		Tally tally = new Tally();
		Queue<ScriptedIntercept> intercepts = new ConcurrentLinkedQueue<>();
		InterceptHookRegistry hooks = new InterceptHookRegistry();
		hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return HOOK;
			}

			@Override
			public void onTransaction(Transaction txn) {
				if (txn.target().startsWith("/si")) {
					ScriptedIntercept intercept = new ScriptedIntercept(txn.target(), new ScriptedIntercept.Script());
					intercepts.add(intercept);
					txn.serverIntercept(intercept);
				}
			}
		});
		TestOrigin origin = new TestOrigin();
		Done done = new Done();
		ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
		try (VConnRuntime runtime = VConnRuntime.builder()
			.eventThreads(2)
			.addListener(tally)
			.shutdownTimeout(Duration.ofSeconds(10))
			.build();
				InterceptListener perTransaction = InterceptListener.builder(runtime, hooks)
					.addObserver(tally)
					.port(0)
					.origin(origin.address())
					.start();
				InterceptListener tunnels = InterceptListener.builder(runtime, hooks)
					.addObserver(tally)
					.port(0)
					.origin(origin.address())
					.perTransaction(false)
					.start()) {
			long deadline = System.nanoTime() + length.toNanos();
			List<Future<?>> running = new ArrayList<>();
			for (int c = 0; c < CLIENTS; c++) {
				Random random = new Random(c);
				String client = "c" + c;
				running.add(clients.submit(() -> {
					for (int n = 0; System.nanoTime() < deadline; n++) {
						Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
						churn(kind, (kind == Kind.TUNNELLED) ? tunnels : perTransaction, client + "-" + n, random, done);
					}
					return null;
				}));
			}
			for (Future<?> client : running) {
				client.get(length.toSeconds() + 120, TimeUnit.SECONDS);
			}
			Reliability.within(Duration.ofSeconds(30)).until(() -> runtime.activeCount() == 0);
			// both ends of every pooled or tunnelled origin connection still open are in this process
			Reliability.within(Duration.ofSeconds(30))
				.untilAsserted(() -> assertThat(tally.snapshot().sum("closed.")).isEqualTo(tally.snapshot().sum("adopted.")));
			Tally.Counts counted = tally.snapshot();
			long passedThrough = done.get("requests.KEEP_ALIVE") + done.get("requests.NEW_CONNECTION")
					+ done.get("requests.PIPELINED");
			long intercepted = done.get("requests.INTERCEPTED");
			long tunnelled = done.get("connections.TUNNELLED");
			assertThat(counted.sum("rejected.")).as("error answers").isZero();
			assertThat(counted.sum("aborted.")).as("aborts").isZero();
			assertThat(counted.get("completed.PASS_THROUGH.200")).as("transactions passed through").isEqualTo(passedThrough);
			assertThat(counted.get("completed.SERVER_INTERCEPTED.200")).as("transactions served by intercepts")
				.isEqualTo(intercepted);
			assertThat(counted.get("intercept." + HOOK + ".SERVER_INTERCEPT.ACCEPTED")).as("intercepts accepted")
				.isEqualTo(intercepted);
			assertThat(counted.sum("intercept.")).as("intercept outcomes").isEqualTo(intercepted);
			assertThat(counted.get("completed.PASS_THROUGH.0")).as("connections tunnelled").isEqualTo(tunnelled);
			assertThat(counted.get("tunnels.started")).as("tunnels started").isEqualTo(tunnelled);
			assertThat(counted.sum("tunnels.ended.")).as("tunnels ended").isEqualTo(tunnelled);
			assertThat(counted.sum("completed.")).as("transactions in all")
				.isEqualTo(passedThrough + intercepted + tunnelled);
			assertThat(counted.get("adopted.CONNECT")).as("origin connections of tunnels").isEqualTo(tunnelled);
			assertThat(counted.sum("adopted.")).as("adoptions = closes").isEqualTo(counted.sum("closed."));
			assertThat(origin.requests()).as("requests the origin read: passed through and tunnelled")
				.hasSize(Math.toIntExact(passedThrough + done.get("requests.TUNNELLED")));
			assertThat(intercepts).as("intercepts that ended themselves").allMatch((i) -> i.ended().isDone());
			if (figures != null) {
				figures.record("soak-seconds", length.toSeconds());
				figures.record("clients-at-once", CLIENTS);
				done.all().forEach((key, count) -> figures.record("clients." + key, count));
				figures.record("origin.requests-read", origin.requests().size());
				figures.record("origin.connections-accepted", origin.accepted());
				counted.recordInto(figures, "runtime");
				figures.record("fds-after-quiet", Reliability.openFds());
			}
		}
		finally {
			clients.shutdownNow();
			assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
			intercepts.forEach(ScriptedIntercept::dispose);
			origin.close();
		}
	}

	/** Does one connection's worth of {@code kind}, checking every answer. */
	private static void churn(Kind kind, InterceptListener listener, String id, Random random, Done done)
			throws IOException {
		try (RawClient client = new RawClient(listener.address())) {
			switch (kind) {
				case KEEP_ALIVE, TUNNELLED -> {
					int requests = (kind == Kind.KEEP_ALIVE) ? 3 : 2;
					for (int i = 0; i < requests; i++) {
						exchange(client, "/pt/" + framing(random) + "/" + random.nextInt(20_000) + "/" + id + "-" + i);
					}
					done.add("requests." + kind, requests);
				}
				case NEW_CONNECTION -> {
					exchange(client, "/pt/" + framing(random) + "/" + random.nextInt(20_000) + "/" + id);
					done.add("requests." + kind, 1);
				}
				case PIPELINED -> {
					List<String> targets = List.of("/pt/cl/100/" + id + "-a", "/pt/chunked/3000/" + id + "-b",
							"/pt/cl/0/" + id + "-c");
					client.send(HttpWire.concat(targets.stream().map(HttpWire::get).toArray(byte[][]::new)));
					for (String target : targets) {
						check(client.read("GET"), target);
					}
					done.add("requests." + kind, targets.size());
				}
				case INTERCEPTED -> {
					exchange(client, "/si/cl/" + random.nextInt(20_000) + "/" + id + "-get");
					String post = "/si/chunked/500/" + id + "-post";
					check(client.exchange(HttpWire.request("POST", post, "", HttpWire.body(id, random.nextInt(5_000)),
							Framing.CHUNKED), "POST"), post);
					done.add("requests." + kind, 2);
				}
			}
		}
		done.add("connections." + kind, 1);
	}

	/** {@code cl} or {@code chunked}: responses that keep the connection open. */
	private static String framing(Random random) {
		return random.nextBoolean() ? "cl" : "chunked";
	}

	private static void exchange(RawClient client, String target) throws IOException {
		check(client.exchange(HttpWire.get(target), "GET"), target);
	}

	private static void check(Message response, String target) {
		assertThat(response.status()).as(target).isEqualTo(200);
		assertThat(response.body()).as(target).isEqualTo(Responses.expectedBody(target));
	}

}
