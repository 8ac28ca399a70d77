package dev.vconn;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.epoll.Epoll;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link VConnFactory#connect(java.net.SocketAddress)} on each transport: the socket is of the
 * target's address family, a failed connect gives its slot back, and the VConn it makes is a
 * working connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectTests {

	private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	private @Nullable VConnRuntime started;

	/** A runtime of one event thread and one connection slot. */
	private VConnRuntime start(Transport transport) {
		if (transport == Transport.EPOLL) {
			assumeThat(Epoll.isAvailable()).as("epoll available").isTrue();
		}
		VConnRuntime runtime = VConnRuntime.builder().transport(transport).eventThreads(1).maxConnections(1).build();
		this.started = runtime;
		return runtime;
	}

	@AfterEach
	void stop() {
		VConnRuntime runtime = this.started;
		if (runtime != null) {
			runtime.close(Duration.ofSeconds(5));
		}
	}

	@ParameterizedTest
	@EnumSource(value = Transport.class, names = { "EPOLL", "NIO" })
	void connectToAnIpv4AddressReportsPlainIpv4AddressesOnBothEnds(Transport transport) throws Exception {
		VConnRuntime runtime = start(transport);
		try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
			InetSocketAddress target = new InetSocketAddress(LOOPBACK, server.getLocalPort());
			assumeThat(target.getAddress()).isInstanceOf(Inet4Address.class);
			VConn vconn = runtime.factory().connect(target).get(10, TimeUnit.SECONDS);
			try (Socket accepted = server.accept()) {
				assertThat(vconn.remoteAddress()).isEqualTo(target);
				assertThat(vconn.localAddress()).isEqualTo(accepted.getRemoteSocketAddress());
				assertThat(((InetSocketAddress) vconn.localAddress()).getAddress()).isInstanceOf(Inet4Address.class);
				vconn.close();
				assertThat(accepted.getInputStream().read()).as("the peer sees the close as end of stream").isEqualTo(-1);
			}
		}
	}

	@ParameterizedTest
	@EnumSource(value = Transport.class, names = { "EPOLL", "NIO" })
	void refusedConnectFailsAndGivesItsSlotBack(Transport transport) throws Exception {
		VConnRuntime runtime = start(transport);
		InetSocketAddress refusing;
		try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
			refusing = new InetSocketAddress(LOOPBACK, socket.getLocalPort());
		}
		for (int i = 0; i < 3; i++) {
			CompletableFuture<VConn> connect = runtime.factory().connect(refusing);
			assertThat(connect).failsWithin(Duration.ofSeconds(10))
				.withThrowableThat()
				.havingCause()
				.isInstanceOfSatisfying(AdoptionException.class,
						(ex) -> assertThat(ex.reason()).isEqualTo(AdoptionFailureReason.CONNECT_FAILED));
		}
		assertThat(runtime.activeCount()).isZero();
		try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
			// the runtime's only slot is free again: a connect that works still fits
			VConn vconn = runtime.factory()
				.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()))
				.get(10, TimeUnit.SECONDS);
			try (Socket accepted = server.accept()) {
				assertThat(runtime.activeCount()).isEqualTo(1);
				vconn.close();
				await().atMost(Duration.ofSeconds(10)).until(() -> runtime.activeCount() == 0);
			}
		}
	}

}
