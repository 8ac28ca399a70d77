package dev.vconn;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link VConnListener#onAdoptionStarted}: every adoption and connect asked of the factory is
 * announced on the caller's thread, and its {@link AdoptionObserver} hears exactly once how it
 * ended, after the runtime-wide callback; a listener that throws changes nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdoptionObserverTests {

	private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	private final List<String> calls = new CopyOnWriteArrayList<>();

	private final VConnRuntime runtime = VConnRuntime.builder()
		.transport(Transport.NIO)
		.eventThreads(1)
		.addListener(new VConnListener() {
			@Override
			public AdoptionObserver onAdoptionStarted(AdoptionSource source, @Nullable SocketAddress remote) {
				throw new IllegalStateException("listener failure");
			}
		})
		.addListener(tracing())
		.build();

	@AfterEach
	void stop() {
		this.runtime.close(Duration.ofSeconds(5));
	}

	@Test
	void adoptionIsStartedOnTheCallersThreadAndEndsOnceAfterTheRuntimeWideCallback() throws Exception {
		String caller = Thread.currentThread().getName();
		try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK);
				SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
				Socket accepted = server.accept()) {
			VConn vconn = this.runtime.factory().adopt(channel).orElseThrow();
			assertThat(this.calls).containsExactly("start CHANNEL null on " + caller, "adopted CHANNEL",
					"ended adopted " + vconn.id());
			vconn.close();
		}
	}

	@Test
	void failedAdoptionEndsOnceWithItsReason() {
		assertThat(this.runtime.factory().adopt(-1).failureReason()).isEqualTo(AdoptionFailureReason.INVALID_FD);
		assertThat(this.calls).containsExactly("start FD null on " + Thread.currentThread().getName(),
				"failed FD INVALID_FD", "ended failed INVALID_FD");
	}

	@Test
	void refusedConnectEndsOnceWithItsTarget() throws Exception {
		InetSocketAddress refusing;
		try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
			refusing = new InetSocketAddress(LOOPBACK, socket.getLocalPort());
		}
		CompletableFuture<VConn> connect = this.runtime.factory().connect(refusing);
		assertThat(connect).failsWithin(Duration.ofSeconds(10));
		await().atMost(Duration.ofSeconds(10)).until(() -> this.calls.size() == 3);
		assertThat(this.calls).containsExactly("start CONNECT " + refusing + " on " + Thread.currentThread().getName(),
				"failed CONNECT CONNECT_FAILED", "ended failed CONNECT_FAILED");
	}

	private VConnListener tracing() {
		return new VConnListener() {
			@Override
			public AdoptionObserver onAdoptionStarted(AdoptionSource source, @Nullable SocketAddress remote) {
				AdoptionObserverTests.this.calls
					.add("start " + source + " " + remote + " on " + Thread.currentThread().getName());
				return new AdoptionObserver() {
					@Override
					public void onAdopted(VConn vconn) {
						AdoptionObserverTests.this.calls.add("ended adopted " + vconn.id());
					}

					@Override
					public void onFailed(AdoptionFailureReason reason) {
						AdoptionObserverTests.this.calls.add("ended failed " + reason);
					}
				};
			}

			@Override
			public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
				AdoptionObserverTests.this.calls.add("adopted " + source);
			}

			@Override
			public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
				AdoptionObserverTests.this.calls.add("failed " + source + " " + reason);
			}
		};
	}

}
