package dev.vconn;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.vconn.internal.net.LibC;
import dev.vconn.testing.Connected;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.VConnIo;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Live VConns and listening sockets handed from one runtime to another with {@link VConnSender}
 * and {@link VConnReceiver}, over a real Unix domain socket with real descriptors: the two
 * runtimes stand for two processes (the receiver adopts its own copy of each descriptor, as
 * another process would).
 */
@Timeout(30)
class VConnTransferTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path directory;

	private final NativeFds fds = new NativeFds();

	private final BlockingQueue<VConn> received = new LinkedBlockingQueue<>();

	private final BlockingQueue<Integer> listeners = new LinkedBlockingQueue<>();

	private final List<String> failures = new CopyOnWriteArrayList<>();

	private final List<AdoptionSource> adoptedOnReceiver = new CopyOnWriteArrayList<>();

	private volatile boolean declineVConns;

	/** Runs on the receiver's thread when a VConn arrives, before the handler decides. */
	private volatile Runnable beforeDeciding = () -> {
	};

	private VConnRuntime senderRuntime;

	private VConnRuntime receiverRuntime;

	private VConnReceiver receiver;

	private VConnSender sender;

	@BeforeEach
	void start() {
		assumeTrue(Epoll.isAvailable() && NativeFds.isSupported(), "handing VConns over needs Linux and epoll");
		this.senderRuntime = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).build();
		this.receiverRuntime = VConnRuntime.builder()
			.transport(Transport.EPOLL)
			.eventThreads(1)
			.addListener(new VConnListener() {
				@Override
				public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
					VConnTransferTests.this.adoptedOnReceiver.add(source);
				}
			})
			.build();
		this.receiver = VConnReceiver.builder(this.receiverRuntime, this.directory.resolve("vconns.sock"))
			.start(new VConnReceiver.Handler() {

				@Override
				public void received(VConn vconn) {
					VConnTransferTests.this.received.add(vconn);
				}

				@Override
				public boolean acceptsVConn() {
					VConnTransferTests.this.beforeDeciding.run();
					return !VConnTransferTests.this.declineVConns;
				}

				@Override
				public boolean receivedListener(int fd, String name) {
					VConnTransferTests.this.listeners.add(VConnTransferTests.this.fds.own(fd));
					return true;
				}

				@Override
				public void failed(String reason, String message) {
					VConnTransferTests.this.failures.add(reason);
				}

			});
		this.sender = VConnSender.builder(this.receiver.path()).connect();
	}

	@AfterEach
	void stop() throws Exception {
		if (this.sender != null) {
			this.sender.close();
		}
		if (this.receiver != null) {
			this.receiver.close();
		}
		for (VConnRuntime runtime : new VConnRuntime[] { this.senderRuntime, this.receiverRuntime }) {
			if (runtime != null) {
				runtime.close(Duration.ofSeconds(5));
			}
		}
		this.fds.close();
	}

	@Test
	void aVConnAdoptedFromAnFdContinuesInTheReceiverWithTheBytesItHadReadAhead() throws Exception {
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn vconn = this.senderRuntime.factory().fdCreate(connection.fd());
		assertThat(vconn).isNotNull();
		this.fds.release(connection.fd());
		byte[] sent = pattern(3000);
		Connected.Tcp.write(connection.peer(), sent);
		NativeFds.awaitReadable(connection.fd(), sent.length, WAIT);
		// one read takes all 3000 bytes off the socket; the VIO wants 100, the rest waits in the VConn
		assertThat(VConnIo.read(vconn, 100).get(10, TimeUnit.SECONDS)).isEqualTo(slice(sent, 0, 100));

		this.sender.send(vconn);

		assertThat(vconn.isClosed()).isTrue();
		VConn taken = this.received.poll(10, TimeUnit.SECONDS);
		assertThat(taken).isNotNull();
		assertThat(taken.remoteAddress()).isEqualTo(connection.peer().getLocalSocketAddress());
		assertThat(this.adoptedOnReceiver).containsExactly(AdoptionSource.HANDOFF);
		Connected.Tcp.write(connection.peer(), ascii("and then"));
		assertThat(VConnIo.read(taken, 2900 + 8).get(10, TimeUnit.SECONDS))
			.isEqualTo(concat(slice(sent, 100, 2900), ascii("and then")));
		VConnIo.write(taken, ascii("answered by the receiver")).get(10, TimeUnit.SECONDS);
		assertThat(VConnIo.readFully(connection.peer(), 24)).isEqualTo(ascii("answered by the receiver"));
		taken.close();
		assertThat(VConnIo.readToEof(connection.peer())).isEmpty();
		assertThat(this.senderRuntime.activeCount()).isZero();
	}

	@Test
	void aConnectedVConnContinuesInTheReceiverAfterTheBytesTheCallerHadNotConsumed() throws Exception {
		try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			VConn vconn = this.senderRuntime.factory().connect(server.getLocalSocketAddress()).get(10, TimeUnit.SECONDS);
			try (Socket peer = server.accept()) {
				Connected.Tcp.write(peer, ascii("GET /a\nGET /b\n"));
				NativeFds.awaitReadable(vconn.fd(), 14, WAIT);
				// the caller read "GET /a\n", decided to pass the connection on, and hands that request along
				byte[] head = VConnIo.read(vconn, 7).get(10, TimeUnit.SECONDS);

				this.sender.send(vconn, head);

				VConn taken = this.received.poll(10, TimeUnit.SECONDS);
				assertThat(taken).isNotNull();
				Connected.Tcp.write(peer, ascii("GET /c\n"));
				assertThat(VConnIo.read(taken, 21).get(10, TimeUnit.SECONDS))
					.isEqualTo(ascii("GET /a\nGET /b\nGET /c\n"));
				VConnIo.write(taken, ascii("3 answers")).get(10, TimeUnit.SECONDS);
				assertThat(VConnIo.readFully(peer, 9)).isEqualTo(ascii("3 answers"));
				taken.close();
			}
		}
	}

	@Test
	void aListeningSocketIsAcceptedOnByTheReceiverWithoutRefusingAConnection() throws Exception {
		int listening = this.fds.listeningTcp();
		InetSocketAddress address = NativeFds.localInetAddress(listening);
		try (Socket early = new Socket()) {
			early.connect(address, 5000); // waits in the backlog while the socket changes hands

			this.sender.sendListener(listening, "public");

			Integer copy = this.listeners.poll(10, TimeUnit.SECONDS);
			assertThat(copy).isNotNull();
			this.fds.closeFd(listening); // the sender stops listening: the receiver's copy keeps the port open
			try (Socket late = new Socket()) {
				late.connect(address, 5000);
				for (Socket client : List.of(early, late)) {
					int accepted = LibC.accept4(copy, null, null, 0);
					assertThat(accepted).isNotNegative();
					VConn vconn = this.receiverRuntime.factory().fdCreate(accepted);
					assertThat(vconn).isNotNull();
					VConnIo.write(vconn, ascii("served")).get(10, TimeUnit.SECONDS);
					assertThat(VConnIo.readFully(client, 6)).isEqualTo(ascii("served"));
					vconn.close();
				}
			}
		}
	}

	@Test
	void aServerSocketChannelsSocketIsCopiedToTheReceiverAndStaysTheSenders() throws Exception {
		try (ServerSocketChannel channel = ServerSocketChannel.open()
			.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))) {

			this.sender.sendListener(channel, "jdk");

			Integer copy = this.listeners.poll(10, TimeUnit.SECONDS);
			assertThat(copy).isNotNull();
			try (Socket first = new Socket(); Socket second = new Socket()) {
				first.connect(channel.getLocalAddress(), 5000);
				second.connect(channel.getLocalAddress(), 5000);
				int accepted = LibC.accept4(copy, null, null, 0);
				assertThat(accepted).isNotNegative();
				this.fds.own(accepted);
				assertThat(NativeFds.localInetAddress(accepted)).isEqualTo(channel.getLocalAddress());
				try (SocketChannel stillServedHere = channel.accept()) {
					assertThat(stillServedHere.getLocalAddress()).isEqualTo(channel.getLocalAddress());
				}
			}
		}
	}

	@Test
	void aVConnTheReceiverDeclinesStaysWithTheSenderWithEveryByte() throws Exception {
		this.declineVConns = true;
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn vconn = this.senderRuntime.factory().fdCreate(connection.fd());
		this.fds.release(connection.fd());
		Connected.Tcp.write(connection.peer(), ascii("0123456789"));
		NativeFds.awaitReadable(connection.fd(), 10, WAIT);
		assertThat(VConnIo.read(vconn, 4).get(10, TimeUnit.SECONDS)).isEqualTo(ascii("0123"));

		assertThatExceptionOfType(VConnTransferException.class).isThrownBy(() -> this.sender.send(vconn))
			.withMessageContaining("the handler declined the VConn")
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo("declined"));

		assertThat(vconn.isClosed()).isFalse();
		assertThat(this.failures).containsExactly("declined");
		assertThat(this.adoptedOnReceiver).isEmpty();
		Connected.Tcp.write(connection.peer(), ascii("abc"));
		assertThat(VConnIo.read(vconn, 9).get(10, TimeUnit.SECONDS)).isEqualTo(ascii("456789abc"));
		VConnIo.write(vconn, ascii("still here")).get(10, TimeUnit.SECONDS);
		assertThat(VConnIo.readFully(connection.peer(), 10)).isEqualTo(ascii("still here"));

		// the exchange goes on: the next VConn is taken
		this.declineVConns = false;
		this.sender.send(vconn);
		assertThat(this.received.poll(10, TimeUnit.SECONDS)).isNotNull().satisfies(VConn::close);
	}

	@Test
	void aTimeoutThatExpiresWhileTheReceiverDecidesLeavesTheConnectionIntactForTheReceiver() throws Exception {
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn vconn = this.senderRuntime.factory().fdCreate(connection.fd());
		this.fds.release(connection.fd());
		VConn clock = expiringAfter(vconn, Duration.ofSeconds(1));
		this.beforeDeciding = () -> await().atMost(WAIT).until(clock::isClosed);

		this.sender.send(vconn);

		VConn taken = this.received.poll(10, TimeUnit.SECONDS);
		assertThat(taken).isNotNull();
		Connected.Tcp.write(connection.peer(), ascii("after the timeout"));
		assertThat(VConnIo.read(taken, 17).get(10, TimeUnit.SECONDS)).isEqualTo(ascii("after the timeout"));
		VConnIo.write(taken, ascii("still served")).get(10, TimeUnit.SECONDS);
		assertThat(VConnIo.readFully(connection.peer(), 12)).isEqualTo(ascii("still served"));
		taken.close();
		// an end of stream, not a reset: nothing set SO_LINGER on the socket the two processes shared
		assertThat(VConnIo.readToEof(connection.peer())).isEmpty();
	}

	@Test
	void aTimeoutThatExpiresDuringADeclinedSendFiresOnceTheVConnIsBack() throws Exception {
		this.declineVConns = true;
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn vconn = this.senderRuntime.factory().fdCreate(connection.fd());
		this.fds.release(connection.fd());
		VConn clock = expiringAfter(vconn, Duration.ofSeconds(1));
		AtomicBoolean closedWhileDeciding = new AtomicBoolean();
		this.beforeDeciding = () -> {
			await().atMost(WAIT).until(clock::isClosed);
			closedWhileDeciding.set(vconn.isClosed());
		};

		assertThatExceptionOfType(VConnTransferException.class).isThrownBy(() -> this.sender.send(vconn))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo("declined"));

		assertThat(closedWhileDeciding).isFalse();
		// nothing else closes it: the timeout it had, now delivered, aborts it (no operation handles it)
		await().atMost(WAIT).until(vconn::isClosed);
	}

	/**
	 * Sets an inactivity timeout on {@code vconn}, then the same on a second idle VConn of the same
	 * event thread: once that one has timed out (and been aborted, having no operation), so has
	 * {@code vconn}'s timeout expired.
	 */
	private VConn expiringAfter(VConn vconn, Duration timeout) {
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn clock = this.senderRuntime.factory().fdCreate(connection.fd());
		assertThat(clock).isNotNull();
		this.fds.release(connection.fd());
		vconn.setInactivityTimeout(timeout);
		clock.setInactivityTimeout(timeout);
		return clock;
	}

	@Test
	void aVConnWithAReadInProgressOrOnANioLoopIsNotSentAndGoesOn() throws Exception {
		NativeFds.TcpConnection connection = this.fds.connectedTcp();
		VConn busy = this.senderRuntime.factory().fdCreate(connection.fd());
		this.fds.release(connection.fd());
		java.util.concurrent.CompletableFuture<byte[]> reading = VConnIo.read(busy, 5);

		assertThatExceptionOfType(VConnTransferException.class).isThrownBy(() -> this.sender.send(busy))
			.withMessageContaining("a read or write VIO is in progress")
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo("busy"));
		Connected.Tcp.write(connection.peer(), ascii("ready"));
		assertThat(reading.get(10, TimeUnit.SECONDS)).isEqualTo(ascii("ready"));

		try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
				SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
				Socket peer = server.accept()) {
			VConn nio = this.senderRuntime.factory().fdCreate(channel);
			assertThat(nio).isNotNull();
			assertThatExceptionOfType(VConnTransferException.class).isThrownBy(() -> this.sender.send(nio))
				.withMessageContaining("NIO event loop")
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo("unsupported"));
			VConnIo.write(nio, ascii("nio")).get(10, TimeUnit.SECONDS);
			assertThat(VConnIo.readFully(peer, 3)).isEqualTo(ascii("nio"));
			nio.close();
		}
		assertThat(this.adoptedOnReceiver).isEmpty();
		busy.close();
	}

	static byte[] pattern(int n) {
		byte[] bytes = new byte[n];
		for (int i = 0; i < n; i++) {
			bytes[i] = (byte) ('a' + i % 26);
		}
		return bytes;
	}

	static byte[] slice(byte[] bytes, int from, int length) {
		return java.util.Arrays.copyOfRange(bytes, from, from + length);
	}

	static byte[] concat(byte[] a, byte[] b) {
		byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, both, a.length, b.length);
		return both;
	}

	static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

}
