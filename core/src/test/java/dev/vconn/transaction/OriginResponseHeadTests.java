package dev.vconn.transaction;

import java.io.IOException;
import java.util.stream.Stream;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The origin's response head as the pass-through relays it, read from the origin's bytes: the client
 * gets the listener's HTTP version, the origin's end-to-end fields as they came and none of its
 * hop-by-hop ones (RFC 9110 section 7.6.1), and a head that breaks RFC 9112 gets 502 instead of
 * reaching the client.
 */
@OnEachTransport
class OriginResponseHeadTests extends TransactionTestSupport {

	@Test
	void clientGetsTheOriginsEndToEndFieldsAsTheyCameAndNoneOfItsHopByHopOnes() throws IOException {
		this.origin.behave((request, exchange) -> {
			exchange.out().write(HttpWire.ascii("HTTP/1.0 203 Quite  OK\r\nConnection: keep-alive, X-Hop\r\n"
					+ "Keep-Alive: timeout=5\r\nX-Hop: secret\r\nx-CASE:  Kept\t \r\nUpgrade: h2c\r\nTE: trailers\r\n"
					+ "Proxy-Connection: keep-alive\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"));
			exchange.out().flush();
			return true;
		});
		try (RawClient client = client()) {
			for (int i = 0; i < 2; i++) {
				Message response = client.exchange(HttpWire.get("/pt/head-fields/" + i), "GET");
				assertThat(response.headText()).isEqualTo(
						"HTTP/1.1 203 Quite  OK\r\nx-CASE:  Kept\t \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\n");
				assertThat(response.bodyText()).isEqualTo("ok");
			}
		}
		assertThat(this.origin.accepted()).as("the HTTP/1.0 origin's keep-alive connection is reused").isEqualTo(1);
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("malformedHeads")
	void originHeadThatBreaksHttpGets502AndTheClientConnectionCloses(String what, String head) throws IOException {
		this.origin.behave((request, exchange) -> {
			exchange.out().write(HttpWire.ascii(head));
			exchange.out().flush();
			return true;
		});
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.get("/pt/malformed"), "GET");
			assertThat(response.status()).as(what).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		assertThat(this.listener.completed()).isEmpty();
	}

	/** One of each kind the scanner refuses (its own tests list them all): framing, field syntax, size. */
	static Stream<Arguments> malformedHeads() {
		String ok = "HTTP/1.1 200 OK\r\n";
		return Stream.of(Arguments.of("repeated Content-Length", ok + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nok!"),
				Arguments.of("obs-fold", ok + "X-A: a\r\n\tb\r\nContent-Length: 2\r\n\r\nok"),
				Arguments.of("head too large", ok + ("X-Filler: " + "f".repeat(1000) + "\r\n").repeat(70) + "\r\n"));
	}

	@Test
	void originThatClosesInsideAHeadOnAReusedConnectionGets502WithoutARetry() throws IOException {
		this.origin.behave((request, exchange) -> {
			boolean partial = request.target().endsWith("/partial");
			exchange.out().write(HttpWire.ascii(partial ? "HTTP/1.1 200 OK\r\nContent-Le" : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
			exchange.out().flush();
			return !partial;
		});
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/pt/first"), "GET").bodyText()).isEqualTo("ok");
			assertThat(client.exchange(HttpWire.get("/pt/partial"), "GET").status()).isEqualTo(502);
		}
		assertThat(this.origin.requests()).as("sent once, on the pooled connection").hasSize(2);
		assertThat(this.origin.accepted()).isEqualTo(1);
	}

	@Test
	void responseToHeadEndsWithItsHeadAndTheConnectionServesTheNextRequest() throws IOException {
		this.origin.behave((request, exchange) -> {
			String body = request.method().equals("HEAD") ? "" : "abc";
			exchange.out().write(HttpWire.ascii("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" + body));
			exchange.out().flush();
			return true;
		});
		try (RawClient client = client()) {
			client.send("HEAD /pt/head HTTP/1.1\r\nHost: origin.test\r\n\r\n");
			Message head = client.read("HEAD");
			assertThat(head.headText()).contains("Content-Length: 3\r\n");
			assertThat(head.body()).isEmpty();
			assertThat(client.exchange(HttpWire.get("/pt/after-head"), "GET").bodyText()).isEqualTo("abc");
		}
		assertThat(this.origin.accepted()).isEqualTo(1);
	}

}
