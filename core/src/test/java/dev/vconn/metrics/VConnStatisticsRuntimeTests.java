package dev.vconn.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.NettyLeakCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.awaitility.Awaitility.await;

/**
 * The statistics of a real runtime over real loopback sockets: what they count when the peer
 * resets, and that a listener that throws, added before them, takes nothing from their counts.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VConnStatisticsRuntimeTests {

	private final VConnStatistics statistics = new VConnStatistics();

	private ServerSocketChannel server;

	@BeforeEach
	void listen() throws IOException {
		this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
	}

	@AfterEach
	void stopListening() throws IOException {
		this.server.close();
	}

	@Test
	void peerResetEndsAsPeerInAbortsAndInClosedAlike() throws Exception {
		try (VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).addListener(this.statistics).build();
				SocketChannel client = SocketChannel.open(this.server.getLocalAddress());
				SocketChannel peer = this.server.accept()) {
			VConn vconn = runtime.factory().adopt(client).orElseThrow();
			IOBuffer buffer = IOBuffer.create();
			Continuation closeOnEnd = (event, data) -> {
				if (event == VConnEvent.ERROR || event == VConnEvent.VCONN_EOS) {
					vconn.close();
				}
			};
			closeOnEnd.mutex().lock();
			try {
				vconn.read(closeOnEnd, buffer, Long.MAX_VALUE);
			}
			finally {
				closeOnEnd.mutex().unlock();
			}
			peer.setOption(StandardSocketOptions.SO_LINGER, 0);
			peer.close(); // a reset, not an end of stream

			await().atMost(Duration.ofSeconds(10)).until(() -> this.statistics.closed() == 1);
			buffer.close();
			assertThat(this.statistics.aborts(CloseKind.PEER)).isEqualTo(1);
			assertThat(this.statistics.closed(CloseKind.PEER)).isEqualTo(1);
			assertThat(this.statistics.closed(CloseKind.ERROR)).isZero();
			assertThat(this.statistics.adoptions()).isEqualTo(this.statistics.closed() + runtime.activeCount());
		}
	}

	@Test
	void aListenerThatThrowsTakesNothingFromTheCountsOfTheListenersAfterIt() throws Exception {
		VConnListener throwing = new VConnListener() {
			@Override
			public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
				throw new IllegalStateException("listener failure");
			}

			@Override
			public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
				throw new IllegalStateException("listener failure");
			}

			@Override
			public void onAborted(VConn vconn, CloseKind cause, int error) {
				throw new IllegalStateException("listener failure");
			}

			@Override
			public void onClosed(VConn vconn, CloseKind how) {
				throw new IllegalStateException("listener failure");
			}
		};
		try (VConnRuntime runtime = VConnRuntime.builder()
			.eventThreads(1)
			.addListener(throwing)
			.addListener(this.statistics)
			.build();
				SocketChannel client = SocketChannel.open(this.server.getLocalAddress());
				SocketChannel peer = this.server.accept()) {
			VConn vconn = runtime.factory().adopt(client).orElseThrow();
			assertThat(runtime.factory().adopt(-1).failureReason()).isEqualTo(AdoptionFailureReason.INVALID_FD);
			vconn.abort(0);

			await().atMost(Duration.ofSeconds(10)).until(() -> this.statistics.closed() == 1);
			assertThat(this.statistics.adoptions(AdoptionSource.CHANNEL)).isEqualTo(1);
			assertThat(this.statistics.adoptionFailures(AdoptionSource.FD, AdoptionFailureReason.INVALID_FD))
				.isEqualTo(1);
			assertThat(this.statistics.aborts(CloseKind.API)).isEqualTo(1);
			assertThat(this.statistics.closed(CloseKind.API)).isEqualTo(1);
			// the abort still reset the peer
			assertThatException().isThrownBy(() -> peer.read(ByteBuffer.allocate(1))).withMessageContaining("reset");
		}
	}

}
