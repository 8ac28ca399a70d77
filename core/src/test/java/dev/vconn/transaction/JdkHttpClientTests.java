package dev.vconn.transaction;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import dev.vconn.intercept.TransactionPath;
import dev.vconn.testing.CountingListener.Completed;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.Responses;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDK's HttpClient (HTTP/1.1, keep-alive, its own framing choices) through the listener: a
 * sequence of server-intercepted and passed-through requests of every kind, reusing one
 * connection.
 */
@OnEachTransport
class JdkHttpClientTests extends TransactionTestSupport {

	private record Call(String method, String target, byte[] body, boolean streamed, boolean expectContinue) {

		BodyPublisher publisher() {
			if (this.body.length == 0) {
				return BodyPublishers.noBody();
			}
			// a stream of unknown length goes out chunked, a byte array with a Content-Length
			return this.streamed ? BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(this.body))
					: BodyPublishers.ofByteArray(this.body);
		}

	}

	@Test
	void jdkClientSequenceMixesServerInterceptsAndPassThroughOnOneConnection() throws Exception {
		byte[] body = HttpWire.body("jdk", 200_000);
		List<Call> calls = List.of(
				new Call("GET", "/si/cl/10/0", new byte[0], false, false),
				new Call("POST", "/pt/chunked/100000/1", body, false, false),
				new Call("POST", "/si/cl/100000/2", body, true, false),
				new Call("PUT", "/pt/cl/7/3", body, true, false),
				new Call("HEAD", "/si/chunked/300/4", new byte[0], false, false),
				new Call("GET", "/pt/cl/1/5", new byte[0], false, false),
				new Call("POST", "/si/chunked/5/6", body, false, true),
				new Call("POST", "/pt/cl/5/7", body, false, true),
				new Call("DELETE", "/si/cl/2/8", new byte[0], false, false));
		HttpClient client = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(5))
			.build();
		String base = "http://127.0.0.1:" + this.proxy.address().getPort();
		for (Call call : calls) {
			HttpRequest request = HttpRequest.newBuilder(URI.create(base + call.target()))
				.method(call.method(), call.publisher())
				.expectContinue(call.expectContinue())
				.timeout(Duration.ofSeconds(20))
				.build();
			HttpResponse<byte[]> response = client.send(request, BodyHandlers.ofByteArray());
			assertThat(response.statusCode()).as("%s", call).isEqualTo(200);
			assertThat(response.headers().firstValue("X-Served-By"))
				.hasValue(call.target().startsWith("/si") ? "intercept" : "origin");
			assertThat(response.body()).as("body of %s", call)
				.isEqualTo(call.method().equals("HEAD") ? new byte[0] : Responses.expectedBody(call.target()));
			assertThat(response.headers().firstValue("X-Request-Body-Length"))
				.hasValue(String.valueOf(call.body().length));
		}
		assertThat(seenTargets()).containsExactlyElementsOf(calls.stream().map(Call::target).toList());
		assertThat(this.seen.stream().map(Seen::client).collect(Collectors.toSet())).as("client connections")
			.hasSize(1);
		for (Call call : calls) {
			if (call.body().length == 0) {
				continue;
			}
			Message seenByServer = call.target().startsWith("/si")
					? this.intercepts.stream().filter((i) -> i.target().equals(call.target())).findFirst()
						.orElseThrow().request().join()
					: this.origin.requests().stream().filter((r) -> r.target().equals(call.target())).findFirst()
						.orElseThrow();
			assertThat(seenByServer.body()).as("request body of %s", call).isEqualTo(call.body());
			assertThat(seenByServer.framing()).as("request framing of %s", call)
				.isEqualTo(call.streamed() ? Framing.CHUNKED : Framing.LENGTH);
		}
		List<Completed> expected = calls.stream()
			.map((c) -> new Completed(c.target().startsWith("/si") ? TransactionPath.SERVER_INTERCEPTED
					: TransactionPath.PASS_THROUGH, 200))
			.toList();
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).isEqualTo(expected));
	}

}
