package dev.vconn.intercept;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.vconn.intercept.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The listener's limits on the request head and on connections: each rejection answers with a
 * plain status, closes, is counted, and never reaches a hook or the origin.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InterceptLimitsTests extends InterceptTestSupport {

	private ClaimingHook claimer;

	private void startWithHook(UnaryOperator<InterceptListener.Builder> config) throws Exception {
		startWithHook(0, config);
	}

	private void startWithHook(int maxConnections, UnaryOperator<InterceptListener.Builder> config) throws Exception {
		this.claimer = new ClaimingHook("claimer", "/x");
		this.hooks.register(this.claimer);
		start(TransportMode.EPOLL_SPLICE, maxConnections, config);
	}

	private void assertRejected(RawHttp.Response response, int status, String reason) {
		assertThat(response).isNotNull();
		assertThat(response.status()).isEqualTo(status);
		assertThat(response.bodyText()).isEqualTo(status + " " + reason + "\n");
		assertThat(response.headers()).containsEntry("connection", "close")
			.containsEntry("content-type", "text/plain; charset=utf-8");
		assertThat(response.complete()).isTrue();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.events.rejections().contains(status));
		assertThat(this.claimer.seen).isEmpty();
		assertThat(this.origin.accepted()).isZero();
		assertThat(this.events.adoptions()).isZero();
	}

	@Test
	void headNotCompleteWithinTheHeaderTimeoutGets408() throws Exception {
		startWithHook((builder) -> builder.headerTimeout(Duration.ofMillis(300)));
		try (Socket socket = RawHttp.connect(address())) {
			socket.getOutputStream().write(ascii("GET /x/slow HTTP/1.1\r\nHost: t\r\n"));
			long start = System.nanoTime();

			RawHttp.Response response = RawHttp.read(socket.getInputStream());

			assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
			assertRejected(response, 408, "Request Timeout");
			assertThat(socket.getInputStream().read()).isEqualTo(-1);
		}
		assertThat(this.events.rejections()).containsExactly(408);
	}

	@Test
	void headLargerThanTheLimitGets431AndOneJustUnderItPasses() throws Exception {
		startWithHook((builder) -> builder.maxHeaderSize(1024));
		RawHttp.Response fits = RawHttp.exchange(address(),
				ascii("GET /x/fits HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(900) + "\r\n\r\n"));
		assertThat(fits.status()).isEqualTo(200);
		this.claimer.seen.clear();
		int adoptions = (int) this.events.adoptions();

		RawHttp.Response response = RawHttp.exchange(address(),
				ascii("GET /x/big HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n"));

		assertThat(response.status()).isEqualTo(431);
		assertThat(response.bodyText()).isEqualTo("431 Request Header Fields Too Large\n");
		assertThat(this.events.rejections()).containsExactly(431);
		assertThat(this.claimer.seen).isEmpty();
		assertThat(this.events.adoptions()).isEqualTo(adoptions);
	}

	/**
	 * The head limit counts the request line, every header line and every line end, the final empty
	 * line included: a head of exactly the limit passes, one byte more gets 431.
	 */
	@Test
	void headOfExactlyTheLimitPassesAndOneByteMoreGets431() throws Exception {
		startWithHook((builder) -> builder.maxHeaderSize(1024));
		String start = "GET /x/exact HTTP/1.1\r\nHost: t\r\nX-Pad: ";
		String padding = "a".repeat(1024 - start.length() - "\r\n\r\n".length());
		byte[] exact = ascii(start + padding + "\r\n\r\n");
		assertThat(exact).hasSize(1024);
		assertThat(RawHttp.exchange(address(), exact).status()).isEqualTo(200);
		this.claimer.seen.clear();
		int adoptions = (int) this.events.adoptions();

		RawHttp.Response response = RawHttp.exchange(address(), ascii(start + padding + "a\r\n\r\n"));

		assertThat(response.status()).isEqualTo(431);
		assertThat(response.headers()).containsEntry("connection", "close");
		assertThat(this.events.rejections()).containsExactly(431);
		assertThat(this.claimer.seen).isEmpty();
		assertThat(this.events.adoptions()).isEqualTo(adoptions);
	}

	@Test
	void requestLineLongerThanMaxRequestLineGets414AndOneOfExactlyTheLimitPasses() throws Exception {
		startWithHook((builder) -> builder.maxRequestLine(100));
		String prefix = "GET /x/";
		String suffix = " HTTP/1.1";
		String path = "p".repeat(100 - prefix.length() - suffix.length());
		assertThat(RawHttp.exchange(address(), ascii(prefix + path + suffix + "\r\nHost: t\r\n\r\n")).status())
			.isEqualTo(200);
		this.claimer.seen.clear();
		int adoptions = (int) this.events.adoptions();

		RawHttp.Response response = RawHttp.exchange(address(),
				ascii(prefix + path + "p" + suffix + "\r\nHost: t\r\n\r\n"));

		assertThat(response.status()).isEqualTo(414);
		assertThat(response.bodyText()).isEqualTo("414 URI Too Long\n");
		assertThat(response.headers()).containsEntry("connection", "close");
		assertThat(this.events.rejections()).containsExactly(414);
		assertThat(this.claimer.seen).isEmpty();
		assertThat(this.events.adoptions()).isEqualTo(adoptions);
	}

	/** The listener's own reading of a head, applied before a hook or the origin sees anything. */
	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			no Host                                   | 400 | GET /x HTTP/1.1\\r\\nAccept: */*\\r\\n\\r\\n
			no Host in HTTP/1.0                       | 400 | GET /x HTTP/1.0\\r\\n\\r\\n
			two Host headers                          | 400 | GET /x HTTP/1.1\\r\\nHost: t\\r\\nHost: u\\r\\n\\r\\n
			Transfer-Encoding chunked twice           | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n
			chunked, chunked                          | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nTransfer-Encoding: chunked, chunked\\r\\n\\r\\n0\\r\\n\\r\\n
			gzip, chunked                             | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n
			an unknown transfer coding                | 501 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n0\\r\\n\\r\\n
			Transfer-Encoding in HTTP/1.0             | 400 | POST /x HTTP/1.0\\r\\nHost: t\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n
			NUL in the target                         | 400 | GET /x\\u0000y HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n
			DEL in the target                         | 400 | GET /x\\u007fy HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n
			tabs as separators                        | 400 | GET\\t/x\\tHTTP/1.1\\r\\nHost: t\\r\\n\\r\\n
			two spaces as a separator                 | 400 | GET  /x HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n
			a space at the end of the request line    | 400 | GET /x HTTP/1.1 \\r\\nHost: t\\r\\n\\r\\n
			Transfer_Encoding                         | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nTransfer_Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n
			Content_Length                            | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nContent_Length: 5\\r\\n\\r\\nhello
			Transfer---Encoding                       | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nTransfer---Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n
			HTTP/0.9 with a body                      | 505 | POST /x HTTP/0.9\\r\\nHost: t\\r\\nContent-Length: 5\\r\\n\\r\\nhello
			HTTP/2.0                                  | 505 | GET /x HTTP/2.0\\r\\nHost: t\\r\\n\\r\\n
			a lower-case version                      | 400 | GET /x http/1.1\\r\\nHost: t\\r\\n\\r\\n
			a bare LF line end                        | 400 | GET /x HTTP/1.1\\nHost: t\\r\\n\\r\\n
			a bare CR                                 | 400 | GET /x HTTP/1.1\\r\\nHost: t\\rX-A: b\\r\\n\\r\\n
			obs-fold                                  | 400 | GET /x HTTP/1.1\\r\\nHost: t\\r\\nX-A: b\\r\\n c\\r\\n\\r\\n
			whitespace before a colon                 | 400 | GET /x HTTP/1.1\\r\\nHost : t\\r\\n\\r\\n
			a control character in a value            | 400 | GET /x HTTP/1.1\\r\\nHost: t\\r\\nX-A: b\\u0001c\\r\\n\\r\\n
			a Content-Length that is not a number     | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 0x5\\r\\n\\r\\nhello
			two equal Content-Length headers          | 400 | POST /x HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 5\\r\\nContent-Length: 5\\r\\n\\r\\nhello
			""")
	void headTheListenerRefusesIsAnsweredAndNeverForwarded(String name, int status, String head) throws Exception {
		startWithHook(UnaryOperator.identity());
		RawHttp.Response response = RawHttp.exchange(address(), ascii(unescape(head)));
		assertRejected(response, status, reasonOf(status));
	}

	private static String unescape(String text) {
		StringBuilder out = new StringBuilder();
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c != '\\') {
				out.append(c);
				continue;
			}
			char next = text.charAt(++i);
			switch (next) {
				case 'r' -> out.append('\r');
				case 'n' -> out.append('\n');
				case 't' -> out.append('\t');
				case 'u' -> {
					out.append((char) Integer.parseInt(text.substring(i + 1, i + 5), 16));
					i += 4;
				}
				default -> out.append(next);
			}
		}
		return out.toString();
	}

	private static String reasonOf(int status) {
		return switch (status) {
			case 400 -> "Bad Request";
			case 501 -> "Not Implemented";
			case 505 -> "HTTP Version Not Supported";
			default -> throw new IllegalArgumentException("no reason for " + status);
		};
	}

	@Test
	void requestLineLongerThanTheLimitGets431() throws Exception {
		startWithHook((builder) -> builder.maxHeaderSize(1024));
		RawHttp.Response response = RawHttp.exchange(address(),
				ascii("GET /x/" + "p".repeat(2000) + " HTTP/1.1\r\nHost: t\r\n\r\n"));
		assertRejected(response, 431, "Request Header Fields Too Large");
	}

	@ParameterizedTest
	@ValueSource(strings = { "\u0000\u0001\u0002\u00ff garbage\r\n\r\n", "NOT HTTP AT ALL\r\n\r\n",
			"GET /x HTTP/1.1\r\nHo\u0001st: t\r\n\r\n", "GET /x HTTP/1.1\r\n: no name\r\n\r\n" })
	void malformedHeadGets400(String garbage) throws Exception {
		startWithHook(UnaryOperator.identity());
		RawHttp.Response response = RawHttp.exchange(address(), ascii(garbage));
		assertRejected(response, 400, "Bad Request");
	}

	@ParameterizedTest
	@ValueSource(strings = { "Transfer-Encoding: chunked\r\nContent-Length: 5",
			"Content-Length: 5\r\nTransfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked\r\nContent-Length: 5",
			"Content-Length: 5\r\nTransfer-Encoding: identity" })
	void contentLengthWithTransferEncodingGets400(String framing) throws Exception {
		startWithHook(UnaryOperator.identity());
		RawHttp.Response response = RawHttp.exchange(address(),
				ascii("POST /x/smuggle HTTP/1.1\r\nHost: t\r\n" + framing + "\r\n\r\n0\r\n\r\n"));
		assertRejected(response, 400, "Bad Request");
	}

	@ParameterizedTest
	@ValueSource(strings = { "Content-Length: 5\r\nContent-Length: 6", "Content-Length: 5, 6",
			"Content-Length: 5\r\nContent-Length: 05x" })
	void differingContentLengthsGet400(String framing) throws Exception {
		startWithHook(UnaryOperator.identity());
		RawHttp.Response response = RawHttp.exchange(address(),
				ascii("POST /x/smuggle HTTP/1.1\r\nHost: t\r\n" + framing + "\r\n\r\nhello!"));
		assertRejected(response, 400, "Bad Request");
	}

	@Test
	void connectionsBeyondTheRuntimeLimitGet503UntilASlotIsFree() throws Exception {
		startWithHook(1, UnaryOperator.identity());
		try (Socket held = RawHttp.connect(address())) {
			OutputStream out = held.getOutputStream();
			InputStream in = held.getInputStream();
			// claimed, and the server waits for the rest of the body: the connection holds the only slot
			out.write(ascii("POST /x/held HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab"));
			InterceptedServer server = this.claimer.servers.poll(5, TimeUnit.SECONDS);
			assertThat(server.accepted).succeedsWithin(Duration.ofSeconds(5));
			assertThat(this.runtime.activeCount()).isEqualTo(1);

			RawHttp.Response refused = RawHttp.exchange(address(), ascii("GET /x/other HTTP/1.1\r\nHost: t\r\n\r\n"));

			assertThat(refused.status()).isEqualTo(503);
			assertThat(refused.bodyText()).isEqualTo("503 Service Unavailable\n");
			assertThat(this.events.rejections()).containsExactly(503);
			assertThat(this.claimer.seen).hasSize(1);

			out.write(ascii("cd"));
			RawHttp.Response held200 = RawHttp.read(in);
			assertThat(held200.status()).isEqualTo(200);
			assertThat(held200.bodyText()).isEqualTo("4 " + InterceptHookTests.crc(ascii("abcd")));
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> this.runtime.activeCount() == 0);

		RawHttp.Response later = RawHttp.exchange(address(), ascii("GET /x/later HTTP/1.1\r\nHost: t\r\n\r\n"));
		assertThat(later.status()).isEqualTo(200);
		assertThat(this.events.rejections()).containsExactly(503);
	}

	/**
	 * A connection the listener ends after its response frees its slot as soon as the client has
	 * finished too (here it ended its sending with its request), not after the two-second linger
	 * a connection gets while its client may still be sending.
	 */
	@Test
	void connectionEndedAfterItsResponseFreesItsSlotOnceTheClientFinished() throws Exception {
		startWithHook(1, UnaryOperator.identity());
		try (Socket finished = RawHttp.connect(address())) {
			finished.getOutputStream().write(ascii("GET /x/first HTTP/1.1\r\nHost: t\r\n\r\n"));
			finished.shutdownOutput();
			RawHttp.Response first = RawHttp.read(finished.getInputStream());
			assertThat(first.status()).isEqualTo(200);
			assertThat(finished.getInputStream().read()).as("end of stream after the response").isEqualTo(-1);
		}
		// until the listener has seen the first connection's end, the next one may still get a 503
		await().atMost(Duration.ofSeconds(1))
			.until(() -> RawHttp.exchange(address(), ascii("GET /x/next HTTP/1.1\r\nHost: t\r\n\r\n")).status() == 200);
	}

}
