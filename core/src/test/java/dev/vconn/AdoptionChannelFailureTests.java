package dev.vconn;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.AdoptionChecks.ChannelState;
import dev.vconn.testing.Blocking;
import dev.vconn.testing.RecordingListener;
import dev.vconn.testing.RecordingListener.Closed;
import dev.vconn.testing.RecordingListener.Failed;
import dev.vconn.testing.VConnIo;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link VConnFactory#fdCreate(SocketChannel)} and {@link VConnFactory#adopt(SocketChannel)}
 * refuse channels that are closed, not connected, still connecting, registered with another
 * selector or already adopted, and refuse good channels when the limit is reached or the runtime
 * is closed; each time the channel keeps its blocking mode, connection and registration, and
 * every byte the peer sent is still there for the caller. Run on both transports: JDK channels
 * are driven by NIO event loops even on an epoll runtime.
 */
@ParameterizedClass(name = "[{0}]")
@EnumSource(value = Transport.class, names = { "EPOLL", "NIO" })
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdoptionChannelFailureTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final byte[] PENDING = "sent by the peer before adoption".getBytes(StandardCharsets.US_ASCII);

	@Parameter
	Transport transport;

	private final RecordingListener listener = new RecordingListener();

	private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

	private ServerSocket server;

	private VConnRuntime runtime;

	private AdoptionChecks checks;

	@BeforeEach
	void setUp() throws IOException {
		if (this.transport == Transport.EPOLL) {
			assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		}
		this.server = closeLater(new ServerSocket(0, 64, InetAddress.getLoopbackAddress()));
		this.server.setSoTimeout((int) WAIT.toMillis());
		this.runtime = runtime(VConnRuntime.builder());
		this.checks = new AdoptionChecks(this.runtime, this.listener, null);
	}

	@AfterEach
	void tearDown() throws Exception {
		Exception failure = null;
		while (!this.closeables.isEmpty()) {
			try {
				this.closeables.pop().close();
			}
			catch (Exception ex) {
				if (failure == null) {
					failure = ex;
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenChannelIsClosedFailsWithBadFd(Blocking mode) throws IOException {
		SocketChannel channel = connectedChannel().channel();
		channel.configureBlocking(mode == Blocking.BLOCKING);
		channel.close();
		this.checks.assertChannelAdoptionFails(channel, AdoptionFailureReason.BAD_FD);
		assertThat(channel.isBlocking()).isEqualTo(mode == Blocking.BLOCKING);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenChannelIsUnconnectedFailsWithNotConnected(Blocking mode) throws IOException {
		SocketChannel channel = closeLater(SocketChannel.open());
		channel.configureBlocking(mode == Blocking.BLOCKING);
		this.checks.assertChannelAdoptionFails(channel, AdoptionFailureReason.NOT_CONNECTED);
		assertThat(channel.isBlocking()).isEqualTo(mode == Blocking.BLOCKING);
		// Still the caller's, and still usable.
		channel.configureBlocking(true);
		assertThat(channel.connect(this.server.getLocalSocketAddress())).isTrue();
		closeLater(this.server.accept());
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenChannelIsBoundButUnconnectedFailsWithNotConnected(Blocking mode) throws IOException {
		SocketChannel channel = closeLater(SocketChannel.open());
		channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
		channel.configureBlocking(mode == Blocking.BLOCKING);
		this.checks.assertChannelAdoptionFails(channel, AdoptionFailureReason.NOT_CONNECTED);
		assertThat(channel.isBlocking()).isEqualTo(mode == Blocking.BLOCKING);
	}

	@Test
	void adoptWhenChannelConnectIsPendingFailsWithNotConnected() throws IOException {
		SocketChannel channel = closeLater(SocketChannel.open());
		channel.configureBlocking(false);
		boolean connectedAtOnce = channel.connect(this.server.getLocalSocketAddress());
		assumeTrue(!connectedAtOnce, "the loopback connect completed at once; no pending state to test");
		assertThat(channel.isConnectionPending()).isTrue();

		this.checks.assertChannelAdoptionFails(channel, AdoptionFailureReason.NOT_CONNECTED);
		assertThat(channel.isConnectionPending()).as("connect still pending: finishConnect is the caller's").isTrue();
		assertThat(channel.isBlocking()).isFalse();
		// The caller can still finish its connect.
		try (Selector selector = Selector.open()) {
			channel.register(selector, SelectionKey.OP_CONNECT);
			while (!channel.finishConnect()) {
				selector.select(WAIT.toMillis());
			}
		}
		assertThat(channel.isConnected()).isTrue();
		closeLater(this.server.accept());
	}

	@Test
	void adoptWhenChannelIsRegisteredWithAnotherSelectorFailsWithAlreadyAdopted() throws IOException {
		Pair pair = connectedChannel();
		SocketChannel channel = pair.channel();
		channel.configureBlocking(false);
		Selector selector = closeLater(Selector.open());
		SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
		pair.peer().getOutputStream().write(PENDING);

		this.checks.assertChannelAdoptionFails(channel, AdoptionFailureReason.ALREADY_ADOPTED);
		assertThat(channel.keyFor(selector)).isSameAs(key);
		assertThat(key.isValid()).isTrue();
		assertThat(key.interestOps()).isEqualTo(SelectionKey.OP_READ);
		assertThat(channel.isBlocking()).isFalse();
		assertThat(pair.peer().getInputStream().available()).as("bytes written to the peer").isZero();

		// The caller's selector still drives the channel, and every pending byte is there.
		ByteBuffer received = ByteBuffer.allocate(PENDING.length);
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (received.hasRemaining() && System.nanoTime() < deadline) {
			if (selector.select(WAIT.toMillis()) > 0) {
				selector.selectedKeys().clear();
				assertThat(channel.read(received)).isNotNegative();
			}
		}
		assertThat(received.array()).isEqualTo(PENDING);
	}

	@Test
	void adoptWhenChannelIsAlreadyAdoptedFailsWithAlreadyAdopted() throws IOException {
		Pair pair = connectedChannel();
		SocketChannel channel = pair.channel();
		VConn first = this.checks.adopt(channel);
		ChannelState adoptedState = ChannelState.of(channel);
		this.listener.clear();

		assertThat(this.runtime.factory().fdCreate(channel)).isNull();
		AdoptionChecks.assertFailure(this.runtime.factory().adopt(channel), AdoptionFailureReason.ALREADY_ADOPTED);
		assertThat(this.listener.events()).containsExactly(
				new Failed(AdoptionSource.CHANNEL, AdoptionFailureReason.ALREADY_ADOPTED),
				new Failed(AdoptionSource.CHANNEL, AdoptionFailureReason.ALREADY_ADOPTED));
		assertThat(ChannelState.of(channel)).isEqualTo(adoptedState);

		// The first VConn is not disturbed.
		assertThat(first.isClosed()).isFalse();
		assertThat(this.runtime.vconns()).containsExactly(first);
		CompletableFuture<byte[]> received = VConnIo.read(first, 4);
		pair.peer().getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
		assertThat(received).succeedsWithin(WAIT).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
		assertThat(VConnIo.write(first, "pong".getBytes(StandardCharsets.US_ASCII))).succeedsWithin(WAIT);
		assertThat(VConnIo.readFully(pair.peer(), 4)).isEqualTo("pong".getBytes(StandardCharsets.US_ASCII));
		first.close();
		assertThat(VConnIo.readToEof(pair.peer())).isEmpty();
		await().atMost(WAIT).until(() -> !channel.isOpen());
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
		assertThat(this.listener.closes()).containsExactly(new Closed(first, CloseKind.CLOSE));
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenChannelLimitIsReachedFailsWithLimitReached(Blocking mode) throws IOException {
		VConnRuntime limited = runtime(VConnRuntime.builder().maxConnections(1));
		AdoptionChecks limitedChecks = new AdoptionChecks(limited, this.listener, null);
		VConn first = limitedChecks.adopt(connectedChannel().channel());
		Pair pair = connectedChannel();
		pair.peer().getOutputStream().write(PENDING);
		pair.channel().configureBlocking(mode == Blocking.BLOCKING);

		limitedChecks.assertChannelAdoptionFails(pair.channel(), AdoptionFailureReason.LIMIT_REACHED);
		assertThat(pair.channel().isBlocking()).isEqualTo(mode == Blocking.BLOCKING);
		assertThat(pair.peer().getInputStream().available()).as("bytes written to the peer").isZero();
		pair.channel().configureBlocking(true);
		assertThat(VConnIo.readFully(pair.channel(), PENDING.length)).isEqualTo(PENDING);

		first.close();
		AdoptionChecks.awaitNoActiveVConn(limited);
		VConn second = limitedChecks.adopt(pair.channel());
		second.close();
		assertThat(VConnIo.readToEof(pair.peer())).isEmpty();
		AdoptionChecks.awaitNoActiveVConn(limited);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenRuntimeIsClosedChannelFailsWithShuttingDown(Blocking mode) throws IOException {
		Pair pair = connectedChannel();
		pair.peer().getOutputStream().write(PENDING);
		pair.channel().configureBlocking(mode == Blocking.BLOCKING);
		this.runtime.close(Duration.ofSeconds(5));

		this.checks.assertChannelAdoptionFails(pair.channel(), AdoptionFailureReason.SHUTTING_DOWN);
		assertThat(pair.channel().isBlocking()).isEqualTo(mode == Blocking.BLOCKING);
		assertThat(pair.peer().getInputStream().available()).as("bytes written to the peer").isZero();
		pair.channel().configureBlocking(true);
		assertThat(VConnIo.readFully(pair.channel(), PENDING.length)).isEqualTo(PENDING);
	}

	private Pair connectedChannel() throws IOException {
		SocketChannel channel = closeLater(SocketChannel.open(this.server.getLocalSocketAddress()));
		int localPort = ((InetSocketAddress) channel.getLocalAddress()).getPort();
		while (true) {
			Socket peer = closeLater(this.server.accept());
			if (peer.getPort() == localPort) {
				peer.setSoTimeout((int) WAIT.toMillis());
				return new Pair(channel, peer);
			}
			peer.close();
		}
	}

	private VConnRuntime runtime(VConnRuntime.Builder builder) {
		VConnRuntime runtime = builder.transport(this.transport)
			.eventThreads(2)
			.addListener(this.listener)
			.build();
		this.closeables.push(() -> runtime.close(Duration.ofSeconds(2)));
		return runtime;
	}

	private <T extends AutoCloseable> T closeLater(T closeable) {
		this.closeables.push(closeable);
		return closeable;
	}

	private record Pair(SocketChannel channel, Socket peer) {
	}

}
