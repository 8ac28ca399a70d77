package dev.vconn.transaction;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.intercept.InterceptListener;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.TestOrigin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the next hop receives: pooled origin connections, {@code Via} and {@code X-Forwarded-For}
 * (and their absence when turned off), hop-by-hop headers removed, and header changes made by hooks
 * seen by the origin and by server intercepts alike.
 */
@OnEachTransport
class RequestForwardingTests extends TransactionTestSupport {

	@Test
	void passThroughReusesPooledOriginConnections() throws IOException {
		int requests = 0;
		for (int c = 0; c < 3; c++) {
			try (RawClient client = client()) {
				for (int i = 0; i < 5; i++) {
					String target = "/pt/cl/100/" + c + "-" + i;
					Message response = client.exchange(
							HttpWire.request("POST", target, "", HttpWire.body(target, 10), Framing.LENGTH), "POST");
					assertThat(response.status()).isEqualTo(200);
					assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
					requests++;
				}
			}
		}
		assertThat(this.origin.requests()).hasSize(requests);
		// one idle list per event loop: at most one connection per loop for sequential requests
		assertThat(this.origin.accepted()).as("origin connections for %s sequential requests", requests)
			.isLessThanOrEqualTo(this.runtime.eventThreads());
		assertThat(this.origin.received()).extracting(TestOrigin.Received::connection)
			.as("requests of one client connection share an origin connection")
			.startsWith(1, 1, 1, 1, 1);
	}

	@Test
	void passThroughAddsViaAndXForwardedForAfterTheClientsOwn() throws IOException {
		try (RawClient client = client()) {
			Message response = client.exchange(
					HttpWire.get("/pt/cl/1/a", "Via: 1.0 upstream\r\nX-Forwarded-For: 10.1.2.3\r\n"), "GET");
			assertThat(response.status()).isEqualTo(200);
			client.exchange(HttpWire.get("/pt/cl/1/b"), "GET");
		}
		Message first = this.origin.requests().get(0);
		assertThat(String.join(", ", first.headers("Via"))).isEqualTo("1.0 upstream, 1.1 vconn");
		assertThat(String.join(", ", first.headers("X-Forwarded-For"))).isEqualTo("10.1.2.3, 127.0.0.1");
		Message second = this.origin.requests().get(1);
		assertThat(second.headers("Via")).containsExactly("1.1 vconn");
		assertThat(second.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
	}

	@Test
	void withoutForwardedHeadersThePassThroughRequestHasNeither() throws IOException {
		InterceptListener plain = proxy((builder) -> builder.forwardedHeaders(false));
		try (RawClient client = client(plain)) {
			client.exchange(HttpWire.get("/pt/cl/1/a"), "GET");
			client.exchange(HttpWire.get("/pt/cl/1/b", "Via: 1.0 upstream\r\n"), "GET");
		}
		List<Message> requests = this.origin.requests();
		assertThat(requests).hasSize(2);
		assertThat(requests.get(0).hasHeader("Via")).isFalse();
		assertThat(requests.get(0).hasHeader("X-Forwarded-For")).isFalse();
		assertThat(requests.get(1).headers("Via")).containsExactly("1.0 upstream");
		assertThat(requests.get(1).hasHeader("X-Forwarded-For")).isFalse();
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void hopByHopHeadersAreNotForwarded(String route) throws IOException {
		String target = "/" + route + "/cl/10/hop";
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.request("POST", target,
					"Connection: keep-alive, X-Hop-One,x-hop-two\r\nX-Hop-One: 1\r\nX-Hop-Two: 2\r\n"
							+ "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nX-End-To-End: kept\r\n",
					HttpWire.body("hop", 20), Framing.CHUNKED), "POST");
			assertThat(response.status()).isEqualTo(200);
			// still keep-alive
			assertThat(client.exchange(HttpWire.get("/pt/cl/1/next"), "GET").status()).isEqualTo(200);
		}
		Message forwarded = route.equals("pt") ? this.origin.requests().get(0) : this.intercepts.get(0).request().join();
		assertThat(forwarded.hasHeader("X-Hop-One")).as("Connection-listed X-Hop-One").isFalse();
		assertThat(forwarded.hasHeader("X-Hop-Two")).as("Connection-listed x-hop-two").isFalse();
		assertThat(forwarded.hasHeader("Keep-Alive")).isFalse();
		assertThat(forwarded.hasHeader("Proxy-Connection")).isFalse();
		assertThat(forwarded.connectionTokens()).doesNotContain("x-hop-one", "x-hop-two", "keep-alive");
		assertThat(forwarded.header("X-End-To-End")).hasValue("kept");
		assertThat(forwarded.body()).isEqualTo(HttpWire.body("hop", 20));
	}

	/** The same rule on the way back: what the next hop declares hop-by-hop does not reach the client. */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void hopByHopResponseHeadersAreNotRelayed(String route) throws IOException {
		byte[] response = HttpWire.ascii("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop-Back\r\nX-Hop-Back: 1\r\n"
				+ "Keep-Alive: timeout=5\r\nX-End-To-End: kept\r\nContent-Length: 2\r\n\r\nok");
		this.origin.behave((request, exchange) -> {
			exchange.out().write(response);
			exchange.out().flush();
			return true;
		});
		this.scripts = (target) -> new ScriptedIntercept.Script().response((request) -> response);
		try (RawClient client = client()) {
			Message relayed = client.exchange(HttpWire.get("/" + route + "/hop-back"), "GET");
			assertThat(relayed.status()).isEqualTo(200);
			assertThat(relayed.bodyText()).isEqualTo("ok");
			assertThat(relayed.hasHeader("X-Hop-Back")).as("Connection-listed X-Hop-Back").isFalse();
			assertThat(relayed.hasHeader("Keep-Alive")).isFalse();
			assertThat(relayed.connectionTokens()).doesNotContain("x-hop-back");
			assertThat(relayed.header("X-End-To-End")).hasValue("kept");
			assertThat(client.exchange(HttpWire.get("/pt/cl/1/next"), "GET").status()).isEqualTo(200);
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void hookHeaderChangesReachTheNextHop(String route) throws IOException {
		this.rewrite = (txn) -> {
			assertThat(txn.header("X-Set")).hasValue("old");
			txn.setHeader("X-Set", "new");
			txn.addHeader("X-Added", "one");
			txn.addHeader("X-Added", "two");
			txn.removeHeader("x-remove");
			assertThat(txn.header("X-Set")).hasValue("new");
			assertThat(txn.headers("X-Added")).containsExactly("one", "two");
			assertThat(txn.header("X-Remove")).isEmpty();
		};
		String target = "/" + route + "/chunked/1000/rewrite";
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.request("PUT", target,
					"X-Set: old\r\nX-Remove: gone\r\nX-Kept: yes\r\n", HttpWire.body("put", 5000), Framing.LENGTH),
					"PUT");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
		}
		Message forwarded = route.equals("pt") ? this.origin.requests().get(0) : this.intercepts.get(0).request().join();
		assertThat(forwarded.method()).isEqualTo("PUT");
		assertThat(forwarded.headers("X-Set")).containsExactly("new");
		assertThat(forwarded.headers("X-Added")).containsExactly("one", "two");
		assertThat(forwarded.hasHeader("X-Remove")).isFalse();
		assertThat(forwarded.header("X-Kept")).hasValue("yes");
		assertThat(forwarded.body()).isEqualTo(HttpWire.body("put", 5000));
	}

	/**
	 * The race every keep-alive client has: the origin closes an idle connection just as a request
	 * is sent on it. A request without a body can safely be sent again on a fresh connection, and
	 * that connection, pooled afterwards, must carry later requests as well as any other.
	 */
	@Test
	void aRequestThatAPooledConnectionDropsIsRetriedAndTheNewConnectionStaysUsable() throws IOException {
		Map<Integer, AtomicInteger> served = new ConcurrentHashMap<>();
		this.origin.behave((request, exchange) -> {
			if (served.computeIfAbsent(exchange.connection(), (c) -> new AtomicInteger()).incrementAndGet() == 2) {
				return false; // closes without answering its second request
			}
			exchange.out().write(Responses.responseTo(request, "origin"));
			exchange.out().flush();
			return true;
		});
		try (RawClient client = client()) {
			for (int i = 0; i < 8; i++) {
				String target = "/pt/cl/10/" + i;
				Message response = client.exchange(HttpWire.get(target), "GET");
				assertThat(response.status()).as("request %s", i).isEqualTo(200);
				assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			}
		}
		assertThat(this.origin.requests()).extracting(Message::target).as("every request after the first is sent twice")
			.hasSize(15);
	}

	@Test
	void anOriginThatClosesAPooledConnectionDoesNotFailTheNextRequest() throws IOException {
		// answers keep-alive, then closes anyway: the pooled connection is dead when reused
		this.origin.behave((request, exchange) -> {
			exchange.out().write(Responses.responseTo(request, "origin"));
			exchange.out().flush();
			return false;
		});
		try (RawClient client = client()) {
			for (int i = 0; i < 10; i++) {
				String target = "/pt/cl/10/" + i;
				Message response = client.exchange(HttpWire.get(target), "GET");
				assertThat(response.status()).as("request %s", i).isEqualTo(200);
				assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			}
		}
		assertThat(this.origin.requests()).hasSize(10);
	}

}
