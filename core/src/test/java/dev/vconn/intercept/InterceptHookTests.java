package dev.vconn.intercept;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

import dev.vconn.AdoptionSource;
import dev.vconn.Continuation;
import dev.vconn.VConn;
import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.Payload;
import dev.vconn.testing.StreamingRoutes;
import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Hooks: dispatch in registry order, connection intercept ({@code NET_ACCEPT} with the request
 * replayed from its first byte, or {@code NET_ACCEPT_FAILED}), and hooks that throw.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterceptHookTests extends InterceptTestSupport {

	private static final long MiB = 1024 * 1024;

	@Test
	void hookClaimingATransactionGetsTheConnectionWithTheRequestReplayedFromItsFirstByte() throws Exception {
		AtomicReference<String> view = new AtomicReference<>();
		ClaimingHook claimer = new ClaimingHook("claimer", "/x") {
			@Override
			public void onTransaction(Transaction txn) {
				super.onTransaction(txn);
				view.set(txn.id() + "|" + txn.method() + "|" + txn.target() + "|" + txn.version() + "|"
						+ txn.header("HOST").orElse("?") + "|" + txn.headers("x-multi") + "|" + txn.headerNames() + "|"
						+ txn.claimedBy() + "|" + (txn.clientAddress() != null) + "|" + txn.localAddress());
			}
		};
		this.hooks.register(claimer);
		start();
		byte[] request = ascii("POST /x/first?y=2 HTTP/1.1\r\nHost: intercept.test\r\nx-multi: a\r\nX-Multi:  b \r\n"
				+ "Content-Length: 5\r\n\r\nhello");

		RawHttp.Response response = RawHttp.exchange(address(), request);

		assertThat(response.status()).isEqualTo(200);
		assertThat(response.bodyText()).isEqualTo("5 " + crc(ascii("hello")));
		InterceptedServer server = claimer.servers.poll(5, TimeUnit.SECONDS);
		VConn vconn = server.accepted.get(5, TimeUnit.SECONDS);
		assertThat(server.done).succeedsWithin(Duration.ofSeconds(5));
		assertThat(server.firstBytes()).isEqualTo(request);
		assertThat(vconn.localAddress()).isEqualTo(address());
		assertThat(this.events.sources()).containsEntry(vconn.id(), AdoptionSource.INTERCEPT);
		assertThat(this.events.intercepts()).extracting(Intercept::hook, Intercept::outcome)
			.containsExactly(tuple("claimer", InterceptOutcome.ACCEPTED));
		assertThat(this.origin.accepted()).isZero();
		assertThat(view.get()).matches("\\d+\\|POST\\|/x/first\\?y=2\\|HTTP/1.1\\|intercept.test\\|\\[a, b\\]\\|"
				+ "\\[(?i:host), (?i:x-multi), (?i:content-length)\\]\\|claimer\\|true\\|.*127.0.0.1.*");
	}

	@Test
	void unclaimedTransactionsPassThroughWhileClaimedOnesAreIntercepted() throws Exception {
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start();

		RawHttp.Response passed = RawHttp.exchange(address(), ascii("GET /echo/y HTTP/1.1\r\nHost: t\r\n\r\n"));
		RawHttp.Response claimed = RawHttp.exchange(address(), ascii("GET /x/y HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(passed.status()).isEqualTo(200);
		assertThat(passed.bodyText()).isEqualTo("GET /echo/y HTTP/1.1\r\nHost: t\r\n\r\n");
		assertThat(claimed.status()).isEqualTo(200);
		assertThat(claimed.bodyText()).isEqualTo("0 0");
		assertThat(this.origin.accepted()).isEqualTo(1);
		assertThat(this.events.intercepts()).extracting(Intercept::hook, Intercept::outcome)
			.containsExactly(tuple("claimer", InterceptOutcome.ACCEPTED));
		assertThat(claimer.seen).hasSize(2);
	}

	@Test
	void hooksRunInRegistryOrderAndTheFirstClaimWins() throws Exception {
		List<String> calls = new CopyOnWriteArrayList<>();
		ClaimingHook claimer = new ClaimingHook("claimer", "/x") {
			@Override
			public void onTransaction(Transaction txn) {
				calls.add("claimer");
				super.onTransaction(txn);
			}
		};
		ClaimingHook later = new ClaimingHook("later", "/") {
			@Override
			public void onTransaction(Transaction txn) {
				calls.add("later");
				super.onTransaction(txn);
			}
		};
		this.hooks.register(recording("unordered", calls));
		this.hooks.register(later, 10);
		this.hooks.register(claimer, 0);
		this.hooks.register(recording("first", calls), -5);
		this.hooks.register(recording("alsoFirst", calls), -5);
		start();

		RawHttp.Response response = RawHttp.exchange(address(), ascii("GET /x/order HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(response.status()).isEqualTo(200);
		assertThat(calls).containsExactly("first", "alsoFirst", "claimer");
		assertThat(this.events.intercepts()).extracting(Intercept::hook, Intercept::outcome)
			.containsExactly(tuple("claimer", InterceptOutcome.ACCEPTED));
		assertThat(claimer.servers).hasSize(1);
		assertThat(later.servers).isEmpty();
	}

	@Test
	void hookThatThrowsAnswers500AndTheNextHooksDoNotRun() throws Exception {
		List<String> calls = new CopyOnWriteArrayList<>();
		this.hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return "thrower";
			}

			@Override
			public void onTransaction(Transaction txn) {
				calls.add("thrower");
				throw new IllegalStateException("secret internal detail");
			}
		}, 0);
		this.hooks.register(recording("after", calls), 1);
		start();

		RawHttp.Response response = RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(response.status()).isEqualTo(500);
		assertThat(response.bodyText()).isEqualTo("500 Internal Server Error\n").doesNotContain("secret");
		assertThat(response.headers()).containsEntry("connection", "close");
		assertThat(calls).containsExactly("thrower");
		assertThat(this.events.intercepts()).extracting(Intercept::hook, Intercept::outcome)
			.containsExactly(tuple("thrower", InterceptOutcome.ERROR));
		assertThat(this.origin.accepted()).isZero();
	}

	@Test
	void interceptOnceTheHooksHaveRunIsRefused() throws Exception {
		AtomicReference<Transaction> kept = new AtomicReference<>();
		this.hooks.register(new InterceptHook() {
			@Override
			public void onTransaction(Transaction txn) {
				kept.set(txn);
			}
		});
		start();

		assertThat(RawHttp.exchange(address(), ascii("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")).status()).isEqualTo(200);

		Continuation late = (event, data) -> {
		};
		assertThatIllegalStateException().isThrownBy(() -> kept.get().intercept(late));
		assertThat(kept.get().claimedBy()).isNull();
		assertThat(this.events.intercepts()).isEmpty();
	}

	/**
	 * The runtime starts shutting down while a hook is claiming: the continuation must get exactly
	 * NET_ACCEPT_FAILED (and never the connection), the client is closed without an answer.
	 */
	@Test
	void claimWhileTheRuntimeShutsDownDeliversAcceptFailed() throws Exception {
		List<InterceptedServer> servers = new CopyOnWriteArrayList<>();
		AtomicReference<Thread> closer = new AtomicReference<>();
		this.hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return "claimer";
			}

			@Override
			public void onTransaction(Transaction txn) {
				InterceptedServer server = new InterceptedServer();
				servers.add(server);
				txn.intercept(server);
				Thread thread = new Thread(() -> InterceptHookTests.this.runtime.close(Duration.ofSeconds(5)));
				closer.set(thread);
				thread.start();
				// the hand-over happens after the hooks return: make sure the shutdown has begun by then
				await().atMost(Duration.ofSeconds(5)).until(() -> !InterceptHookTests.this.runtime.isRunning());
			}
		});
		start();

		RawHttp.Response response = RawHttp.exchange(address(), ascii("GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));

		assertThat(response).isNull();
		InterceptedServer server = servers.get(0);
		assertThat(server.acceptFailed).succeedsWithin(Duration.ofSeconds(5));
		assertThat(server.accepted).isNotDone();
		assertThat(this.events.intercepts()).extracting(Intercept::hook, Intercept::outcome)
			.containsExactly(tuple("claimer", InterceptOutcome.ACCEPT_FAILED));
		closer.get().join(10_000);
		assertThat(this.runtime.isRunning()).isFalse();
		assertThat(this.events.adoptions()).isZero();
	}

	@ParameterizedTest
	@EnumSource(value = TransportMode.class, names = { "EPOLL_SPLICE", "NIO" })
	void hundredMebibytesDownFromAnInterceptArriveIntact(TransportMode mode) throws Exception {
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start(mode, 0, UnaryOperator.identity());
		long size = 100 * MiB;
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

		HttpResponse<InputStream> response = client.send(
				HttpRequest.newBuilder(uri("/x/download?n=" + size + "&seed=15")).GET().build(),
				HttpResponse.BodyHandlers.ofInputStream());

		assertThat(response.statusCode()).isEqualTo(200);
		try (InputStream body = response.body()) {
			assertThat(Payload.read(body, Long.MAX_VALUE)).isEqualTo(new Payload.Received(size, Payload.checksum(15, size)));
		}
		InterceptedServer server = claimer.servers.poll(5, TimeUnit.SECONDS);
		assertThat(server.done).succeedsWithin(Duration.ofSeconds(10));
		assertThat(server.accepted.get().bytesOut()).isEqualTo(StreamingRoutes.responseHead(size).length + size);
	}

	@ParameterizedTest
	@EnumSource(value = TransportMode.class, names = { "EPOLL_SPLICE", "NIO" })
	void hundredMebibytesUpToAnInterceptArriveIntact(TransportMode mode) throws Exception {
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start(mode, 0, UnaryOperator.identity());
		long size = 100 * MiB;
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

		HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/x/upload"))
			.POST(HttpRequest.BodyPublishers.fromPublisher(
					HttpRequest.BodyPublishers.ofInputStream(() -> Payload.stream(16, size)), size))
			.build(), HttpResponse.BodyHandlers.ofString());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(size + " " + Payload.checksum(16, size));
		InterceptedServer server = claimer.servers.poll(5, TimeUnit.SECONDS);
		assertThat(server.done).succeedsWithin(Duration.ofSeconds(10));
	}

	/**
	 * The head the listener read before the hand-over came from the client's socket like every later
	 * byte: the VConn and the listener count it as received.
	 */
	@Test
	void replayedRequestBytesAreCountedAsReceivedByTheInterceptedVConn() throws Exception {
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start();
		byte[] request = ascii("POST /x/count HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");

		assertThat(RawHttp.exchange(address(), request).status()).isEqualTo(200);

		InterceptedServer server = claimer.servers.poll(5, TimeUnit.SECONDS);
		assertThat(server.done).succeedsWithin(Duration.ofSeconds(5));
		VConn vconn = server.accepted.get();
		assertThat(server.firstBytes()).isEqualTo(request);
		assertThat(vconn.bytesIn()).isEqualTo(request.length);
		assertThat(this.events.receivedBy(vconn.id())).isEqualTo(request.length);
	}

	@ParameterizedTest
	@EnumSource(value = TransportMode.class, names = { "EPOLL_SPLICE", "NIO" })
	void clientThatShutsDownItsOutputStillReceivesTheWholeInterceptedResponse(TransportMode mode) throws Exception {
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start(mode, 0, UnaryOperator.identity());
		long size = 8 * MiB;
		try (Socket socket = RawHttp.connect(address())) {
			socket.getOutputStream().write(ascii("GET /x/download?n=" + size + "&seed=19 HTTP/1.1\r\nHost: t\r\n\r\n"));
			socket.shutdownOutput();

			RawHttp.Response response = RawHttp.read(socket.getInputStream());

			assertThat(response).isNotNull();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.complete()).as("complete, failure %s", response.failure()).isTrue();
			assertThat(crc(response.body())).isEqualTo(Payload.checksum(19, size));
			assertThat(socket.getInputStream().read()).isEqualTo(-1);
		}
		assertThat(claimer.servers.poll(5, TimeUnit.SECONDS).done).succeedsWithin(Duration.ofSeconds(10));
	}

	@Test
	void curlReachesAnInterceptingHook() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/curl")));
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start();
		InetSocketAddress to = address();
		Process curl = new ProcessBuilder("/usr/bin/curl", "-sS", "--http1.1", "--max-time", "20", "--data-binary",
				"twelve bytes", "http://127.0.0.1:" + to.getPort() + "/x/curl")
			.redirectErrorStream(true)
			.start();
		assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
		String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
		assertThat(curl.exitValue()).as(output).isZero();
		assertThat(output).isEqualTo("12 " + crc(ascii("twelve bytes")));
		InterceptedServer server = claimer.servers.poll(5, TimeUnit.SECONDS);
		assertThat(new String(server.firstBytes(), StandardCharsets.ISO_8859_1)).startsWith("POST /x/curl HTTP/1.1\r\n")
			.endsWith("\r\n\r\ntwelve bytes");
	}

	/** A counting listener's adoptions equal its closes plus the live VConns, with connections open and after. */
	@Test
	void listenerAccountingHoldsWhileConnectionsAreOpenAndAfterTheyEnd() throws Exception {
		ClaimingHook claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(claimer);
		start();
		try (Socket held = RawHttp.connect(address()); Socket streaming = RawHttp.connect(address())) {
			held.getOutputStream().write(ascii("POST /x/held HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab"));
			assertThat(claimer.servers.poll(5, TimeUnit.SECONDS).accepted).succeedsWithin(Duration.ofSeconds(5));
			streaming.getOutputStream().write(ascii("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
			assertThat(StreamingRoutes.readHead(streaming.getInputStream())).isNotNull();
			streaming.getOutputStream().write(ascii("x"));
			assertThat(streaming.getInputStream().read()).isEqualTo('x');
			assertThat(RawHttp.exchange(address(), ascii("NOT HTTP\r\n\r\n")).status()).isEqualTo(400);

			// the intercepted client, the tunnelled client and its origin connection
			assertThat(this.runtime.activeCount()).isEqualTo(3);
			assertThat(this.events.adoptions()).isEqualTo(3);
			assertThat(this.events.reconciles(this.runtime.activeCount())).isTrue();

			held.getOutputStream().write(ascii("cd"));
			assertThat(RawHttp.read(held.getInputStream()).status()).isEqualTo(200);
			streaming.shutdownOutput();
			assertThat(streaming.getInputStream().read()).isEqualTo(-1);
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.activeCount() == 0);
		assertThat(this.events.closes()).isEqualTo(3);
		assertThat(this.events.reconciles(0)).isTrue();
		assertThat(this.events.rejections()).containsExactly(400);
	}

	private static InterceptHook recording(String name, List<String> calls) {
		return new InterceptHook() {
			@Override
			public String name() {
				return name;
			}

			@Override
			public void onTransaction(Transaction txn) {
				calls.add(name);
			}
		};
	}

	static long crc(byte[] bytes) {
		CRC32C crc = new CRC32C();
		crc.update(bytes);
		return crc.getValue();
	}

}
