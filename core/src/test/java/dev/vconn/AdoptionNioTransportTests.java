package dev.vconn;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.Blocking;
import dev.vconn.testing.Connected;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.RecordingListener;
import dev.vconn.testing.RecordingListener.Adopted;
import dev.vconn.testing.RecordingListener.Closed;
import dev.vconn.testing.SocketKind;
import dev.vconn.testing.VConnIo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A runtime built with {@code transport(Transport.NIO)} cannot adopt raw descriptors: adopt(int)
 * fails with UNSUPPORTED and leaves the descriptor exactly as it was (bytes included), while
 * adopt(SocketChannel) still works there.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdoptionNioTransportTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final byte[] PENDING = "sent by the peer before adoption".getBytes(StandardCharsets.US_ASCII);

	private final RecordingListener listener = new RecordingListener();

	private NativeFds fds;

	private VConnRuntime runtime;

	@BeforeEach
	void setUp() {
		this.runtime = VConnRuntime.builder()
			.transport(Transport.NIO)
			.eventThreads(2)
			.addListener(this.listener)
			.build();
	}

	@AfterEach
	void tearDown() {
		try {
			this.runtime.close(Duration.ofSeconds(2));
		}
		finally {
			if (this.fds != null) {
				this.fds.close();
			}
		}
	}

	@Test
	void runtimeBuiltForNioUsesNio() {
		assertThat(this.runtime.transport()).isEqualTo(Transport.NIO);
		assertThat(this.runtime.isRunning()).isTrue();
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptFdOnNioRuntimeFailsWithUnsupported(Blocking mode) {
		assumeTrue(NativeFds.isSupported(), "raw descriptors are made with Linux libc calls");
		this.fds = new NativeFds();
		AdoptionChecks checks = new AdoptionChecks(this.runtime, this.listener, this.fds);
		for (SocketKind kind : new SocketKind[] { SocketKind.TCP, SocketKind.UNIX_PAIR }) {
			Connected socket = Connected.of(this.fds, kind);
			mode.apply(socket.fd());
			socket.peerWriteAndAwait(PENDING);

			checks.assertFdAdoptionFails(socket.fd(), AdoptionFailureReason.UNSUPPORTED);
			assertThat(NativeFds.isNonBlocking(socket.fd())).isEqualTo(mode == Blocking.NON_BLOCKING);
			assertThat(socket.peerReadable()).as("bytes written to the %s peer", kind).isZero();
			assertThat(NativeFds.readFully(socket.fd(), PENDING.length, WAIT)).as("bytes still for the caller")
				.isEqualTo(PENDING);
		}
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptSocketChannelOnNioRuntimeWorks(Blocking mode) throws IOException {
		try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
			server.setSoTimeout((int) WAIT.toMillis());
			SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
			try (Socket peer = server.accept()) {
				channel.configureBlocking(mode == Blocking.BLOCKING);
				Adoption adoption = this.runtime.factory().adopt(channel);
				if (!adoption.isSuccess()) {
					channel.close();
				}
				assertThat(adoption.isSuccess()).as("%s", adoption).isTrue();
				VConn vconn = adoption.vconn();
				assertThat(vconn.fd()).isEqualTo(-1);
				InetSocketAddress remote = (InetSocketAddress) vconn.remoteAddress();
				assertThat(remote.getPort()).isEqualTo(server.getLocalPort());
				assertThat(this.listener.events()).containsExactly(new Adopted(vconn, AdoptionSource.CHANNEL));

				CompletableFuture<byte[]> received = VConnIo.read(vconn, 4);
				peer.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
				assertThat(received).succeedsWithin(WAIT).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
				assertThat(VConnIo.write(vconn, "pong".getBytes(StandardCharsets.US_ASCII))).succeedsWithin(WAIT);
				assertThat(VConnIo.readFully(peer, 4)).isEqualTo("pong".getBytes(StandardCharsets.US_ASCII));

				vconn.close();
				assertThat(VConnIo.readToEof(peer)).isEmpty();
				await().atMost(WAIT).until(() -> !channel.isOpen());
				AdoptionChecks.awaitNoActiveVConn(this.runtime);
				await().atMost(WAIT).until(() -> !this.listener.closes().isEmpty());
				assertThat(this.listener.eventsOf(vconn)).containsExactly(new Adopted(vconn, AdoptionSource.CHANNEL),
						new Closed(vconn, CloseKind.CLOSE));
			}
		}
	}

}
