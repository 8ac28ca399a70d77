package dev.vconn.transaction;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.Transaction;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.testing.CountingListener.Completed;
import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.ScriptedIntercept.Script;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source data of the meters: {@code onTransactionCompleted(path, status)} once per served
 * transaction, {@code onIntercept(hook, type, outcome)} with the way the hook claimed it, and
 * {@code onListenerRejection(status)} for each error answer.
 */
@OnEachTransport
class TransactionMetricsTests extends TransactionTestSupport {

	@Test
	void everyTransactionIsReportedWithItsPathAndStatus() throws IOException {
		this.origin.behave((request, exchange) -> {
			int status = Integer.parseInt(request.target().substring(request.target().lastIndexOf('/') + 1));
			exchange.out().write(HttpWire.ascii("HTTP/1.1 " + status + " Whatever\r\n"
					+ ((status == 204 || status == 304) ? "" : "Content-Length: 0\r\n") + "\r\n"));
			exchange.out().flush();
			return true;
		});
		this.scripts = (target) -> new Script().response((request) -> {
			int status = Integer.parseInt(target.substring(target.lastIndexOf('/') + 1));
			return HttpWire.ascii("HTTP/1.1 " + status + " Whatever\r\n"
					+ ((status == 204 || status == 304) ? "" : "Content-Length: 0\r\n") + "\r\n");
		});
		List<String> targets = List.of("/pt/status/200", "/si/status/201", "/pt/status/404", "/si/status/500",
				"/pt/status/204", "/si/status/304", "/si/status/302", "/pt/status/503");
		try (RawClient client = client()) {
			for (String target : targets) {
				Message response = client.exchange(HttpWire.get(target), "GET");
				assertThat(response.status()).as(target).isEqualTo(status(target));
			}
		}
		List<Completed> expected = targets.stream()
			.map((t) -> new Completed(t.startsWith("/si") ? TransactionPath.SERVER_INTERCEPTED
					: TransactionPath.PASS_THROUGH, status(t)))
			.toList();
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).isEqualTo(expected));
		assertThat(this.listener.intercepts()).hasSize(4)
			.containsOnly(new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED));
		assertThat(this.listener.rejections()).isEmpty();
	}

	@Test
	void connectionInterceptIsReportedAsInterceptedWithStatusZero() throws IOException {
		ConnectionAnswer answer = new ConnectionAnswer();
		this.connectionIntercept = (txn) -> answer;
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/3/before"), "GET").status()).isEqualTo(200);
			Message response = client.exchange(HttpWire.get("/ci/take-over", "X-Mine: 1\r\n"), "GET");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.bodyText()).isEqualTo("taken");
			assertThat(client.isClosedByPeer()).isTrue();
		}
		assertThat(answer.request).succeedsWithin(Duration.ofSeconds(10))
			.satisfies((head) -> assertThat(head).startsWith("GET /ci/take-over HTTP/1.1\r\n").contains("X-Mine: 1"));
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).containsExactly(
				new Completed(TransactionPath.PASS_THROUGH, 200), new Completed(TransactionPath.INTERCEPTED, 0)));
		assertThat(this.listener.intercepts())
			.containsExactly(new Intercept(HOOK, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED));
	}

	@Test
	void hookThatThrowsGets500AndIsCounted() throws IOException {
		InterceptHook failing = new InterceptHook() {
			@Override
			public String name() {
				return "failing";
			}

			@Override
			public void onTransaction(Transaction txn) {
				if (txn.target().endsWith("/boom")) {
					throw new IllegalStateException("boom");
				}
			}
		};
		this.hooks.register(failing, InterceptHookRegistry.HIGHEST_PRECEDENCE);
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/si/cl/1/fine"), "GET").status()).isEqualTo(200);
			Message response = client.exchange(HttpWire.get("/si/cl/1/boom"), "GET");
			assertThat(response.status()).isEqualTo(500);
			assertThat(response.bodyText()).doesNotContain("boom");
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(
				new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED),
				new Intercept("failing", InterceptType.INTERCEPT, InterceptOutcome.ERROR)));
		assertThat(this.listener.completed()).containsExactly(new Completed(TransactionPath.SERVER_INTERCEPTED, 200));
		assertThat(this.listener.rejections()).as("a 500 is not a rejection").isEmpty();
		assertThat(seenTargets()).containsExactly("/si/cl/1/fine");
	}

	@Test
	void errorAnswersAreReportedAsRejections() throws IOException {
		InterceptListener strict = proxy((builder) -> builder.maxHeaderSize(512).headerTimeout(Duration.ofMillis(300)));
		try (RawClient client = client(strict)) {
			assertThat(client.exchange(HttpWire.ascii("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n"), "GET").status())
				.isEqualTo(400);
		}
		try (RawClient client = client(strict)) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/1/big", "X-Big: " + "x".repeat(1000) + "\r\n"), "GET")
				.status()).isEqualTo(431);
		}
		try (RawClient client = client(strict)) {
			client.send("GET /pt/cl/1/slow HTTP/1.1\r\nHost: x\r\n");
			assertThat(client.read("GET").status()).as("head not complete in time").isEqualTo(408);
		}
		InetSocketAddress nowhere;
		try (ServerSocket unused = new ServerSocket(0)) {
			nowhere = new InetSocketAddress("127.0.0.1", unused.getLocalPort());
		}
		InetSocketAddress closedPort = nowhere;
		InterceptListener noOrigin = proxy((builder) -> builder.origin(closedPort));
		try (RawClient client = client(noOrigin)) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/1/unreachable"), "GET").status()).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(400, 431, 408, 502));
		assertThat(this.listener.completed()).isEmpty();
	}

	private static int status(String target) {
		return Integer.parseInt(target.substring(target.lastIndexOf('/') + 1));
	}

	/** Takes a client connection: reads the request head, answers, closes. */
	static final class ConnectionAnswer implements Continuation {

		final CompletableFuture<String> request = new CompletableFuture<>();

		private final Lock mutex = new ReentrantLock();

		private final IOBuffer in = IOBuffer.create();

		private final IOBufferReader inReader = this.in.allocReader();

		private final IOBuffer out = IOBuffer.create();

		private final IOBufferReader outReader = this.out.allocReader();

		private final StringBuilder head = new StringBuilder();

		private @Nullable VConn vconn;

		@Override
		public Lock mutex() {
			return this.mutex;
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			switch (event) {
				case NET_ACCEPT -> {
					this.vconn = (VConn) data;
					this.vconn.read(this, this.in, Long.MAX_VALUE);
				}
				case VCONN_READ_READY -> {
					this.head.append(this.inReader.readAll(java.nio.charset.StandardCharsets.ISO_8859_1));
					((VIO) data).reenable();
					if (!this.request.isDone() && this.head.indexOf("\r\n\r\n") >= 0) {
						this.request.complete(this.head.toString());
						byte[] response = HttpWire
							.ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\ntaken");
						this.out.write(response);
						this.vconn.write(this, this.outReader, response.length);
					}
				}
				case VCONN_WRITE_READY -> {
				}
				default -> end(); // WRITE_COMPLETE: handed to the kernel; EOS, ERROR, timeouts
			}
		}

		private void end() {
			this.vconn.close();
			this.in.close();
			this.out.close();
		}

	}

}
