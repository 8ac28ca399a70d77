package dev.vconn.autoconfigure.it;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.jayway.jsonpath.JsonPath;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnFactory;
import dev.vconn.VConnRuntime;
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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A running web application adopts real sockets and descriptors, good and bad, aborts one VConn,
 * lets another time out, and reports all of it through the actuator over HTTP.
 */
@SpringBootTest(classes = VConnTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.endpoints.web.exposure.include=health,metrics,vconn",
				"management.endpoint.health.show-details=always", "vconn.event-threads=1",
				"vconn.shutdown.timeout=2s" })
@Timeout(120)
class VConnApplicationTests {

	@LocalServerPort
	int port;

	@Autowired
	VConnFactory factory;

	@Autowired
	VConnRuntime runtime;

	@Autowired
	VConnStatistics statistics;

	@Test
	void adoptionsAbortsAndTimeoutsAreReportedByMetricsEndpointAndHealth() throws Exception {
		assumeTrue(this.runtime.transport() == Transport.EPOLL, "raw descriptors are adopted on epoll only");
		ActuatorClient client = new ActuatorClient(this.port);
		try (TestSockets sockets = new TestSockets()) {
			// Good: two JDK channels and one raw descriptor.
			TestSockets.ChannelPair first = sockets.connectedChannel();
			VConn toAbort = this.factory.adopt(first.client()).orElseThrow();
			TestSockets.ChannelPair second = sockets.connectedChannel();
			VConn live = this.factory.fdCreate(second.client());
			assertThat(live).isNotNull();
			TestSockets.FdPair raw = sockets.connectedFd();
			VConn toTimeOut = this.factory.fdCreate(raw.fd());
			assertThat(toTimeOut).isNotNull();
			sockets.forget(raw.fd());
			assertThat(toTimeOut.fd()).isEqualTo(raw.fd());

			// Bad: each fails with its reason and leaves the descriptor as it was.
			assertThat(this.factory.fdCreate(-1)).isNull();
			int closed = sockets.closedFd();
			assertThat(this.factory.adopt(closed).failureReason()).isEqualTo(AdoptionFailureReason.BAD_FD);
			assertThat(TestSockets.isOpen(closed)).isFalse();
			int pipe = sockets.pipeFd();
			int pipeFlags = TestSockets.statusFlags(pipe);
			assertThat(this.factory.adopt(pipe).failureReason()).isEqualTo(AdoptionFailureReason.NOT_A_SOCKET);
			assertThat(TestSockets.statusFlags(pipe)).isEqualTo(pipeFlags);
			int fileFd = sockets.regularFileFd(TestSockets.ascii("data"));
			int fileFlags = TestSockets.statusFlags(fileFd);
			assertThat(this.factory.adopt(fileFd).failureReason()).isEqualTo(AdoptionFailureReason.NOT_A_SOCKET);
			assertThat(TestSockets.statusFlags(fileFd)).isEqualTo(fileFlags);
			try (SocketChannel unconnected = SocketChannel.open()) {
				assertThat(this.factory.adopt(unconnected).failureReason())
					.isEqualTo(AdoptionFailureReason.NOT_CONNECTED);
				assertThat(unconnected.isOpen()).isTrue();
			}

			// An abort by the application, and a timeout nobody handles.
			toAbort.abort(0);
			assertThatException().isThrownBy(() -> first.peer().read(ByteBuffer.allocate(1)))
				.withMessageContaining("reset");
			List<VConnEvent> seen = new CopyOnWriteArrayList<>();
			Continuation ignoring = (event, data) -> seen.add(event);
			IOBuffer buffer = IOBuffer.create();
			ignoring.mutex().lock();
			try {
				toTimeOut.read(ignoring, buffer, Long.MAX_VALUE);
				toTimeOut.setInactivityTimeout(Duration.ofMillis(100));
			}
			finally {
				ignoring.mutex().unlock();
			}
			await().atMost(Duration.ofSeconds(10)).until(() -> this.statistics.closed() == 2);
			assertThat(seen).containsExactly(VConnEvent.VCONN_INACTIVITY_TIMEOUT);
			assertThat(toTimeOut.isClosed()).isTrue();
			buffer.close();
			assertThat(this.runtime.activeCount()).isEqualTo(1);
			assertThat(this.runtime.find(live.id())).contains(live);

			// Metrics over HTTP: exact counts, reconciled.
			assertThat(client.metric("vconn.adoptions")).isEqualTo(8.0);
			assertThat(client.metric("vconn.adoptions", "outcome:success")).isEqualTo(3.0);
			assertThat(client.metric("vconn.adoptions", "outcome:success", "source:channel")).isEqualTo(2.0);
			assertThat(client.metric("vconn.adoptions", "outcome:success", "source:fd")).isEqualTo(1.0);
			assertThat(client.metric("vconn.adoptions", "outcome:failure")).isEqualTo(5.0);
			assertThat(client.metric("vconn.adoptions", "reason:invalid_fd")).isEqualTo(1.0);
			assertThat(client.metric("vconn.adoptions", "reason:bad_fd")).isEqualTo(1.0);
			assertThat(client.metric("vconn.adoptions", "reason:not_a_socket", "source:fd")).isEqualTo(2.0);
			assertThat(client.metric("vconn.adoptions", "reason:not_connected", "source:channel")).isEqualTo(1.0);
			assertThat(client.metric("vconn.aborts")).isEqualTo(2.0);
			assertThat(client.metric("vconn.aborts", "cause:api")).isEqualTo(1.0);
			assertThat(client.metric("vconn.aborts", "cause:timeout")).isEqualTo(1.0);
			assertThat(client.metric("vconn.aborts", "cause:shutdown")).isZero();
			assertThat(client.metric("vconn.closed")).isEqualTo(2.0);
			assertThat(client.metric("vconn.closed", "how:api")).isEqualTo(1.0);
			assertThat(client.metric("vconn.closed", "how:timeout")).isEqualTo(1.0);
			assertThat(client.metric("vconn.active")).isEqualTo(1.0);
			assertThat(client.metric("vconn.adoption.duration")).isEqualTo(8.0);
			assertThat(client.metric("vconn.adoptions", "outcome:success"))
				.isEqualTo(client.metric("vconn.closed") + client.metric("vconn.active"));
			HttpResponse<String> adoptions = client.get("/actuator/metrics/vconn.adoptions");
			List<String> reasons = JsonPath.read(adoptions.body(), "$.availableTags[?(@.tag == 'reason')].values[*]");
			assertThat(reasons).contains("none", "invalid_fd", "bad_fd", "not_a_socket", "limit_reached");

			// The vconn endpoint.
			HttpResponse<String> response = client.get("/actuator/vconn");
			assertThat(response.statusCode()).isEqualTo(200);
			String body = response.body();
			assertThat(read(body, "$.transport")).isEqualTo("epoll");
			assertThat(read(body, "$.fdAdoption.available")).isEqualTo(true);
			assertThat(read(body, "$.eventThreads")).isEqualTo(1);
			assertThat(read(body, "$.running")).isEqualTo(true);
			assertThat(read(body, "$.healthy")).isEqualTo(true);
			assertThat(read(body, "$.limits.maxConnections")).isEqualTo(0);
			assertThat(read(body, "$.limits.shutdownTimeout")).isEqualTo("PT2S");
			assertThat(read(body, "$.active")).isEqualTo(1);
			assertThat(read(body, "$.adoptions.succeeded")).isEqualTo(3);
			assertThat(read(body, "$.adoptions.failed")).isEqualTo(5);
			assertThat(JsonPath.<Map<String, Integer>>read(body, "$.adoptions.bySource")).containsEntry("channel", 2)
				.containsEntry("fd", 1)
				.containsEntry("connect", 0);
			assertThat(JsonPath.<Map<String, Integer>>read(body, "$.adoptions.failuresByReason"))
				.containsEntry("invalid_fd", 1)
				.containsEntry("bad_fd", 1)
				.containsEntry("not_a_socket", 2)
				.containsEntry("not_connected", 1)
				.containsEntry("limit_reached", 0);
			assertThat(read(body, "$.aborts.total")).isEqualTo(2);
			assertThat(JsonPath.<Map<String, Integer>>read(body, "$.aborts.by")).containsEntry("api", 1)
				.containsEntry("timeout", 1)
				.containsEntry("shutdown", 0);
			assertThat(read(body, "$.closed.total")).isEqualTo(2);
			assertThat(JsonPath.<List<String>>read(body, "$.hooks[*].name")).containsExactly("RoutingHook", "audit");
			assertThat(JsonPath.<List<Integer>>read(body, "$.hooks[*].order")).containsExactly(-1, 10);
			assertThat(JsonPath.<List<Integer>>read(body, "$.connections[*].id"))
				.containsExactly(Math.toIntExact(live.id()));

			// The endpoint and the meters read the same statistics: every total agrees.
			JsonPath.<Map<String, Integer>>read(body, "$.closed.by")
				.forEach((how, count) -> assertThat(metric(client, "vconn.closed", "how:" + how)).as("closed %s", how)
					.isEqualTo(count.doubleValue()));
			JsonPath.<Map<String, Integer>>read(body, "$.aborts.by")
				.forEach((cause, count) -> assertThat(metric(client, "vconn.aborts", "cause:" + cause))
					.as("aborts %s", cause)
					.isEqualTo(count.doubleValue()));
			JsonPath.<Map<String, Integer>>read(body, "$.adoptions.bySource")
				.forEach((source, count) -> assertThat(
						metric(client, "vconn.adoptions", "outcome:success", "source:" + source))
					.as("adoptions from %s", source)
					.isEqualTo(count.doubleValue()));
			JsonPath.<Map<String, Integer>>read(body, "$.adoptions.failuresByReason")
				.forEach((reason, count) -> assertThat(metric(client, "vconn.adoptions", "reason:" + reason))
					.as("failures %s", reason)
					.isEqualTo(count.doubleValue()));

			// One VConn by id.
			HttpResponse<String> one = client.get("/actuator/vconn/" + live.id());
			assertThat(one.statusCode()).isEqualTo(200);
			assertThat(read(one.body(), "$.id")).isEqualTo(Math.toIntExact(live.id()));
			assertThat(read(one.body(), "$.state")).isEqualTo("open");
			assertThat(read(one.body(), "$.fd")).isEqualTo(-1);
			assertThat(read(one.body(), "$.remote")).isEqualTo(second.peer().getLocalAddress().toString());
			assertThat(read(one.body(), "$.local")).isEqualTo(second.peer().getRemoteAddress().toString());
			assertThat(read(one.body(), "$.bytesIn")).isEqualTo(0);
			assertThat(read(one.body(), "$.bytesOut")).isEqualTo(0);
			assertThat(read(one.body(), "$.age")).asString().startsWith("PT");
			assertThat(client.get("/actuator/vconn/" + toAbort.id()).statusCode()).isEqualTo(404);
			assertThat(client.get("/actuator/vconn/999999999").statusCode()).isEqualTo(404);

			// Health.
			HttpResponse<String> health = client.get("/actuator/health");
			assertThat(health.statusCode()).isEqualTo(200);
			assertThat(read(health.body(), "$.status")).isEqualTo("UP");
			assertThat(read(health.body(), "$.components.vconn.status")).isEqualTo("UP");
			assertThat(read(health.body(), "$.components.vconn.details.transport")).isEqualTo("epoll");
			assertThat(read(health.body(), "$.components.vconn.details.fdAdoption")).isEqualTo(true);
			assertThat(read(health.body(), "$.components.vconn.details.active")).isEqualTo(1);

			// The abort operation is refused without access being granted.
			HttpResponse<String> refused = client.delete("/actuator/vconn/" + live.id());
			assertThat(refused.statusCode()).isEqualTo(405);
			assertThat(live.isClosed()).isFalse();
			assertThat(this.runtime.activeCount()).isEqualTo(1);
			assertThat(client.metric("vconn.aborts", "cause:api")).isEqualTo(1.0);

			live.close();
			await().atMost(Duration.ofSeconds(10)).until(() -> this.runtime.activeCount() == 0);
			assertThat(client.metric("vconn.closed", "how:close")).isEqualTo(1.0);
			assertThat(client.metric("vconn.adoptions", "outcome:success"))
				.isEqualTo(client.metric("vconn.closed") + client.metric("vconn.active"));
		}
	}

	private static double metric(ActuatorClient client, String name, String... tags) {
		try {
			return client.metric(name, tags);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Object read(String json, String path) {
		return JsonPath.read(json, path);
	}

}
