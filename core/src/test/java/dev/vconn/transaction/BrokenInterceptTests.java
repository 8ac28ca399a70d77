package dev.vconn.transaction;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.ScriptedIntercept;
import dev.vconn.testing.ScriptedIntercept.End;
import dev.vconn.testing.ScriptedIntercept.Script;
import dev.vconn.testing.TestOrigin;
import dev.vconn.testing.TimerFence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;
import static org.awaitility.Awaitility.await;

/**
 * Server intercepts (and origins) that misbehave: a malformed response gets the client a 502 and
 * the intercept's VConn aborted; a response cut off after it started ends the client connection,
 * so the client never takes a short response for a complete one; each is counted.
 */
@OnEachTransport
class BrokenInterceptTests extends TransactionTestSupport {

	private static final Intercept ACCEPTED = new Intercept(HOOK, InterceptType.SERVER_INTERCEPT,
			InterceptOutcome.ACCEPTED);

	private static final Intercept ERROR = new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ERROR);

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "this is not http\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nabc",
			"HTTP/1.1 two hundred OK\r\nContent-Length: 1\r\n\r\nx" })
	void malformedResponseGets502AndTheInterceptsVConnIsAborted(String malformed) throws IOException {
		this.scripts = (target) -> new Script().response((request) -> HttpWire.ascii(malformed)).end(End.WAIT_FOR_EOS);
		try (RawClient client = client()) {
			Message response = client.exchange(HttpWire.get("/si/cl/1/bad"), "GET");
			assertThat(response.status()).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		ScriptedIntercept intercept = this.intercepts.get(0);
		VConn vconn = intercept.accepted().join();
		eventually().until(vconn::isClosed);
		List<VConnEvent> events = intercept.events();
		assertThat(events).as("an aborted VConn delivers nothing more").doesNotContain(VConnEvent.VCONN_EOS,
				VConnEvent.ERROR);
		assertThat(intercept.writeNow(HttpWire.ascii("more")).isActive()).as("a write after the abort").isFalse();
		assertThat(intercept.readNow().isActive()).as("a read after the abort").isFalse();
		TimerFence.arm(this.runtime, Duration.ofMillis(300)).await();
		assertThat(intercept.events()).as("events after the abort").isEqualTo(events);
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(ACCEPTED, ERROR));
		assertThat(this.listener.rejections()).containsExactly(502);
		assertThat(this.listener.aborted()).extracting(CountingListener.Aborted::vconn).contains(vconn);
		assertThat(this.listener.completed()).isEmpty();
	}

	@Test
	void interceptThatClosesWithoutAnsweringGets502() throws IOException {
		this.scripts = (target) -> new Script().hold();
		try (RawClient client = client()) {
			client.send(HttpWire.get("/si/cl/1/silent"));
			eventually().until(() -> !this.intercepts.isEmpty() && this.intercepts.get(0).request().isDone());
			this.intercepts.get(0).closeNow();
			Message response = client.read("GET");
			assertThat(response.status()).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(ACCEPTED, ERROR));
	}

	@Test
	void malformedBodyAfterAValidHeadEndsTheClientConnection() throws IOException {
		this.scripts = (target) -> new Script()
			.response((request) -> HttpWire.ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"))
			.end(End.WAIT_FOR_EOS);
		try (RawClient client = client()) {
			client.send(HttpWire.get("/si/chunked/5/bad-chunk"));
			assertThatIOException().as("the client must not get a complete response").isThrownBy(() -> client.read("GET"));
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(ACCEPTED, ERROR));
		assertThat(this.listener.completed()).isEmpty();
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(value = Framing.class, names = { "LENGTH", "CHUNKED", "CLOSE" })
	void interceptThatAbortsMidResponseEndsTheClientConnection(Framing framing) throws IOException {
		this.scripts = (target) -> target.endsWith("/aborted") ? new Script().hold() : new Script();
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/si/cl/10/first"), "GET").status()).isEqualTo(200);
			client.send(HttpWire.get("/si/cl/100000/aborted"));
			eventually().until(() -> this.intercepts.size() == 2 && this.intercepts.get(1).request().isDone());
			ScriptedIntercept intercept = this.intercepts.get(1);
			intercept.respond(partialResponse(framing));
			// once the head reached the client, the response has started: abort in the middle of it
			assertThat(client.awaitHead()).startsWith("HTTP/1.1 200 OK");
			intercept.abortNow();
			assertThatIOException().as("a response cut off by an abort must not look complete")
				.isThrownBy(() -> client.read("GET"));
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).endsWith(ACCEPTED, ERROR));
		assertThat(this.listener.completed()).hasSize(1);
		VConn aborted = this.intercepts.get(1).accepted().join();
		assertThat(this.listener.aborted()).contains(new CountingListener.Aborted(aborted, CloseKind.API, 0));
	}

	@Test
	void interceptThatAbortsBeforeTheListenerReadItsResponseGets502() throws IOException {
		this.scripts = (target) -> new Script().response((request) -> partialResponse(Framing.LENGTH)).end(End.ABORT);
		try (RawClient client = client()) {
			// an abort drops what the pair still holds: whether any of it was relayed decides
			Message response;
			try {
				response = client.exchange(HttpWire.get("/si/cl/100000/aborted"), "GET");
			}
			catch (IOException ex) {
				return; // the head was relayed before the abort: the connection was ended instead
			}
			assertThat(response.status()).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(ACCEPTED, ERROR));
	}

	@Test
	void interceptThatClosesBeforeItsContentLengthEndsTheClientConnection() throws IOException {
		byte[] partial = partialResponse(Framing.LENGTH);
		this.scripts = (target) -> new Script().response((request) -> partial).end(End.CLOSE);
		try (RawClient client = client()) {
			client.send(HttpWire.get("/si/cl/100000/short"));
			assertThatIOException().isThrownBy(() -> client.read("GET"));
		}
		eventually().untilAsserted(() -> assertThat(this.listener.intercepts()).containsExactly(ACCEPTED, ERROR));
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(value = Framing.class, names = { "LENGTH", "CHUNKED", "CLOSE" })
	void originThatResetsMidResponseEndsTheClientConnection(Framing framing) throws IOException {
		byte[] partial = partialResponse(framing);
		this.origin.behave((request, exchange) -> {
			exchange.out().write(partial);
			exchange.out().flush();
			TestOrigin.reset(exchange.socket());
			return false;
		});
		try (RawClient client = client()) {
			client.send(HttpWire.get("/pt/cl/100000/reset"));
			assertThatIOException().as("a response cut off by a reset must not look complete")
				.isThrownBy(() -> client.read("GET"));
		}
		assertThat(this.listener.completed()).isEmpty();
	}

	@Test
	void originWithAMalformedChunkAfterAValidHeadEndsTheClientConnection() throws IOException {
		this.origin.behave((request, exchange) -> {
			exchange.out().write(HttpWire.ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"));
			exchange.out().flush();
			return true;
		});
		try (RawClient client = client()) {
			client.send(HttpWire.get("/pt/chunked/5/bad-chunk"));
			assertThatIOException().as("the client must not get a complete response").isThrownBy(() -> client.read("GET"));
		}
		assertThat(this.listener.completed()).isEmpty();
	}

	/**
	 * A continuation that throws on {@code NET_ACCEPT} never took its VConn over: the pair must
	 * not stay open for good, and the client must not wait for a response that cannot come.
	 */
	@Test
	void interceptThatThrowsOnNetAcceptLeavesNothingOpen() throws IOException {
		this.customIntercept = (txn) -> (event, data) -> {
			throw new IllegalStateException("broken intercept");
		};
		try (RawClient client = client()) {
			assertThat(client.exchange(HttpWire.get("/si/cl/1/throws"), "GET").status()).isEqualTo(502);
			assertThat(client.isClosedByPeer()).isTrue();
		}
		eventually().untilAsserted(() -> assertThat(this.runtime.activeCount()).isZero());
		assertThat(this.listener.intercepts()).containsExactly(ACCEPTED, ERROR);
	}

	/** A response head and 1000 bytes of a body that should be 100000 long (or has no end). */
	private static byte[] partialResponse(Framing framing) {
		byte[] body = HttpWire.body("partial", 1000);
		return switch (framing) {
			case LENGTH -> HttpWire.concat(HttpWire.ascii("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), body);
			case CHUNKED -> HttpWire.concat(HttpWire.ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					+ Integer.toHexString(body.length) + "\r\n"), body, HttpWire.ascii("\r\n"));
			default -> HttpWire.concat(HttpWire.ascii("HTTP/1.1 200 OK\r\n\r\n"), body);
		};
	}

}
