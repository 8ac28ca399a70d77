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
import dev.vconn.TunnelResult;
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
 * The intercept listener in connection mode ({@code vconn.listener.per-transaction=false}): each
 * connection no hook claims is one tunnel to the application's own controller, which closes every
 * connection after its response, so each request is a fresh connection. Tunnels reach the
 * controller byte for byte, a hook takes over the connections it claims, and the tunnel meters,
 * {@code vconn.bytes} and the endpoint show both.
 */
@SpringBootTest(classes = ListenerTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "vconn.listener.enabled=true", "vconn.listener.port=0", "vconn.listener.per-transaction=false",
				"vconn.event-threads=1", "management.endpoints.web.exposure.include=metrics,vconn" })
@Timeout(120)
class InterceptListenerConnectionModeApplicationTests {

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

	@Autowired
	ListenerTestApplication.TunnelResults tunnels;

	@Test
	void tunnelsReachTheControllerHooksTakeOverAndMetersAndEndpointShowBoth() throws Exception {
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

		// The hook takes /hooked over and answers it on the connection itself.
		HttpResponse<byte[]> hooked = get(port, "/hooked");
		assertThat(hooked.statusCode()).isEqualTo(200);
		assertThat(new String(hooked.body(), StandardCharsets.US_ASCII))
			.isEqualTo("Hello from the hook: GET /hooked\n");

		// A hook that throws: 500, and the hooks after it do not run.
		assertThat(get(port, "/boom").statusCode()).isEqualTo(500);

		// Garbage: 400 from the listener, nothing reaches a hook.
		assertThat(RawHttp.exchange(port, "\u0001\u0002 not http at all\r\n\r\n")).startsWith("HTTP/1.1 400 ");

		assertThat(this.observer.targets).containsExactly("GET /hello", "POST /echo");
		await().atMost(WAIT).until(() -> this.tunnels.results.size() == 2);
		await().atMost(WAIT).until(() -> this.statistics.activeTunnels() == 0);
		await().atMost(WAIT).until(() -> this.statistics.intercepts() == 2);
		await().atMost(WAIT).until(() -> this.statistics.listenerRejections() == 1);

		// Meters over HTTP.
		ActuatorClient actuator = new ActuatorClient(this.serverPort);
		assertThat(actuator.metric("vconn.intercepts")).isEqualTo(2.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:hello", "type:intercept", "outcome:accepted"))
			.isEqualTo(1.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:failing", "outcome:error")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.intercepts", "hook:observer")).isZero();
		assertThat(actuator.metric("vconn.listener.rejections")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.listener.rejections", "status:400")).isEqualTo(1.0);
		assertThat(actuator.metric("vconn.listener.rejections", "status:502")).isZero();
		assertThat(actuator.tagValues("vconn.listener.rejections", "status")).containsExactlyInAnyOrder("400", "408",
				"431", "502", "503");
		assertThat(actuator.metric("vconn.tunnel.duration")).isEqualTo(2.0);
		assertThat(actuator.measurement("vconn.tunnel.duration", "TOTAL_TIME")).isPositive();
		assertThat(actuator.metric("vconn.tunnels.active")).isZero();

		// Tunnel bytes are in vconn.bytes: every byte a tunnel delivered was written by a VConn, as
		// was the hook's response. (Request heads read by the listener before a hand-over are
		// delivered but were not read by a VConn, so "in" is short of "out" by their size.)
		long delivered = this.tunnels.results.stream().mapToLong((r) -> r.bytesAToB() + r.bytesBToA()).sum();
		long hookResponse = new HelloResponder("GET /hooked").response().length;
		assertThat(actuator.metric("vconn.bytes", "direction:out")).isEqualTo((double) (delivered + hookResponse));
		long fromOrigin = this.tunnels.results.stream().mapToLong(TunnelResult::bytesBToA).sum();
		assertThat(fromOrigin).isGreaterThan(payload.length);
		assertThat(actuator.metric("vconn.bytes", "direction:in")).isGreaterThanOrEqualTo((double) fromOrigin)
			.isLessThan(actuator.metric("vconn.bytes", "direction:out"));

		// The vconn endpoint.
		HttpResponse<String> response = actuator.get("/actuator/vconn");
		assertThat(response.statusCode()).isEqualTo(200);
		String body = response.body();
		assertThat(read(body, "$.listener.enabled")).isEqualTo(true);
		assertThat(read(body, "$.listener.running")).isEqualTo(true);
		assertThat(read(body, "$.listener.address")).isEqualTo("127.0.0.1:" + port);
		assertThat(read(body, "$.listener.origin")).isEqualTo("127.0.0.1:" + this.serverPort);
		assertThat(read(body, "$.listener.rejections.total")).isEqualTo(1);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.listener.rejections.by")).containsEntry("400", 1)
			.containsEntry("408", 0)
			.containsEntry("431", 0)
			.containsEntry("502", 0)
			.containsEntry("503", 0);
		assertThat(JsonPath.<List<String>>read(body, "$.hooks[*].name")).containsExactly("hello", "failing",
				"observer");
		assertThat(JsonPath.<List<Integer>>read(body, "$.hooks[*].order")).containsExactly(1, 2, 3);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.hooks[0].intercepts.intercept"))
			.containsEntry("accepted", 1)
			.containsEntry("accept_failed", 0)
			.containsEntry("error", 0);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.hooks[1].intercepts.intercept"))
			.containsEntry("error", 1);
		assertThat(read(body, "$.tunnels.active")).isEqualTo(0);
		assertThat(read(body, "$.tunnels.total")).isEqualTo(2);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.tunnels.byEnd")).containsOnlyKeys("eos", "reset",
				"timeout", "aborted", "handed_over");
		assertThat(JsonPath.<Integer>read(body, "$.tunnels.byEnd.eos") + JsonPath.<Integer>read(body,
				"$.tunnels.byEnd.reset")).isEqualTo(2);
		assertThat(JsonPath.<Map<String, Integer>>read(body, "$.adoptions.bySource")).containsEntry("intercept", 3)
			.containsEntry("connect", 2);
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
