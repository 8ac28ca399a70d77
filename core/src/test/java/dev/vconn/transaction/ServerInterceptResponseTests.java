package dev.vconn.transaction;

import java.io.IOException;

import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.ScriptedIntercept.End;
import dev.vconn.testing.ScriptedIntercept.Script;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The response a server intercept writes into its pair, as the listener relays it: read from the
 * intercept's bytes by the rules the origin's responses follow (RFC 9112), so the client gets the
 * listener's HTTP version, the intercept's end-to-end fields as they came and none of its hop-by-hop
 * ones, its interim responses before the final one, and a 502 for a head that breaks HTTP.
 */
@OnEachTransport
class ServerInterceptResponseTests extends TransactionTestSupport {

	@Test
	void clientGetsTheInterceptsEndToEndFieldsAsTheyCameAndTheConnectionStaysTheListeners() throws IOException {
		// the intercept's Connection: close is about its pair, which carries one transaction
		this.scripts = (target) -> new Script().response((request) -> HttpWire.ascii("HTTP/1.0 203 Quite  OK\r\n"
				+ "Connection: close, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: secret\r\nx-CASE:  Kept\t \r\n"
				+ "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"));
		try (RawClient client = client()) {
			for (int i = 0; i < 2; i++) {
				Message response = client.exchange(HttpWire.get("/si/head-fields/" + i), "GET");
				assertThat(response.headText()).isEqualTo(
						"HTTP/1.1 203 Quite  OK\r\nx-CASE:  Kept\t \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\n");
				assertThat(response.bodyText()).isEqualTo("ok");
			}
		}
		assertThat(this.intercepts).hasSize(2);
	}

	@Test
	void interimResponsesReachTheClientBeforeTheFinalOne() throws IOException {
		this.scripts = (target) -> new Script().response((request) -> HttpWire.ascii(
				"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
						+ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
		try (RawClient client = client()) {
			client.send(HttpWire.get("/si/interim"));
			Message hints = client.readAny("GET");
			assertThat(hints.status()).isEqualTo(103);
			assertThat(hints.header("Link")).hasValue("</style.css>; rel=preload");
			assertThat(client.readAny("GET").status()).isEqualTo(102);
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.framing()).isEqualTo(HttpWire.Framing.CHUNKED);
			assertThat(response.bodyText()).isEqualTo("ok");
			assertThat(client.exchange(HttpWire.get("/si/after-interim"), "GET").status()).isEqualTo(200);
		}
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).hasSize(2));
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "HEAD 200", "GET 204", "GET 304" })
	void responsesWithoutABodyEndWithTheirHeadAndTheConnectionServesTheNextRequest(String exchange)
			throws IOException {
		String method = exchange.split(" ")[0];
		String status = exchange.split(" ")[1];
		// a Content-Length that frames no body here: the next response must not be read as this one's
		this.scripts = (target) -> new Script().response((request) -> HttpWire.ascii(target.endsWith("/first")
				? "HTTP/1.1 " + status + " X\r\nContent-Length: 3\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
		try (RawClient client = client()) {
			client.send(method + " /si/first HTTP/1.1\r\nHost: origin.test\r\n\r\n");
			Message first = client.read(method);
			assertThat(first.status()).isEqualTo(Integer.parseInt(status));
			assertThat(first.body()).isEmpty();
			assertThat(client.exchange(HttpWire.get("/si/second"), "GET").bodyText()).isEqualTo("abc");
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("dev.vconn.transaction.OriginResponseHeadTests#malformedHeads")
	void interceptHeadThatBreaksHttpGets502(String what, String head) throws IOException {
		this.scripts = (target) -> new Script().response((request) -> HttpWire.ascii(head)).end(End.WAIT_FOR_EOS);
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.get("/si/malformed"), "GET");
			assertThat(response.status()).as(what).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(
				new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED),
				new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ERROR)));
		assertThat(this.listener.completed()).isEmpty();
	}

}
