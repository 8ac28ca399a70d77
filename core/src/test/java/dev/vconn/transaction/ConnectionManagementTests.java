package dev.vconn.transaction;

import java.io.IOException;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.ScriptedIntercept;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connection management (RFC 9112 section 9), pass-through ({@code pt}) and server intercept
 * ({@code si}) alike: a response after which the listener closes says {@code Connection: close}
 * and is followed by a FIN, never a reset; an HTTP/1.0 client that asked for keep-alive is told
 * {@code Connection: keep-alive} and its connection stays open.
 */
@OnEachTransport
class ConnectionManagementTests extends TransactionTestSupport {

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void connectionCloseIsEchoedAndTheConnectionEndsWithAFin(String route) throws IOException {
		String target = "/" + route + "/cl/100/close";
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.get(target, "Connection: close\r\n"), "GET");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedGracefully()).as("closed with a FIN").isTrue();
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void http10KeepAliveIsAnsweredWithKeepAliveWhileTheConnectionStaysOpen(String route) throws IOException {
		try (RawClient client = client()) {
			for (int i = 0; i < 3; i++) {
				String target = "/" + route + "/cl/50/keep-" + i;
				client.send("GET " + target + " HTTP/1.0\r\nHost: origin.test\r\nConnection: keep-alive\r\n\r\n");
				Message response = client.read("GET");
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
				assertThat(response.connectionTokens()).as("response %d", i).containsExactly("keep-alive");
			}
			String last = "/" + route + "/cl/50/last";
			client.send("GET " + last + " HTTP/1.0\r\nHost: origin.test\r\n\r\n");
			Message response = client.read("GET");
			assertThat(response.body()).isEqualTo(Responses.expectedBody(last));
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedGracefully()).as("closed with a FIN").isTrue();
		}
		assertThat(seenTargets()).hasSize(4);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void http10ClientGetsAChunkedResponseUnchunkedWithConnectionClose(String route) throws IOException {
		String target = "/" + route + "/chunked/3000/old-client";
		try (RawClient client = client()) {
			client.send("GET " + target + " HTTP/1.0\r\nHost: origin.test\r\nConnection: keep-alive\r\n\r\n");
			Message response = client.read("GET");
			assertThat(response.framing()).isEqualTo(HttpWire.Framing.CLOSE);
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			assertThat(response.connectionTokens()).containsExactly("close");
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void rejectionAfterAKeepAliveRequestSaysCloseAndEndsWithAFin(String route) throws IOException {
		try (RawClient client = client()) {
			Message first = client.exchange(HttpWire.get("/" + route + "/cl/10/first"), "GET");
			assertThat(first.connectionTokens()).isEmpty();
			client.send("GET /" + route + "/cl/10/no-host HTTP/1.1\r\nAccept: */*\r\n\r\n");
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(400);
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedGracefully()).as("closed with a FIN").isTrue();
		}
		assertThat(seenTargets()).containsExactly("/" + route + "/cl/10/first");
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void closeDelimitedResponseSaysClose(String route) throws IOException {
		String target = "/" + route + "/close/500/until-close";
		if (route.equals("si")) {
			this.scripts = (t) -> new ScriptedIntercept.Script().end(ScriptedIntercept.End.CLOSE);
		}
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.get(target), "GET");
			assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
			assertThat(response.connectionTokens()).containsExactly("close");
		}
	}

	/** Requests pipelined after one that asked to close are never served. */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void requestsAfterConnectionCloseAreNotServed(String route) throws IOException {
		try (RawClient client = client()) {
			client.send(HttpWire.concat(HttpWire.get("/" + route + "/cl/10/last", "Connection: close\r\n"),
					HttpWire.get("/" + route + "/cl/10/ignored")));
			Message response = client.read("GET");
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedByPeer()).isTrue();
		}
		assertThat(seenTargets()).containsExactly("/" + route + "/cl/10/last");
	}

}
