package dev.vconn.transaction;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import dev.vconn.CloseKind;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.TestOrigin;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The timeouts of every exchange in per-transaction mode: a next hop that does not start its
 * response within the origin timeout gives 504 (a server intercept's VConn is aborted with cause
 * {@code timeout}), a keep-alive connection with no next request is closed after the idle timeout,
 * a request started on it gets the header timeout, and idle pooled origin connections are closed.
 */
@OnEachTransport
class ExchangeTimeoutTests extends TransactionTestSupport {

	private static final Duration SHORT = Duration.ofMillis(300);

	@Test
	void originThatNeverAnswersGets504WithConnectionClose() throws Exception {
		CountDownLatch release = new CountDownLatch(1);
		this.origin.behave((request, exchange) -> {
			awaitQuietly(release);
			return false;
		});
		InterceptListener proxy = proxy((builder) -> builder.originTimeout(SHORT));
		try (RawClient client = client(proxy)) {
			long start = System.nanoTime();
			Message response = client.exchange(HttpWire.get("/pt/cl/10/stalled"), "GET");
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT);
			assertThat(response.status()).isEqualTo(504);
			assertThat(response.bodyText()).isEqualTo("504 Gateway Timeout\n");
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedGracefully()).isTrue();
		}
		finally {
			release.countDown();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(504));
	}

	@Test
	void everyExchangeOfAKeepAliveConnectionGetsTheWholeOriginTimeout() throws Exception {
		CountDownLatch release = new CountDownLatch(1);
		this.origin.behave((request, exchange) -> {
			if (request.target().endsWith("/stalled")) {
				awaitQuietly(release);
				return false;
			}
			if (request.target().endsWith("/slow")) {
				// two thirds of the origin timeout: two such answers in a row take longer than one timeout
				awaitQuietly(new CountDownLatch(1), SHORT.multipliedBy(2).dividedBy(3));
			}
			return TestOrigin.STANDARD.serve(request, exchange);
		});
		InterceptListener proxy = proxy((builder) -> builder.originTimeout(SHORT).idleTimeout(Duration.ofSeconds(30)));
		try (RawClient client = client(proxy)) {
			for (int i = 0; i < 3; i++) {
				assertThat(client.exchange(HttpWire.get("/pt/cl/10/slow"), "GET").status()).isEqualTo(200);
				assertThat(client.exchange(HttpWire.get("/pt/cl/10/quick"), "GET").status()).isEqualTo(200);
			}
			long start = System.nanoTime();
			Message response = client.exchange(HttpWire.get("/pt/cl/10/stalled"), "GET");
			assertThat(response.status()).isEqualTo(504);
			// the origin timeout, not the connection's idle timeout
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT)
				.isLessThan(Duration.ofSeconds(20));
		}
		finally {
			release.countDown();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(504));
	}

	@Test
	void serverInterceptThatNeverAnswersGets504AndItsVConnIsAbortedWithTimeout() throws Exception {
		this.scripts = (target) -> new ScriptedIntercept.Script().hold();
		InterceptListener proxy = proxy((builder) -> builder.originTimeout(SHORT));
		try (RawClient client = client(proxy)) {
			Message response = client.exchange(HttpWire.get("/si/cl/10/held"), "GET");
			assertThat(response.status()).isEqualTo(504);
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedGracefully()).isTrue();
		}
		ScriptedIntercept intercept = this.intercepts.get(0);
		eventually().untilAsserted(() -> assertThat(this.listener.aborted())
			.anySatisfy((aborted) -> {
				assertThat(aborted.vconn()).isSameAs(intercept.accepted().join());
				assertThat(aborted.cause()).isEqualTo(CloseKind.TIMEOUT);
			}));
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(504));
	}

	@Test
	void idleKeepAliveConnectionIsClosedQuietlyAfterTheIdleTimeout() throws Exception {
		InterceptListener proxy = proxy((builder) -> builder.idleTimeout(SHORT).headerTimeout(Duration.ofSeconds(30)));
		try (RawClient client = client(proxy)) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/10/one"), "GET").status()).isEqualTo(200);
			assertThat(client.exchange(HttpWire.get("/si/cl/10/two"), "GET").status()).isEqualTo(200);
			long idleFrom = System.nanoTime();
			assertThat(client.isClosedGracefully()).as("closed with a FIN and no response").isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - idleFrom)).isLessThan(Duration.ofSeconds(20));
		}
		assertThat(this.listener.rejections()).isEmpty();
	}

	@Test
	void requestStartedOnAnIdleConnectionGetsTheHeaderTimeout() throws Exception {
		InterceptListener proxy = proxy((builder) -> builder.idleTimeout(Duration.ofSeconds(30)).headerTimeout(SHORT));
		try (RawClient client = client(proxy)) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/10/one"), "GET").status()).isEqualTo(200);
			client.send("GET /pt/cl/10/slow HTTP/1.1\r\n");
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(408);
			assertThat(response.connectionTokens()).containsExactly("close");
		}
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(408));
	}

	@Test
	void responseSlowerThanTheHeaderTimeoutIsNotCutOffAndTheNextHeadGetsTheHeaderTimeoutAgain() throws Exception {
		this.origin.behave((request, exchange) -> {
			if (request.target().endsWith("/slow")) {
				// an origin that takes longer than the client's header timeout to answer
				awaitQuietly(new CountDownLatch(1), SHORT.multipliedBy(3));
			}
			return TestOrigin.STANDARD.serve(request, exchange);
		});
		InterceptListener proxy = proxy((builder) -> builder.idleTimeout(Duration.ofSeconds(30)).headerTimeout(SHORT));
		try (RawClient client = client(proxy)) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/10/slow"), "GET").status()).isEqualTo(200);
			assertThat(client.exchange(HttpWire.get("/pt/cl/10/next"), "GET").status()).isEqualTo(200);
			long started = System.nanoTime();
			client.send("GET /pt/cl/10/unfinished HTTP/1.1\r\n");
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(408);
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(SHORT)
				.isLessThan(Duration.ofSeconds(20));
		}
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(408));
	}

	@Test
	void idlePooledOriginConnectionsAreClosedAfterTheOriginIdleTimeout() throws Exception {
		InterceptListener proxy = proxy((builder) -> builder.originIdleTimeout(SHORT));
		try (RawClient client = client(proxy)) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/10/pooled"), "GET").status()).isEqualTo(200);
			eventually().untilAsserted(() -> assertThat(this.origin.closedConnections()).isEqualTo(1));
			// the client's own keep-alive connection still works, over a new origin connection
			assertThat(client.exchange(HttpWire.get("/pt/cl/10/again"), "GET").status()).isEqualTo(200);
		}
		assertThat(this.origin.accepted()).isEqualTo(2);
	}

	private static void awaitQuietly(CountDownLatch latch, Duration atMost) {
		try {
			latch.await(atMost.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
