package dev.vconn.transaction;

import java.io.IOException;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the listener ends a client connection: after a response to {@code Connection: close}, and
 * after a response to an HTTP/1.0 request without keep-alive, on both paths, and never before the
 * whole response was sent.
 */
@OnEachTransport
class ConnectionLifetimeTests extends TransactionTestSupport {

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "/pt/cl/1000/a, /si/chunked/1000/b", "/si/cl/1000/a, /pt/chunked/1000/b",
			"/pt/chunked/1000/a, /si/cl/1000/b", "/si/chunked/1000/a, /pt/cl/1000/b" })
	void connectionCloseFromTheClientEndsTheConnectionAfterTheResponse(String first, String last) throws IOException {
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get(first), "GET").body()).isEqualTo(Responses.expectedBody(first));
			Message response = client.exchange(HttpWire.request("POST", last, "Connection: close\r\n",
					HttpWire.body("bye", 3000), Framing.CHUNKED), "POST");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo(Responses.expectedBody(last));
			assertThat(client.isClosedByPeer()).as("closed after the response to Connection: close").isTrue();
		}
		assertThat(this.seen).hasSize(2);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/pt/cl/2000/old", "/si/cl/2000/old" })
	void http10RequestWithoutKeepAliveEndsTheConnectionAfterTheResponse(String target) throws IOException {
		try (RawClient client = client()) {
			client.send("GET " + target + " HTTP/1.0\r\nHost: origin.test\r\n\r\n");
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			assertThat(client.isClosedByPeer()).as("closed after the response to HTTP/1.0").isTrue();
		}
		assertThat(this.seen).extracting(Seen::version).containsExactly("HTTP/1.0");
	}

	/**
	 * A client that sends part of a request body and then closes its socket: the request can never
	 * be completed, so nothing may wait for the rest of it. The next hop never gets a complete
	 * request, its connection or pair is released, and so is the client connection (the test's
	 * teardown checks that the runtime drains at once).
	 */
	@ParameterizedTest(name = "{0}, {1} body")
	@CsvSource({ "pt, LENGTH", "pt, CHUNKED", "si, LENGTH", "si, CHUNKED" })
	void clientThatLeavesInTheMiddleOfItsBodyLeavesNothingWaiting(String route, Framing framing) throws IOException {
		byte[] request = HttpWire.request("POST", "/" + route + "/cl/10/truncated", "", HttpWire.body("cut", 100_000),
				framing);
		try (RawClient client = client()) {
			client.send(java.util.Arrays.copyOf(request, request.length - 50_000));
			if (route.equals("pt")) {
				eventually().until(() -> this.origin.accepted() == 1);
			}
			else {
				eventually().until(() -> this.intercepts.size() == 1 && this.intercepts.get(0).accepted().isDone());
			}
		}
		if (route.equals("pt")) {
			eventually().untilAsserted(() -> assertThat(this.origin.closedConnections())
				.as("origin connections closed").isEqualTo(1));
			assertThat(this.origin.requests()).isEmpty();
		}
		else {
			assertThat(this.intercepts.get(0).ended()).succeedsWithin(java.time.Duration.ofSeconds(10));
			assertThat(this.intercepts.get(0).request()).isNotDone();
		}
		eventually().untilAsserted(() -> assertThat(this.runtime.activeCount()).isZero());
	}

	/**
	 * An HTTP/1.0 client does not know chunked encoding (RFC 9112 section 7.1: a server must not send
	 * it to one), so a chunked response reaches it as the plain body, ended by the close.
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/pt/chunked/30000/old", "/si/chunked/30000/old" })
	void http10ClientGetsAChunkedResponseAsAPlainBodyEndedByTheClose(String target) throws IOException {
		try (RawClient client = client()) {
			client.send("GET " + target + " HTTP/1.0\r\nHost: origin.test\r\n\r\n");
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.hasHeader("Transfer-Encoding")).as("chunked sent to an HTTP/1.0 client").isFalse();
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
		}
	}

}
