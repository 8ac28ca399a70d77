package dev.vconn.transaction;

import java.io.IOException;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Expect: 100-continue}: the client sends its head, waits for 100 Continue, then sends the
 * body. Passed through, the origin's 100 is relayed; for a server intercept the listener answers
 * 100 itself and does not pass the expectation on.
 */
@OnEachTransport
class ExpectContinueTests extends TransactionTestSupport {

	@ParameterizedTest(name = "{0} body")
	@EnumSource(value = Framing.class, names = { "LENGTH", "CHUNKED" })
	void passThroughRelaysTheOrigins100ContinueThenItsFinalResponse(Framing framing) throws IOException {
		expectContinue("/pt/cl/100/expect", framing);
		Message seen = this.origin.requests().get(0);
		assertThat(seen.header("Expect")).as("the origin decides whether to continue").hasValue("100-continue");
		assertThat(seen.body()).isEqualTo(HttpWire.body("expected", 70_000));
		assertThat(this.origin.requests()).hasSize(2);
	}

	@ParameterizedTest(name = "{0} body")
	@EnumSource(value = Framing.class, names = { "LENGTH", "CHUNKED" })
	void serverInterceptGets100ContinueFromTheListener(Framing framing) throws IOException {
		expectContinue("/si/chunked/100/expect", framing);
		Message seen = this.intercepts.get(0).request().join();
		assertThat(seen.hasHeader("Expect")).as("the listener has met the expectation").isFalse();
		assertThat(seen.body()).isEqualTo(HttpWire.body("expected", 70_000));
		assertThat(seen.framing()).isEqualTo(framing);
	}

	@Test
	void aClientThatDoesNotWaitForContinueGetsTheInterimThenTheFinalResponse() throws IOException {
		byte[] body = HttpWire.body("eager", 5000);
		try (RawClient client = client()) {
			for (String target : new String[] { "/pt/cl/10/eager", "/si/cl/10/eager" }) {
				client.send(HttpWire.request("POST", target, "Expect: 100-continue\r\n", body, Framing.LENGTH));
				Message first = client.readAny("POST");
				assertThat(first.status()).as("first response to %s", target).isEqualTo(100);
				Message last = client.read("POST");
				assertThat(last.status()).isEqualTo(200);
				assertThat(last.header("X-Request-Body-Length")).hasValue("5000");
			}
		}
	}

	/** Head, wait for 100, body, final response; then one more request on the connection. */
	private void expectContinue(String target, Framing framing) throws IOException {
		byte[] body = HttpWire.body("expected", 70_000);
		byte[] whole = HttpWire.request("POST", target, "Expect: 100-continue\r\n", body, framing);
		int headEnd = HttpWire.text(whole).indexOf("\r\n\r\n") + 4;
		try (RawClient client = client()) {
			client.send(java.util.Arrays.copyOfRange(whole, 0, headEnd));
			Message interim = client.readAny("POST");
			assertThat(interim.status()).isEqualTo(100);
			client.send(java.util.Arrays.copyOfRange(whole, headEnd, whole.length));
			Message response = client.read("POST");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("X-Request-Body-Length")).hasValue(String.valueOf(body.length));
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			assertThat(client.exchange(HttpWire.get("/pt/cl/1/after"), "GET").status()).isEqualTo(200);
		}
	}

}
