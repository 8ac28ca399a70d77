package dev.vconn.transaction;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.testing.CountingListener.Completed;
import dev.vconn.testing.CountingListener.Intercept;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.ScriptedIntercept;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several requests on one keep-alive client connection, some served by a server intercept, some
 * passed through to the origin, in mixed order, with request bodies of every framing and
 * responses of every framing: each request is a transaction of its own, every body arrives
 * byte-for-byte with the framing it was sent with, and a close-delimited response ends the
 * connection.
 */
@OnEachTransport
class KeepAliveSequenceTests extends TransactionTestSupport {

	/** One request of a sequence. */
	record Step(String route, Framing requestFraming, String responseFraming, int requestSize, int responseSize) {

		String target(int index) {
			return "/" + this.route + "/" + this.responseFraming + "/" + this.responseSize + "/" + index;
		}

		String method() {
			return (this.requestFraming == Framing.NONE) ? "GET" : "POST";
		}

		byte[] requestBody(int index) {
			return (this.requestFraming == Framing.NONE) ? new byte[0]
					: HttpWire.body("request " + target(index), this.requestSize);
		}

	}

	private static final List<Step> MIXED = List.of(
			new Step("si", Framing.NONE, "cl", 0, 10),
			new Step("pt", Framing.NONE, "chunked", 0, 70_000),
			new Step("pt", Framing.LENGTH, "cl", 100_000, 5),
			new Step("si", Framing.CHUNKED, "chunked", 100_000, 3),
			new Step("si", Framing.LENGTH, "chunked", 12, 100_000),
			new Step("pt", Framing.CHUNKED, "cl", 40_000, 100_000),
			new Step("si", Framing.NONE, "chunked", 0, 1),
			new Step("pt", Framing.NONE, "cl", 0, 0),
			new Step("si", Framing.LENGTH, "cl", 1, 0),
			new Step("pt", Framing.CHUNKED, "chunked", 3, 9),
			new Step("si", Framing.CHUNKED, "cl", 65_537, 65_537),
			new Step("pt", Framing.LENGTH, "chunked", 33_000, 33_000));

	@Test
	void keepAliveRequestsMixServerInterceptsAndPassThroughWithEveryBodyFraming() throws IOException {
		try (RawClient client = client()) {
			for (int i = 0; i < MIXED.size(); i++) {
				exchangeAndCheck(client, MIXED.get(i), i);
			}
		}
		List<String> targets = new ArrayList<>();
		for (int i = 0; i < MIXED.size(); i++) {
			targets.add(MIXED.get(i).target(i));
		}
		assertThat(seenTargets()).as("each request ran the hooks once, in order").isEqualTo(targets);
		assertThat(this.seen).extracting(Seen::client).as("one client connection").containsOnly(this.seen.get(0).client());
		long passedThrough = MIXED.stream().filter((s) -> s.route().equals("pt")).count();
		assertThat(this.origin.requests()).hasSize((int) passedThrough);
		assertThat(this.origin.accepted()).as("origin connections for %s pass-through requests", passedThrough)
			.isEqualTo(1);
		assertThat(this.intercepts).hasSize(MIXED.size() - (int) passedThrough);
		List<Completed> expected = MIXED.stream()
			.map((s) -> new Completed(s.route().equals("si") ? TransactionPath.SERVER_INTERCEPTED
					: TransactionPath.PASS_THROUGH, 200))
			.toList();
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).isEqualTo(expected));
		assertThat(this.listener.intercepts()).hasSize(this.intercepts.size())
			.containsOnly(new Intercept(HOOK, InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED));
		for (ScriptedIntercept intercept : this.intercepts) {
			assertThat(intercept.eos()).as("%s saw end of stream after its response", intercept)
				.succeedsWithin(Duration.ofSeconds(10));
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "pt", "si" })
	void closeDelimitedResponseEndsTheClientConnectionAfterTheWholeBody(String route) throws IOException {
		List<Step> steps = List.of(new Step(route, Framing.LENGTH, "cl", 10, 10),
				new Step("pt".equals(route) ? "si" : "pt", Framing.CHUNKED, "chunked", 10, 10),
				new Step(route, Framing.CHUNKED, "close", 50_000, 200_000));
		try (RawClient client = client()) {
			for (int i = 0; i < steps.size(); i++) {
				exchangeAndCheck(client, steps.get(i), i);
			}
			assertThat(client.isClosedByPeer()).as("the connection ends with the close-delimited response").isTrue();
		}
		assertThat(this.seen).hasSize(3);
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).hasSize(3));
	}

	@Test
	void headRequestsGetNoBodyOnBothPathsAndTheConnectionGoesOn() throws IOException {
		try (RawClient client = client()) {
			for (String target : List.of("/pt/cl/5000/0", "/si/cl/5000/1", "/pt/chunked/5000/2", "/si/chunked/5000/3")) {
				Message response = client.exchange(HttpWire.request("HEAD", target, "", new byte[0], Framing.NONE),
						"HEAD");
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.body()).as("HEAD %s", target).isEmpty();
				if (target.contains("/cl/")) {
					assertThat(response.header("Content-Length")).as("HEAD %s", target).hasValue("5000");
				}
				// Netty's decoder drops "Transfer-Encoding: chunked" from a HEAD response (allowed: RFC 9110 9.3.2)
				// the next response on the connection starts right after the head
				Message next = client.exchange(HttpWire.get("/pt/cl/3/after-" + target.replace('/', '-')), "GET");
				assertThat(next.status()).isEqualTo(200);
				assertThat(next.body()).isEqualTo(Responses.expectedBody("/pt/cl/3/after-" + target.replace('/', '-')));
			}
		}
		assertThat(this.origin.requests()).filteredOn((r) -> r.method().equals("HEAD")).hasSize(2);
		assertThat(this.intercepts).allSatisfy((i) -> assertThat(i.request().join().method()).isEqualTo("HEAD"));
	}

	/** Sends step {@code index}, reads its response, and checks what each side saw. */
	private void exchangeAndCheck(RawClient client, Step step, int index) throws IOException {
		String target = step.target(index);
		byte[] requestBody = step.requestBody(index);
		Message response = client.exchange(
				HttpWire.request(step.method(), target, "X-Step: " + index + "\r\n", requestBody, step.requestFraming()),
				step.method());
		String what = step + " #" + index;
		assertThat(response.status()).as(what).isEqualTo(200);
		assertThat(response.header("X-Served-By")).as(what)
			.hasValue(step.route().equals("si") ? "intercept" : "origin");
		assertThat(response.header("X-Request-Body-Length")).as(what).hasValue(String.valueOf(requestBody.length));
		assertThat(response.body()).as("response body of %s", what).isEqualTo(Responses.expectedBody(target));
		Framing expectedFraming = switch (step.responseFraming()) {
			case "cl" -> Framing.LENGTH;
			case "chunked" -> Framing.CHUNKED;
			default -> Framing.CLOSE;
		};
		assertThat(response.framing()).as("response framing of %s", what).isEqualTo(expectedFraming);
		Message seenByServer;
		if (step.route().equals("si")) {
			ScriptedIntercept intercept = this.intercepts.stream()
				.filter((i) -> i.target().equals(target))
				.findFirst()
				.orElseThrow();
			seenByServer = intercept.request().join();
			assertThat(seenByServer.connectionTokens()).as("the intercept is told the pair carries one request")
				.containsExactly("close");
		}
		else {
			seenByServer = this.origin.requests()
				.stream()
				.filter((r) -> r.target().equals(target))
				.findFirst()
				.orElseThrow();
		}
		assertThat(seenByServer.method()).as(what).isEqualTo(step.method());
		assertThat(seenByServer.header("X-Step")).as(what).hasValue(String.valueOf(index));
		assertThat(seenByServer.body()).as("request body as the server read it, %s", what).isEqualTo(requestBody);
		assertThat(seenByServer.framing()).as("request framing as the server read it, %s", what)
			.isEqualTo(step.requestFraming());
		if (step.requestFraming() == Framing.LENGTH) {
			assertThat(seenByServer.header("Content-Length")).as(what).hasValue(String.valueOf(requestBody.length));
		}
	}

}
