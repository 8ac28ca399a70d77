package dev.vconn.autoconfigure.listener;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.jayway.jsonpath.JsonPath;
import dev.vconn.autoconfigure.InterceptListenerLifecycle;
import dev.vconn.autoconfigure.testing.ActuatorClient;
import dev.vconn.autoconfigure.testing.RawHttp;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.metrics.VConnStatistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With the starter and {@code vconn.listener.enabled=true}, real HTTP clients go through the
 * intercept listener (per-transaction mode, the default): unclaimed requests reach the
 * application's own controller byte for byte, a hook serves the requests it claims or takes their
 * connection over, and the meters and the endpoint show all of it.
 */
@SpringBootTest(classes = ListenerTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "vconn.listener.enabled=true", "vconn.listener.port=0", "vconn.event-threads=1",
				"management.endpoints.web.exposure.include=metrics,vconn" })
@Timeout(120)
class InterceptListenerApplicationTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	/** HTTP/1.1 only: no h2c upgrade headers on the wire. */
	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(WAIT)
		.build();

	@LocalServerPort
	int serverPort;

	@Autowired
	InterceptListenerLifecycle lifecycle;

	@Autowired
	VConnStatistics statistics;

	@Autowired
	ListenerTestApplication.ObservingHook observer;

	@Test
	void passThroughReachesTheControllerHooksServeAndTakeOverAndMetersAndEndpointShowAll() throws Exception {
		InterceptListener listener = this.lifecycle.getListener();
		assertThat(listener).isNotNull();
		int port = listener.address().getPort();
		assertThat(port).isPositive().isNotEqualTo(this.serverPort);
		assertThat(listener.origin()).isNotNull();
		assertThat(listener.origin().getPort()).isEqualTo(this.serverPort);

		// Pass-through: the same answer as the controller gives directly, byte for byte.
		HttpResponse<byte[]> direct = get(this.serverPort, "/hello");
		HttpResponse<byte[]> hello = get(port, "/hello");
		assertThat(hello.statusCode()).isEqualTo(direct.statusCode()).isEqualTo(200);
		assertThat(hello.body()).isEqualTo(direct.body()).isEqualTo(ascii(OriginController.HELLO));
		byte[] payload = new byte[512 * 1024];
		new Random(42).nextBytes(payload);
		HttpResponse<byte[]> echo = this.http.send(
				HttpRequest.newBuilder(uri(port, "/echo"))
					.timeout(WAIT)
					.header("Content-Type", "application/octet-stream")
					.POST(HttpRequest.BodyPublishers.ofByteArray(payload))
					.build(),
				HttpResponse.BodyHandlers.ofByteArray());
		assertThat(echo.statusCode()).isEqualTo(200);
		assertThat(echo.body()).isEqualTo(payload);

		// The hook serves /served itself, and takes the connection of /hooked over.
		HttpResponse<byte[]> served = get(port, "/served");
		assertThat(served.statusCode()).isEqualTo(200);
		assertThat(new String(served.body(), StandardCharsets.US_ASCII))
			.isEqualTo("Hello from the hook: GET /served\n");
		HttpResponse<byte[]> hooked = get(port, "/hooked");
		assertThat(hooked.statusCode()).isEqualTo(200);
		assertThat(new String(hooked.body(), StandardCharsets.US_ASCII))
			.isEqualTo("Hello from the hook: GET /hooked\n");

		// A hook that throws ends the transaction (the hooks after it do not run), and garbage never
		// reaches a hook; the listener answers both with an error status and closes the connection
		// (the status lines are checked in InterceptListenerConnectionModeApplicationTests).
		RawHttp.exchange(port, "GET /boom HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
		RawHttp.exchange(port, "\u0001\u0002 not http at all\r\n\r\n");

		assertThat(this.observer.targets).containsExactly("GET /hello", "POST /echo");
		await().atMost(WAIT).until(() -> this.statistics.transactions() == 4);
		await().atMost(WAIT).until(() -> this.statistics.intercepts() == 3);
		await().atMost(WAIT).until(() -> this.statistics.listenerRejections() == 1);

		// Meters over HTTP.
		ActuatorClient actuator = new ActuatorClient(this.serverPort);
		assertThat(actuator.metric("vconn.intercepts")).isEqualTo(3.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:hello", "type:server_intercept", "outcome:accepted"))
			.isEqualTo(1.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:hello", "type:intercept", "outcome:accepted"))
			.isEqualTo(1.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:hello", "outcome:accept_failed")).isZero();
		assertThat(actuator.metric("vconn.intercepts", "hook:failing", "type:intercept", "outcome:error"))
			.isEqualTo(1.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:observer")).isZero();
		assertThat(actuator.tagValues("vconn.intercepts", "hook")).containsExactlyInAnyOrder("hello", "failing",
				"observer");
		assertThat(actuator.tagValues("vconn.intercepts", "type")).containsExactlyInAnyOrder("intercept",
				"server_intercept");
		assertThat(actuator.tagValues("vconn.intercepts", "outcome")).containsExactlyInAnyOrder("accepted",
				"accept_failed", "error");
		assertThat(actuator.metric("vconn.transactions")).isEqualTo(4.0);
		assertThat(actuator.metric("vconn.transactions", "path:pass_through", "status:2xx")).isEqualTo(2.0);
		assertThat(actuator.metric("vconn.transactions", "path:server_intercepted", "status:2xx")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.transactions", "path:intercepted", "status:none")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.transactions", "status:5xx")).isZero();
		assertThat(actuator.metric("vconn.listener.rejections")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.listener.rejections", "status:400")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.listener.rejections", "status:502")).isZero();
		assertThat(actuator.metric("vconn.tunnel.duration")).isZero();
		assertThat(actuator.metric("vconn.tunnels.active")).isZero();

		// The vconn endpoint.
		HttpResponse<String> response = actuator.get("/actuator/vconn");
		assertThat(response.statusCode()).isEqualTo(200);
		String body = response.body();
		assertThat(read(body, "$.listener.enabled")).isEqualTo(true);
		assertThat(read(body, "$.listener.running")).isEqualTo(true);
		assertThat(read(body, "$.listener.address")).isEqualTo("127.0.0.1:" + port);
		assertThat(read(body, "$.listener.origin")).isEqualTo("127.0.0.1:" + this.serverPort);
		assertThat(read(body, "$.listener.transactions.total")).isEqualTo(4);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.listener.transactions.byPath"))
			.containsEntry("pass_through", 2)
			.containsEntry("server_intercepted", 1)
			.containsEntry("intercepted", 1);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.listener.transactions.byStatus"))
			.containsEntry("2xx", 3)
			.containsEntry("none", 1)
			.containsEntry("5xx", 0);
		assertThat(read(body, "$.listener.rejections.total")).isEqualTo(1);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.listener.rejections.by")).containsEntry("400", 1)
			.containsEntry("408", 0)
			.containsEntry("431", 0)
			.containsEntry("502", 0)
			.containsEntry("503", 0);
		assertThat(JsonPath.<List<String>>read(body, "$.hooks[*].name")).containsExactly("hello", "failing",
				"observer");
		assertThat(JsonPath.<List<Integer>>read(body, "$.hooks[*].order")).containsExactly(1, 2, 3);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.hooks[0].intercepts.server_intercept"))
			.containsEntry("accepted", 1)
			.containsEntry("accept_failed", 0)
			.containsEntry("error", 0);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.hooks[0].intercepts.intercept"))
			.containsEntry("accepted", 1);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.hooks[1].intercepts.intercept"))
			.containsEntry("accepted", 0)
			.containsEntry("error", 1);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.hooks[2].intercepts.intercept"))
			.containsEntry("accepted", 0)
			.containsEntry("accept_failed", 0)
			.containsEntry("error", 0);
		assertThat(read(body, "$.tunnels.total")).isEqualTo(0);
	}

	private HttpResponse<byte[]> get(int port, String path) throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(uri(port, path)).timeout(WAIT).GET().build(),
				HttpResponse.BodyHandlers.ofByteArray());
	}

	private static URI uri(int port, String path) {
		return URI.create("http://127.0.0.1:" + port + path);
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	private static Object read(String json, String path) {
		return JsonPath.read(json, path);
	}

}
