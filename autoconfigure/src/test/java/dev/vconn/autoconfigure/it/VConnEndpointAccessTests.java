package dev.vconn.autoconfigure.it;

import java.net.http.HttpResponse;
import java.time.Duration;

import com.jayway.jsonpath.JsonPath;
import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnFactory;
import dev.vconn.autoconfigure.testing.ActuatorClient;
import dev.vconn.autoconfigure.testing.TestSockets;
import dev.vconn.metrics.VConnStatistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.awaitility.Awaitility.await;

/**
 * Once {@code management.endpoint.vconn.access=unrestricted} grants it, {@code DELETE
 * /actuator/vconn/{id}} aborts the VConn.
 */
@SpringBootTest(classes = VConnTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.endpoints.web.exposure.include=vconn",
				"management.endpoint.vconn.access=unrestricted", "vconn.event-threads=1" })
@Timeout(120)
class VConnEndpointAccessTests {

	@LocalServerPort
	int port;

	@Autowired
	VConnFactory factory;

	@Autowired
	VConnStatistics statistics;

	@Test
	void deleteAbortsTheVConnOnceAccessIsGranted() throws Exception {
		ActuatorClient client = new ActuatorClient(this.port);
		try (TestSockets sockets = new TestSockets()) {
			TestSockets.ChannelPair pair = sockets.connectedChannel();
			VConn vconn = this.factory.adopt(pair.client()).orElseThrow();

			HttpResponse<String> response = client.delete("/actuator/vconn/" + vconn.id());
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(JsonPath.<Integer>read(response.body(), "$.id")).isEqualTo(Math.toIntExact(vconn.id()));
			await().atMost(Duration.ofSeconds(10)).until(vconn::isClosed);
			await().atMost(Duration.ofSeconds(10)).until(() -> this.statistics.closedByKind().get(CloseKind.API) == 1);
			assertThat(this.statistics.abortsByCause().get(CloseKind.API)).isEqualTo(1L);
			assertThatException().isThrownBy(() -> pair.peer().read(java.nio.ByteBuffer.allocate(1)))
				.withMessageContaining("reset");

			// No live VConn with that id any more: nothing to abort.
			assertThat(client.delete("/actuator/vconn/" + vconn.id()).statusCode()).isEqualTo(204);
		}
	}

	@Test
	void metricsAreNotExposedUnlessIncluded() throws Exception {
		ActuatorClient client = new ActuatorClient(this.port);
		assertThat(client.get("/actuator/metrics/vconn.adoptions").statusCode()).isEqualTo(404);
		assertThat(client.get("/actuator/vconn").statusCode()).isEqualTo(200);
	}

}
