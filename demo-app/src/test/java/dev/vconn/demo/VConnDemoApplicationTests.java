package dev.vconn.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo as a user runs it: adopt over HTTP, then watch the VConn in the actuator until its
 * inactivity timeout aborts it.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "vconn.inactivity-timeout=15s")
@ActiveProfiles("test")
@Timeout(120)
class VConnDemoApplicationTests {

	private final HttpClient client = HttpClient.newHttpClient();

	@LocalServerPort
	int port;

	@Test
	void adoptedVConnShowsInEndpointAndMetricsUntilItTimesOut() throws Exception {
		HttpResponse<String> created = send(HttpRequest.newBuilder(uri("/demo/adoptions"))
			.POST(HttpRequest.BodyPublishers.noBody()));
		assertThat(created.statusCode()).isEqualTo(201);
		int id = JsonPath.read(created.body(), "$.id");

		assertThat(get("/actuator/vconn/" + id).statusCode()).isEqualTo(200);
		String runtime = get("/actuator/vconn").body();
		assertThat(JsonPath.<Integer>read(runtime, "$.limits.maxConnections")).isEqualTo(1000);
		assertThat(JsonPath.<Integer>read(runtime, "$.adoptions.succeeded")).isEqualTo(1);
		assertThat(JsonPath.<String>read(runtime, "$.hooks[0].name")).isEqualTo("intercept");
		assertThat(metric("vconn.adoptions?tag=outcome:success")).isEqualTo(1.0);
		// the same adoption as a Micrometer observation, timed by Spring Boot's default meter handler
		assertThat(metric("vconn.adoption?tag=outcome:success")).isEqualTo(1.0);

		await().atMost(Duration.ofSeconds(60)).until(() -> get("/actuator/vconn/" + id).statusCode() == 404);
		assertThat(metric("vconn.aborts?tag=cause:timeout")).isEqualTo(1.0);
		assertThat(metric("vconn.active")).isZero();
		assertThat(JsonPath.<String>read(get("/actuator/health").body(), "$.components.vconn.status"))
			.isEqualTo("UP");
	}

	private double metric(String nameAndQuery) throws Exception {
		HttpResponse<String> response = get("/actuator/metrics/" + nameAndQuery);
		assertThat(response.statusCode()).isEqualTo(200);
		Number value = JsonPath.read(response.body(), "$.measurements[0].value");
		return value.doubleValue();
	}

	private HttpResponse<String> get(String path) throws Exception {
		return send(HttpRequest.newBuilder(uri(path)).GET());
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
		return this.client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
	}

	private URI uri(String path) {
		return URI.create("http://127.0.0.1:" + this.port + path);
	}

}
