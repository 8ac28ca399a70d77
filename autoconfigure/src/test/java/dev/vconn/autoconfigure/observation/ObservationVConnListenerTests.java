package dev.vconn.autoconfigure.observation;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import dev.vconn.Adoption;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionObserver;
import dev.vconn.AdoptionSource;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code vconn.adoption} observation of a real runtime adopting and connecting real loopback
 * sockets.
 */
@Timeout(60)
class ObservationVConnListenerTests {

	private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	private final TestObservationRegistry registry = TestObservationRegistry.create();

	private final VConnRuntime runtime = VConnRuntime.builder()
		.eventThreads(1)
		.addListener(new ObservationVConnListener(this.registry))
		.build();

	@AfterEach
	void stop() {
		this.runtime.close();
	}

	@Test
	void adoptionOfConnectedChannelIsObservedAsSuccessWithPeerAndCallersParent() throws Exception {
		try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK);
				SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
				Socket accepted = server.accept()) {
			Observation request = Observation.start("request", this.registry);
			Adoption adoption;
			try (Observation.Scope scope = request.openScope()) {
				adoption = this.runtime.factory().adopt(channel);
			}
			request.stop();
			assertThat(adoption.isSuccess()).isTrue();
			TestObservationRegistryAssert.assertThat(this.registry)
				.hasObservationWithNameEqualTo("vconn.adoption")
				.that()
				.hasBeenStopped()
				.hasContextualNameEqualTo("vconn adopt channel")
				.hasLowCardinalityKeyValue("outcome", "success")
				.hasLowCardinalityKeyValue("reason", "none")
				.hasLowCardinalityKeyValue("source", "channel")
				.hasHighCardinalityKeyValue("network.peer.address", "127.0.0.1")
				.hasHighCardinalityKeyValue("network.peer.port", Integer.toString(server.getLocalPort()))
				.hasParentObservationEqualTo(request);
			adoption.orElseThrow().close();
		}
	}

	@Test
	void adoptionOfUnconnectedChannelIsObservedAsFailureWithReason() throws Exception {
		try (SocketChannel channel = SocketChannel.open()) {
			Adoption adoption = this.runtime.factory().adopt(channel);
			assertThat(adoption.failureReason()).isEqualTo(AdoptionFailureReason.NOT_CONNECTED);
			TestObservationRegistryAssert.assertThat(this.registry)
				.hasSingleObservationThat()
				.hasNameEqualTo("vconn.adoption")
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("outcome", "failure")
				.hasLowCardinalityKeyValue("reason", "not_connected")
				.hasLowCardinalityKeyValue("source", "channel")
				.hasHighCardinalityKeyValue("network.peer.address", "unknown")
				.doesNotHaveParentObservation();
		}
	}

	@Test
	void connectIsObservedUntilTheVConnIsLiveOnItsEventThread() throws Exception {
		try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
			CompletableFuture<VConn> connect = this.runtime.factory().connect(server.getLocalSocketAddress());
			try (Socket accepted = server.accept()) {
				VConn vconn = connect.get(10, java.util.concurrent.TimeUnit.SECONDS);
				// stopped before the future completed
				TestObservationRegistryAssert.assertThat(this.registry)
					.hasSingleObservationThat()
					.hasBeenStopped()
					.hasContextualNameEqualTo("vconn connect")
					.hasLowCardinalityKeyValue("outcome", "success")
					.hasLowCardinalityKeyValue("source", "connect")
					.hasHighCardinalityKeyValue("network.peer.port", Integer.toString(server.getLocalPort()));
				vconn.close();
			}
		}
	}

	@Test
	void refusedConnectIsObservedAsFailureWithTheTargetAsPeer() throws Exception {
		InetSocketAddress refusing;
		try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
			refusing = new InetSocketAddress(LOOPBACK, socket.getLocalPort());
		}
		CompletableFuture<VConn> connect = this.runtime.factory().connect(refusing);
		assertThat(connect).failsWithin(Duration.ofSeconds(10));
		// the future completes after the observer heard of the failure, on another thread
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> TestObservationRegistryAssert.assertThat(this.registry)
				.hasSingleObservationThat()
				.hasBeenStopped());
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasSingleObservationThat()
			.hasLowCardinalityKeyValue("outcome", "failure")
			.hasLowCardinalityKeyValue("reason", "connect_failed")
			.hasLowCardinalityKeyValue("source", "connect")
			.hasHighCardinalityKeyValue("network.peer.address", "127.0.0.1")
			.hasHighCardinalityKeyValue("network.peer.port", Integer.toString(refusing.getPort()));
	}

	@Test
	void noopRegistryFollowsNoAttempt() {
		ObservationVConnListener listener = new ObservationVConnListener(ObservationRegistry.NOOP);
		assertThat(listener.onAdoptionStarted(AdoptionSource.CONNECT, null)).isSameAs(AdoptionObserver.noop());
	}

}
