package dev.vconn.transaction;

import java.io.IOException;
import java.util.stream.Stream;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests whose body length two parsers could disagree on are answered 400 and the connection is
 * closed; neither they nor the request hidden in their body reach a hook, the origin or an
 * intercept, also after an earlier request on the same keep-alive connection.
 */
@OnEachTransport
class SmugglingTests extends TransactionTestSupport {

	private static final String HIDDEN = "GET /pt/cl/1/smuggled HTTP/1.1\r\nHost: origin.test\r\n\r\n";

	static Stream<Arguments> attempts() {
		String chunkedHidden = "0\r\n\r\n" + HIDDEN;
		return Stream.of(
				Arguments.of("Content-Length and Transfer-Encoding: chunked",
						"Content-Length: " + chunkedHidden.length() + "\r\nTransfer-Encoding: chunked\r\n",
						chunkedHidden),
				Arguments.of("Transfer-Encoding: chunked then Content-Length",
						"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", chunkedHidden),
				Arguments.of("two different Content-Length headers",
						"Content-Length: 5\r\nContent-Length: " + (5 + HIDDEN.length()) + "\r\n", "hello" + HIDDEN),
				Arguments.of("two different Content-Length values in one header",
						"Content-Length: 5, " + (5 + HIDDEN.length()) + "\r\n", "hello" + HIDDEN),
				Arguments.of("Transfer-Encoding other than chunked with Content-Length",
						"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n", "hello" + HIDDEN),
				Arguments.of("Transfer-Encoding other than chunked without Content-Length",
						"Transfer-Encoding: gzip\r\n", "hello" + HIDDEN),
				Arguments.of("Transfer-Encoding with chunked not the last coding",
						"Transfer-Encoding: chunked, gzip\r\n", chunkedHidden),
				Arguments.of("whitespace between Transfer-Encoding and its colon",
						"Content-Length: " + chunkedHidden.length() + "\r\nTransfer-Encoding : chunked\r\n",
						chunkedHidden),
				Arguments.of("Transfer-Encoding folded onto the Content-Length line",
						"Content-Length: " + chunkedHidden.length() + "\r\n Transfer-Encoding: chunked\r\n",
						chunkedHidden),
				Arguments.of("a Content-Length with a sign", "Content-Length: +5\r\n", "hello" + HIDDEN),
				Arguments.of("Transfer-Encoding that only contains chunked",
						"Content-Length: " + chunkedHidden.length() + "\r\nTransfer-Encoding: xchunked\r\n",
						chunkedHidden),
				Arguments.of("Transfer-Encoding: chunked given twice",
						"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunkedHidden),
				Arguments.of("chunked, chunked", "Transfer-Encoding: chunked, chunked\r\n", chunkedHidden),
				Arguments.of("Transfer_Encoding", "Transfer_Encoding: chunked\r\n", chunkedHidden),
				Arguments.of("Transfer---Encoding", "Transfer---Encoding: chunked\r\n", chunkedHidden),
				Arguments.of("Content_Length", "Content_Length: " + (5 + HIDDEN.length()) + "\r\n", "hello" + HIDDEN),
				Arguments.of("a second Host", "Host: other.test\r\n", ""),
				Arguments.of("a NUL in a header value", "X-A: a\u0000b\r\nContent-Length: 5\r\n", "hello" + HIDDEN),
				Arguments.of("a bare CR in a header line", "X-A: a\rContent-Length: 5\r\n", "hello" + HIDDEN));
	}

	@ParameterizedTest(name = "{0}, first request of the connection")
	@MethodSource("attempts")
	void smugglingAttemptIsRejectedAndNeverForwarded(String name, String headers, String body) throws IOException {
		try (RawClient client = client()) {
			client.send("POST /pt/cl/1/attempt HTTP/1.1\r\nHost: origin.test\r\n" + headers + "\r\n" + body);
			Message response = client.read("POST");
			assertThat(response.status()).isEqualTo(400);
			assertThat(client.isClosedByPeer()).as("the connection is closed after the 400").isTrue();
		}
		assertNothingForwarded();
		assertThat(this.seen).as("hooks never see a rejected request").isEmpty();
	}

	@ParameterizedTest(name = "{0}, after a keep-alive request")
	@MethodSource("attempts")
	void smugglingAttemptAfterAKeepAliveRequestIsRejectedAndNeverForwarded(String name, String headers, String body)
			throws IOException {
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/si/cl/3/first"), "GET").status()).isEqualTo(200);
			client.send("POST /si/cl/1/attempt HTTP/1.1\r\nHost: origin.test\r\n" + headers + "\r\n" + body);
			Message response = client.read("POST");
			assertThat(response.status()).isEqualTo(400);
			assertThat(client.isClosedByPeer()).as("the connection is closed after the 400").isTrue();
		}
		assertNothingForwarded();
		assertThat(seenTargets()).containsExactly("/si/cl/3/first");
		assertThat(this.intercepts).hasSize(1);
	}

	/**
	 * Request lines only a lenient parser reads: tabs as separators (which a parser that splits on
	 * any whitespace would read one way, and one that does not another way), control characters in
	 * the target, an obsolete version with a body.
	 */
	@ParameterizedTest(name = "{0}")
	@MethodSource("requestLines")
	void requestLineOnlyALenientParserReadsIsRefusedAndNeverForwarded(String name, String request, int status)
			throws IOException {
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/pt/cl/3/first"), "GET").status()).isEqualTo(200);
			client.send(request);
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(status);
			assertThat(response.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(status));
		assertThat(this.origin.requests()).extracting(Message::target).containsExactly("/pt/cl/3/first");
		assertThat(seenTargets()).containsExactly("/pt/cl/3/first");
	}

	static Stream<Arguments> requestLines() {
		return Stream.of(Arguments.of("tabs as separators", "GET\t/pt/cl/1/tab\tHTTP/1.1\r\nHost: origin.test\r\n\r\n"
				+ HIDDEN, 400),
				Arguments.of("a tab in the target", "GET /pt/cl/1/a\tHTTP/1.1 HTTP/1.1\r\nHost: origin.test\r\n\r\n", 400),
				Arguments.of("a NUL in the target", "GET /pt/cl/1/a\u0000b HTTP/1.1\r\nHost: origin.test\r\n\r\n", 400),
				Arguments.of("a CR in the target", "GET /pt/cl/1/a\rb HTTP/1.1\r\nHost: origin.test\r\n\r\n", 400),
				Arguments.of("HTTP/0.9 with a body",
						"POST /pt/cl/1/old HTTP/0.9\r\nHost: origin.test\r\nContent-Length: " + HIDDEN.length()
								+ "\r\n\r\n" + HIDDEN, 505),
				Arguments.of("an unknown transfer coding",
						"POST /pt/cl/1/coded HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: rot13\r\n\r\n" + HIDDEN,
						501));
	}

	/**
	 * A client may list any header in {@code Connection}, also the ones that frame its body: removing
	 * them as hop-by-hop would forward the body unframed, and the next hop would read it as a request.
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void framingHeadersNamedInConnectionStillFrameTheForwardedBody(String route) throws IOException {
		String target = "/" + route + "/cl/4/framed";
		try (RawClient client = client()) {
			client.send("POST " + target + " HTTP/1.1\r\nHost: origin.test\r\nConnection: Content-Length\r\n"
					+ "Content-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN);
			Message response = client.read("POST");
			if (response.status() == 200) {
				assertThat(response.header("X-Request-Body-Length")).hasValue(String.valueOf(HIDDEN.length()));
				assertThat(client.exchange(HttpWire.get("/pt/cl/1/next"), "GET").status()).isEqualTo(200);
			}
			else {
				assertThat(response.status()).isEqualTo(400);
			}
		}
		Message forwarded = route.equals("pt") ? this.origin.requests().get(0) : this.intercepts.get(0).request().join();
		assertThat(forwarded.bodyText()).isEqualTo(HIDDEN);
		assertThat(this.origin.requests()).extracting(Message::target).doesNotContain("/pt/cl/1/smuggled");
	}

	/**
	 * A chunked body that turns malformed after a valid start: the next hop must never get it as a
	 * complete request (a well-formed prefix followed by the last chunk the listener made up).
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void malformedChunkInARequestBodyIsNeverForwardedAsAWholeRequest(String route) throws IOException {
		try (RawClient client = client()) {
			client.send("POST /" + route + "/cl/1/broken HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: chunked\r\n\r\n"
					+ "5\r\nhello\r\nzz\r\n" + HIDDEN);
			try {
				Message response = client.read("POST");
				assertThat(response.status()).isEqualTo(400);
			}
			catch (IOException ex) {
				// or the connection ends without an answer
			}
			assertThat(client.isClosedByPeer()).isTrue();
		}
		assertThat(this.origin.requests()).as("complete requests the origin read").isEmpty();
		if (route.equals("si")) {
			assertThat(this.intercepts).hasSize(1);
			assertThat(this.intercepts.get(0).request()).as("a complete request read by the intercept").isNotDone();
		}
	}

	private void assertNothingForwarded() {
		eventually().untilAsserted(() -> assertThat(this.listener.rejections()).containsExactly(400));
		assertThat(this.origin.accepted()).as("origin connections").isZero();
		assertThat(this.origin.requests()).isEmpty();
	}

}
