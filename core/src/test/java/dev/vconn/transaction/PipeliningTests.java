package dev.vconn.transaction;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.intercept.TransactionPath;
import dev.vconn.testing.CountingListener.Completed;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several requests written in one write: responses come back complete and in request order,
 * whichever way each request is served.
 */
@OnEachTransport
class PipeliningTests extends TransactionTestSupport {

	private record Sent(String method, String target, byte[] body) {
	}

	/** Requests alternating between the two paths, with every request framing. */
	private static List<Sent> requests(int count, int bodySize) {
		List<Sent> sent = new ArrayList<>();
		String[] framings = { "cl", "chunked" };
		for (int i = 0; i < count; i++) {
			String route = (i % 3 == 1) ? "pt" : (i % 2 == 0 ? "si" : "pt");
			String target = "/" + route + "/" + framings[i % 2] + "/" + (100 + i * 997) + "/" + i;
			sent.add(new Sent((i % 3 == 0) ? "GET" : "POST", target,
					(i % 3 == 0) ? new byte[0] : HttpWire.body("pipelined " + i, bodySize + i)));
		}
		return sent;
	}

	private static byte[] encode(List<Sent> sent, String lastExtraHeaders) {
		ByteArrayOutputStream all = new ByteArrayOutputStream();
		for (int i = 0; i < sent.size(); i++) {
			Sent s = sent.get(i);
			Framing framing = s.body().length == 0 ? Framing.NONE : (i % 2 == 0 ? Framing.CHUNKED : Framing.LENGTH);
			all.writeBytes(HttpWire.request(s.method(), s.target(), (i == sent.size() - 1) ? lastExtraHeaders : "",
					s.body(), framing));
		}
		return all.toByteArray();
	}

	@Test
	void pipelinedRequestsAreAnsweredCompletelyAndInOrder() throws IOException {
		List<Sent> sent = requests(12, 300);
		try (RawClient client = client()) {
			client.send(encode(sent, ""));
			for (Sent s : sent) {
				Message response = client.read(s.method());
				assertThat(response.header("X-Target")).hasValue(s.target());
				assertThat(response.body()).as("body of %s", s.target()).isEqualTo(Responses.expectedBody(s.target()));
				assertThat(response.header("X-Request-Body-Length")).hasValue(String.valueOf(s.body().length));
			}
			// the connection is still usable afterwards
			assertThat(client.exchange(HttpWire.get("/si/cl/5/after"), "GET").status()).isEqualTo(200);
		}
		assertThat(seenTargets()).startsWith(sent.stream().map(Sent::target).toArray(String[]::new));
		assertCompletedInOrder(sent);
	}

	@Test
	void pipelinedRequestsWithBodiesLargerThanTheBuffersAreAnsweredInOrder() throws IOException {
		List<Sent> sent = requests(6, 150_000);
		try (RawClient client = client()) {
			// the write blocks until the listener has read most of it: read the responses meanwhile
			Thread writer = new Thread(() -> {
				try {
					client.send(encode(sent, ""));
				}
				catch (IOException ex) {
					// the reader below fails the test
				}
			}, "pipelining-writer");
			writer.start();
			for (Sent s : sent) {
				Message response = client.read(s.method());
				assertThat(response.header("X-Target")).hasValue(s.target());
				assertThat(response.body()).isEqualTo(Responses.expectedBody(s.target()));
				assertThat(response.header("X-Request-Body-Length")).hasValue(String.valueOf(s.body().length));
			}
			writer.join(10_000);
		}
		catch (InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
		for (Sent s : sent) {
			Message seenByServer = s.target().startsWith("/si") ? this.intercepts.stream()
				.filter((i) -> i.target().equals(s.target()))
				.findFirst()
				.orElseThrow()
				.request()
				.join()
					: this.origin.requests().stream().filter((r) -> r.target().equals(s.target())).findFirst().orElseThrow();
			assertThat(seenByServer.body()).as("request body of %s", s.target()).isEqualTo(s.body());
		}
	}

	@Test
	void pipelinedRequestsEndingWithConnectionCloseAreAllAnsweredThenTheConnectionCloses() throws IOException {
		List<Sent> sent = requests(5, 50);
		try (RawClient client = client()) {
			client.send(encode(sent, "Connection: close\r\n"));
			for (Sent s : sent) {
				assertThat(client.read(s.method()).header("X-Target")).hasValue(s.target());
			}
			assertThat(client.isClosedByPeer()).isTrue();
		}
		assertCompletedInOrder(sent);
	}

	@Test
	void pipelinedRequestsFollowedByTheClientsEndOfStreamAreAllAnswered() throws IOException {
		List<Sent> sent = requests(5, 50);
		try (RawClient client = client()) {
			client.send(encode(sent, ""));
			client.shutdownOutput();
			for (Sent s : sent) {
				assertThat(client.read(s.method()).header("X-Target")).as("response to %s", s.target())
					.hasValue(s.target());
			}
			assertThat(client.isClosedByPeer()).isTrue();
		}
		assertCompletedInOrder(sent);
	}

	private void assertCompletedInOrder(List<Sent> sent) {
		List<Completed> expected = sent.stream()
			.map((s) -> new Completed(s.target().startsWith("/si") ? TransactionPath.SERVER_INTERCEPTED
					: TransactionPath.PASS_THROUGH, 200))
			.toList();
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).startsWith(expected.toArray(Completed[]::new)));
	}

}
