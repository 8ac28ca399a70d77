package dev.vconn;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.Blocking;
import dev.vconn.testing.Connected;
import dev.vconn.testing.NativeFds.PipeFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.RecordingListener.Aborted;
import dev.vconn.testing.RecordingListener.Adopted;
import dev.vconn.testing.RecordingListener.Closed;
import dev.vconn.testing.RecordingListener;
import dev.vconn.testing.SocketKind;
import dev.vconn.testing.VConnIo;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Successful adoption of connected stream sockets (TCP over IPv4 and IPv6, AF_UNIX pairs and
 * path-bound AF_UNIX) and of JDK channels: the descriptor becomes non-blocking and nothing else
 * about it changes, the VConn keeps the very number and reports the addresses the peer sees, it
 * carries bytes, and it owns the descriptor: {@code close()} closes it exactly once and the peer
 * reads end of stream, {@code abort()} makes the peer see a reset; the listener sees one adoption
 * and one close, and the runtime counts the VConn until it ends.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdoptionSuccessTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final RecordingListener listener = new RecordingListener();

	private NativeFds fds;

	private VConnRuntime runtime;

	private AdoptionChecks checks;

	@BeforeEach
	void setUp() {
		assumeTrue(NativeFds.isSupported(), "needs /proc and a 64-bit Linux libc");
		assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		this.fds = new NativeFds();
		this.runtime = VConnRuntime.builder()
			.transport(Transport.EPOLL)
			.eventThreads(2)
			.addListener(this.listener)
			.build();
		this.checks = new AdoptionChecks(this.runtime, this.listener, this.fds);
	}

	@AfterEach
	void tearDown() {
		try {
			if (this.runtime != null) {
				this.runtime.close(Duration.ofSeconds(2));
			}
		}
		finally {
			if (this.fds != null) {
				this.fds.close();
			}
		}
	}

	@ParameterizedTest
	@EnumSource(SocketKind.class)
	void adoptSetsNonBlockingAndKeepsTheFdNumber(SocketKind kind) {
		for (Blocking mode : Blocking.values()) {
			Connected socket = Connected.of(this.fds, kind);
			int fd = mode.apply(socket.fd());
			int flags = NativeFds.fdinfoFlags(fd);
			int fdFlags = NativeFds.state(fd).fdFlags();
			long ino = NativeFds.fdInfo(fd).ino();

			VConn vconn = this.checks.adopt(fd);

			assertThat(NativeFds.fdinfoFlags(fd)).as("fdinfo flags after adopting a %s fd", mode)
				.isEqualTo(flags | NativeFds.O_NONBLOCK);
			assertThat(NativeFds.getFl(fd) & NativeFds.O_NONBLOCK).isNotZero();
			assertThat(NativeFds.state(fd).fdFlags()).as("F_GETFD").isEqualTo(fdFlags);
			assertThat(NativeFds.fdInfo(fd).ino()).as("same socket").isEqualTo(ino);
			assertThat(vconn.fd()).as("VConn.fd()").isEqualTo(fd);
			assertThat(NativeFds.epollWatchers(fd)).as("epoll registrations").hasSize(1);
			assertThat(vconn.isClosed()).isFalse();
			assertThat(vconn.state()).isEqualTo(VConnState.OPEN);
			vconn.close();
		}
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
	}

	@ParameterizedTest
	@EnumSource(value = SocketKind.class, names = { "TCP", "TCP6" })
	void adoptTcpSocketReportsTheAddressesThePeerSees(SocketKind kind) {
		Connected socket = Connected.of(this.fds, kind);
		VConn vconn = this.checks.adopt(socket.fd());
		assertInetAddress(vconn.remoteAddress(), (InetSocketAddress) socket.peerLocalAddress());
		assertInetAddress(vconn.localAddress(), (InetSocketAddress) socket.peerRemoteAddress());
		vconn.close();
	}

	@Test
	void adoptDualStackSocketConnectedOverIpv4MappedAddressWorks() {
		NativeFds.TcpConnection connection = this.fds.connectedDualStackTcp();
		int fd = connection.fd();
		assertThat(NativeFds.intOption(fd, NativeFds.SOL_SOCKET, NativeFds.SO_DOMAIN)).isEqualTo(NativeFds.AF_INET6);
		VConn vconn = this.checks.adopt(fd);
		InetSocketAddress remote = (InetSocketAddress) vconn.remoteAddress();
		assertThat(remote).as("remote address").isNotNull();
		assertThat(remote.getPort()).isEqualTo(connection.peer().getLocalPort());
		assertThat(remote.getAddress().getAddress()).as("remote IP of %s", remote)
			.endsWith(connection.peer().getLocalAddress().getAddress());
		CompletableFuture<byte[]> received = VConnIo.read(vconn, 2);
		Connected.Tcp.write(connection.peer(), "v4".getBytes(StandardCharsets.US_ASCII));
		assertThat(received).succeedsWithin(WAIT).isEqualTo("v4".getBytes(StandardCharsets.US_ASCII));
		vconn.close();
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
	}

	@Test
	void adoptUnixSocketReportsTheAddressesThePeerSees() {
		Connected socket = Connected.of(this.fds, SocketKind.UNIX_PATH);
		VConn vconn = this.checks.adopt(socket.fd());
		assertThat(vconn.remoteAddress()).as("remote address").isNotNull();
		assertThat(VConnIo.unixPath(vconn.remoteAddress())).as("remote path")
			.isEqualTo(VConnIo.unixPath(socket.peerLocalAddress()));
		assertThat(vconn.localAddress()).as("local address").isNotNull();
		assertThat(VConnIo.unixPath(vconn.localAddress())).as("local path (unnamed)").isEmpty();
		vconn.close();
	}

	@Test
	void adoptUnixSocketPairReportsUnnamedAddresses() {
		Connected socket = Connected.of(this.fds, SocketKind.UNIX_PAIR);
		VConn vconn = this.checks.adopt(socket.fd());
		assertThat(vconn.remoteAddress()).as("remote address of a socket VConn").isNotNull();
		assertThat(VConnIo.unixPath(vconn.remoteAddress())).as("remote path").isEmpty();
		assertThat(vconn.localAddress()).as("local address of a socket VConn").isNotNull();
		assertThat(VConnIo.unixPath(vconn.localAddress())).as("local path").isEmpty();
		vconn.close();
	}

	@ParameterizedTest
	@EnumSource(SocketKind.class)
	void adoptedSocketMovesBytesBothWays(SocketKind kind) {
		Connected socket = Connected.of(this.fds, kind);
		byte[] early = "sent before adoption ".getBytes(StandardCharsets.US_ASCII);
		byte[] late = "and after".getBytes(StandardCharsets.US_ASCII);
		socket.peerWriteAndAwait(early);
		VConn vconn = this.checks.adopt(socket.fd());

		CompletableFuture<byte[]> received = VConnIo.read(vconn, early.length + late.length);
		socket.peerWrite(late);
		assertThat(received).succeedsWithin(WAIT)
			.isEqualTo("sent before adoption and after".getBytes(StandardCharsets.US_ASCII));
		byte[] reply = "reply from the VConn".getBytes(StandardCharsets.US_ASCII);
		assertThat(VConnIo.write(vconn, reply)).succeedsWithin(WAIT);
		assertThat(socket.peerRead(reply.length)).isEqualTo(reply);
		assertThat(vconn.bytesIn()).isEqualTo(early.length + late.length);
		assertThat(vconn.bytesOut()).isEqualTo(reply.length);
		vconn.close();
	}

	@ParameterizedTest
	@EnumSource(SocketKind.class)
	void closeClosesTheFdExactlyOnceAndThePeerReadsEof(SocketKind kind) throws IOException {
		Connected socket = Connected.of(this.fds, kind);
		int fd = this.fds.moveHigh(socket.fd()); // its number must stay free once closed
		VConn vconn = this.checks.adopt(fd);
		assertThat(this.runtime.activeCount()).isEqualTo(1);
		assertThat(this.listener.events()).containsExactly(new Adopted(vconn, AdoptionSource.FD));
		PipeFds pipe = this.fds.pipe();

		vconn.close();
		assertThat(vconn.isClosed()).isTrue();
		assertThat(socket.peerReadToEof()).as("bytes before end of stream").isEmpty();
		await("fd " + fd + " closed").atMost(WAIT).until(() -> !NativeFds.isOpen(fd));
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
		await().atMost(WAIT).until(() -> !this.listener.closes().isEmpty());
		assertThat(vconn.state()).isEqualTo(VConnState.CLOSED);

		assertClosedExactlyOnce(vconn, fd, pipe);
		assertThat(this.listener.eventsOf(vconn)).containsExactly(new Adopted(vconn, AdoptionSource.FD),
				new Closed(vconn, CloseKind.CLOSE));
	}

	@ParameterizedTest
	@EnumSource(value = SocketKind.class, names = { "TCP", "TCP6" })
	void abortGivesThePeerAConnectionReset(SocketKind kind) {
		Connected socket = Connected.of(this.fds, kind);
		int fd = this.fds.moveHigh(socket.fd()); // its number must stay free once closed
		VConn vconn = this.checks.adopt(fd);
		PipeFds pipe = this.fds.pipe();

		vconn.abort(0);
		assertThat(vconn.isClosed()).isTrue();
		assertThatExceptionOfType(SocketException.class).isThrownBy(socket::peerReadToEof)
			.withMessageContaining("Connection reset");
		await("fd " + fd + " closed").atMost(WAIT).until(() -> !NativeFds.isOpen(fd));
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
		await().atMost(WAIT).until(() -> !this.listener.closes().isEmpty());

		assertClosedExactlyOnce(vconn, fd, pipe);
		assertThat(this.listener.eventsOf(vconn)).containsExactly(new Adopted(vconn, AdoptionSource.FD),
				new Aborted(vconn, CloseKind.API, 0), new Closed(vconn, CloseKind.API));
	}

	@Test
	void abortRecordsTheErrorCode() {
		Connected socket = Connected.of(this.fds, SocketKind.UNIX_PAIR);
		VConn vconn = this.checks.adopt(socket.fd());
		vconn.abort(42);
		await().atMost(WAIT).until(() -> !NativeFds.isOpen(socket.fd()));
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
		await().atMost(WAIT).until(() -> !this.listener.closes().isEmpty());
		assertThat(this.listener.eventsOf(vconn)).containsExactly(new Adopted(vconn, AdoptionSource.FD),
				new Aborted(vconn, CloseKind.API, 42), new Closed(vconn, CloseKind.API));
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptSocketChannelWorks(Blocking mode) throws IOException {
		try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
			server.setSoTimeout((int) WAIT.toMillis());
			SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
			try (Socket peer = server.accept()) {
				channel.configureBlocking(mode == Blocking.BLOCKING);
				byte[] early = "early ".getBytes(StandardCharsets.US_ASCII);
				peer.getOutputStream().write(early);
				Adoption adoption = this.runtime.factory().adopt(channel);
				if (!adoption.isSuccess()) {
					channel.close();
				}
				assertThat(adoption.isSuccess()).as("%s", adoption).isTrue();
				VConn vconn = adoption.vconn();

				assertThat(vconn.fd()).as("fd() of a channel VConn").isEqualTo(-1);
				assertInetAddress(vconn.remoteAddress(), (InetSocketAddress) peer.getLocalSocketAddress());
				assertInetAddress(vconn.localAddress(), (InetSocketAddress) peer.getRemoteSocketAddress());
				assertThat(this.listener.events()).containsExactly(new Adopted(vconn, AdoptionSource.CHANNEL));
				assertThat(this.runtime.activeCount()).isEqualTo(1);

				CompletableFuture<byte[]> received = VConnIo.read(vconn, 10);
				peer.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
				assertThat(received).succeedsWithin(WAIT).isEqualTo("early late".getBytes(StandardCharsets.US_ASCII));
				assertThat(VConnIo.write(vconn, "pong".getBytes(StandardCharsets.US_ASCII))).succeedsWithin(WAIT);
				assertThat(VConnIo.readFully(peer, 4)).isEqualTo("pong".getBytes(StandardCharsets.US_ASCII));

				vconn.close();
				assertThat(VConnIo.readToEof(peer)).isEmpty();
				await("channel closed").atMost(WAIT).until(() -> !channel.isOpen());
				AdoptionChecks.awaitNoActiveVConn(this.runtime);
				await().atMost(WAIT).until(() -> !this.listener.closes().isEmpty());
				vconn.close();
				vconn.abort(0);
				assertThat(this.listener.eventsOf(vconn)).containsExactly(new Adopted(vconn, AdoptionSource.CHANNEL),
						new Closed(vconn, CloseKind.CLOSE));
			}
		}
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptUnixSocketChannelWorks(Blocking mode) throws IOException {
		Path dir = Files.createTempDirectory("vconn-uds");
		Path path = dir.resolve("s");
		try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			server.bind(UnixDomainSocketAddress.of(path));
			SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path));
			try (SocketChannel peer = server.accept()) {
				channel.configureBlocking(mode == Blocking.BLOCKING);
				Adoption adoption = this.runtime.factory().adopt(channel);
				if (!adoption.isSuccess()) {
					channel.close();
				}
				assertThat(adoption.isSuccess()).as("adopt(connected AF_UNIX SocketChannel): %s", adoption).isTrue();
				VConn vconn = adoption.vconn();
				assertThat(VConnIo.unixPath(vconn.remoteAddress())).isEqualTo(path.toString());

				CompletableFuture<byte[]> received = VConnIo.read(vconn, 4);
				VConnIo.writeFully(peer, "ping".getBytes(StandardCharsets.US_ASCII));
				assertThat(received).succeedsWithin(WAIT).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
				assertThat(VConnIo.write(vconn, "pong".getBytes(StandardCharsets.US_ASCII))).succeedsWithin(WAIT);
				assertThat(VConnIo.readFully(peer, 4)).isEqualTo("pong".getBytes(StandardCharsets.US_ASCII));
				vconn.close();
				await("channel closed").atMost(WAIT).until(() -> !channel.isOpen());
				AdoptionChecks.awaitNoActiveVConn(this.runtime);
			}
		}
		finally {
			Files.deleteIfExists(path);
			Files.deleteIfExists(dir);
		}
	}

	@Test
	void abortOfAdoptedSocketChannelGivesThePeerAConnectionReset() throws IOException {
		try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
			server.setSoTimeout((int) WAIT.toMillis());
			SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
			try (Socket peer = server.accept()) {
				VConn vconn = this.runtime.factory().fdCreate(channel);
				if (vconn == null) {
					channel.close();
				}
				assertThat(vconn).isNotNull();
				vconn.abort(0);
				assertThatExceptionOfType(SocketException.class).isThrownBy(() -> VConnIo.readToEof(peer))
					.withMessageContaining("Connection reset");
				await("channel closed").atMost(WAIT).until(() -> !channel.isOpen());
				AdoptionChecks.awaitNoActiveVConn(this.runtime);
			}
		}
	}

	@Test
	void adoptFromAnEventThreadPutsTheVConnOnThatThread() {
		Connected carrier = Connected.of(this.fds, SocketKind.UNIX_PAIR);
		Connected target = Connected.of(this.fds, SocketKind.TCP);
		VConn first = this.checks.adopt(carrier.fd());
		this.fds.release(target.fd()); // handed over from the event thread below; re-owned if that fails
		CompletableFuture<Thread> eventThread = new CompletableFuture<>();
		CompletableFuture<Adoption> adoptedThere = new CompletableFuture<>();
		CompletableFuture<Adoption> failedThere = new CompletableFuture<>();
		IOBuffer buffer = IOBuffer.create();
		buffer.allocReader();
		first.read((event, data) -> {
			if ((event == VConnEvent.VCONN_READ_READY || event == VConnEvent.VCONN_READ_COMPLETE)
					&& !eventThread.isDone()) {
				eventThread.complete(Thread.currentThread());
				failedThere.complete(this.runtime.factory().adopt(-1));
				adoptedThere.complete(this.runtime.factory().adopt(target.fd()));
				buffer.close();
			}
		}, buffer, 1);
		carrier.peerWrite(new byte[] { 1 });

		assertThat(failedThere).succeedsWithin(WAIT)
			.satisfies((a) -> AdoptionChecks.assertFailure(a, AdoptionFailureReason.INVALID_FD));
		Adoption adoption = adoptedThere.join();
		if (!adoption.isSuccess()) {
			this.fds.own(target.fd());
		}
		assertThat(adoption.isSuccess()).as("adopt on an event thread: %s", adoption).isTrue();
		VConn second = adoption.vconn();
		CompletableFuture<Thread> secondThread = new CompletableFuture<>();
		IOBuffer secondBuffer = IOBuffer.create();
		secondBuffer.allocReader();
		second.read((event, data) -> {
			if (event == VConnEvent.VCONN_READ_READY || event == VConnEvent.VCONN_READ_COMPLETE) {
				secondThread.complete(Thread.currentThread());
				secondBuffer.close();
			}
		}, secondBuffer, 1);
		target.peerWrite(new byte[] { 2 });
		assertThat(secondThread).succeedsWithin(WAIT).isSameAs(eventThread.join());
		first.close();
		second.close();
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
	}

	@Test
	void adoptFromAnInterruptedThreadAdoptsAndKeepsTheInterrupt() throws Exception {
		VConnRuntime single = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).build();
		try {
			Connected holder = Connected.of(this.fds, SocketKind.UNIX_PAIR);
			VConn holding = new AdoptionChecks(single, new RecordingListener(), this.fds).adopt(holder.fd());
			Connected socket = Connected.of(this.fds, SocketKind.TCP);
			int fd = socket.fd();
			int flags = NativeFds.fdinfoFlags(fd);

			InterruptedAdoption result = adoptWhileTheLoopIsBusy(holding, () -> holder.peerWrite(new byte[] { 1 }),
					() -> single.factory().adopt(fd));

			if (result.adoption().isSuccess()) {
				this.fds.release(fd);
			}
			else {
				assertThat(NativeFds.fdinfoFlags(fd)).as("flags after %s", result.adoption()).isEqualTo(flags);
				assertThat(NativeFds.epollWatchers(fd)).isEmpty();
			}
			assertThat(result.stillInterrupted()).as("the caller's interrupt status is kept").isTrue();
			assertThat(result.adoption().isSuccess())
				.as("adopt(fd) from a thread with its interrupt flag set: %s", result.adoption())
				.isTrue();
			result.adoption().vconn().close();
			holding.close();
			AdoptionChecks.awaitNoActiveVConn(single);
		}
		finally {
			single.close(Duration.ofSeconds(2));
		}
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptChannelFromAnInterruptedThreadAdoptsAndKeepsTheInterrupt(Blocking mode) throws Exception {
		VConnRuntime single = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).build();
		try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
			server.setSoTimeout((int) WAIT.toMillis());
			SocketChannel holderChannel = SocketChannel.open(server.getLocalSocketAddress());
			Socket holderPeer = this.fds.closeLater(server.accept());
			VConn holding = new AdoptionChecks(single, new RecordingListener(), this.fds).adopt(holderChannel);
			SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
			try (Socket peer = server.accept()) {
				channel.configureBlocking(mode == Blocking.BLOCKING);

				InterruptedAdoption result = adoptWhileTheLoopIsBusy(holding,
						() -> Connected.Tcp.write(holderPeer, new byte[] { 1 }), () -> single.factory().adopt(channel));

				if (!result.adoption().isSuccess()) {
					assertThat(channel.isOpen()).as("channel open after %s", result.adoption()).isTrue();
					assertThat(channel.isBlocking()).as("blocking mode after %s", result.adoption())
						.isEqualTo(mode == Blocking.BLOCKING);
					channel.close();
				}
				assertThat(result.stillInterrupted()).as("the caller's interrupt status is kept").isTrue();
				assertThat(result.adoption().isSuccess())
					.as("adopt(channel) from a thread with its interrupt flag set: %s", result.adoption())
					.isTrue();
				result.adoption().vconn().close();
				assertThat(VConnIo.readToEof(peer)).isEmpty();
				holding.close();
				AdoptionChecks.awaitNoActiveVConn(single);
			}
		}
		finally {
			single.close(Duration.ofSeconds(2));
		}
	}

	/**
	 * Adopts on a thread whose interrupt flag is set, while the only event loop concerned is held
	 * busy by {@code holding}'s handler, so that the registration cannot have completed before the
	 * adopting thread starts waiting for it. The loop is let go as soon as the adopting thread waits
	 * or has returned.
	 */
	private static InterruptedAdoption adoptWhileTheLoopIsBusy(VConn holding, Runnable trigger,
			java.util.function.Supplier<Adoption> adopt) throws Exception {
		java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
		CompletableFuture<Void> held = new CompletableFuture<>();
		IOBuffer buffer = IOBuffer.create();
		buffer.allocReader();
		holding.read((event, data) -> {
			if (!held.isDone()) {
				held.complete(null);
				try {
					// holds the event loop on purpose, until the adopting thread is waiting for it
					release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				buffer.close();
			}
		}, buffer, 1);
		trigger.run();
		try {
			assertThat(held).succeedsWithin(WAIT);
			CompletableFuture<InterruptedAdoption> result = new CompletableFuture<>();
			Thread adopter = new Thread(() -> {
				Thread.currentThread().interrupt();
				Adoption adoption = adopt.get();
				result.complete(new InterruptedAdoption(adoption, Thread.interrupted()));
			}, "interrupted-adopter");
			adopter.start();
			await().atMost(WAIT)
				.until(() -> result.isDone() || adopter.getState() == Thread.State.WAITING
						|| adopter.getState() == Thread.State.TIMED_WAITING);
			release.countDown();
			return result.get(WAIT.toMillis() * 2, TimeUnit.MILLISECONDS);
		}
		finally {
			release.countDown();
		}
	}

	private record InterruptedAdoption(Adoption adoption, boolean stillInterrupted) {
	}

	@Test
	void adoptTcpSocketWithAFullSendBufferAdoptsItAndSendsWhatItHeld() {
		Connected socket = Connected.of(this.fds, SocketKind.TCP);
		int fd = socket.fd();
		NativeFds.setNonBlocking(fd, true);
		byte[] held = NativeFds.fillSendBuffer(fd);
		assertThat(NativeFds.pollNow(fd, NativeFds.POLLOUT) & NativeFds.POLLOUT).as("writable before adoption").isZero();

		VConn vconn = this.checks.adopt(fd);

		byte[] after = "after adoption".getBytes(StandardCharsets.US_ASCII);
		CompletableFuture<Void> written = VConnIo.write(vconn, after);
		byte[] expected = Arrays.copyOf(held, held.length + after.length);
		System.arraycopy(after, 0, expected, held.length, after.length);
		assertThat(socket.peerRead(expected.length)).as("bytes the peer reads").isEqualTo(expected);
		assertThat(written).succeedsWithin(WAIT);
		vconn.close();
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
	}

	@Test
	void adoptedFdsAreCountedUntilTheyEnd() {
		Connected a = Connected.of(this.fds, SocketKind.TCP);
		Connected b = Connected.of(this.fds, SocketKind.UNIX_PAIR);
		VConn first = this.checks.adopt(a.fd());
		VConn second = this.checks.adopt(b.fd());
		assertThat(this.runtime.activeCount()).isEqualTo(2);
		assertThat(this.runtime.vconns()).containsExactlyInAnyOrder(first, second);
		assertThat(this.runtime.find(first.id())).containsSame(first);
		assertThat(first.id()).isNotEqualTo(second.id()).isPositive();
		first.close();
		await().atMost(WAIT).until(() -> this.runtime.activeCount() == 1);
		assertThat(this.runtime.find(first.id())).isEmpty();
		second.abort(0);
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
		await().atMost(WAIT).until(() -> this.listener.closes().size() == 2);
		assertThat(this.listener.adoptions()).hasSize(2);
	}

	@Test
	void runtimeCloseClosesWhatIsLeft() {
		Connected socket = Connected.of(this.fds, SocketKind.TCP);
		int fd = socket.fd();
		VConn vconn = this.checks.adopt(fd);
		assertThat(this.runtime.close(Duration.ZERO)).as("VConns aborted").isEqualTo(1);
		assertThat(vconn.isClosed()).isTrue();
		await().atMost(WAIT).until(() -> !NativeFds.isOpen(fd));
		assertThat(this.runtime.activeCount()).isZero();
		assertThat(this.listener.eventsOf(vconn)).containsExactly(new Adopted(vconn, AdoptionSource.FD),
				new Aborted(vconn, CloseKind.SHUTDOWN, 0), new Closed(vconn, CloseKind.SHUTDOWN));
	}

	/**
	 * Proves that nothing closes {@code fd} a second time: the number is reused for a pipe made
	 * before the VConn ended (so that its own ends cannot take the number), and then every way of
	 * ending the VConn or the runtime again must leave that pipe alone.
	 */
	private void assertClosedExactlyOnce(VConn vconn, int fd, PipeFds pipe) {
		int reused = NativeFds.dupAtLeast(pipe.readFd(), fd);
		this.fds.own(reused);
		assertThat(reused).as("the freed number %d is taken again (by a dup of a pipe)", fd).isEqualTo(fd);
		long ino = NativeFds.fdInfo(reused).ino();

		vconn.close();
		vconn.abort(0);
		vconn.shutdown(true, true);
		this.runtime.close(Duration.ofSeconds(5));

		assertThat(NativeFds.isOpen(fd)).as("fd %d (now a pipe) after closing the VConn and the runtime again", fd)
			.isTrue();
		assertThat(NativeFds.fdInfo(fd).ino()).as("fd %d is still the pipe", fd).isEqualTo(ino);
		NativeFds.writeFully(pipe.writeFd(), new byte[] { 7 });
		assertThat(NativeFds.readFully(fd, 1, WAIT)).containsExactly(7);
		assertThat(this.listener.closes()).as("onClosed calls").hasSize(1);
	}

	private static void assertInetAddress(SocketAddress actual, InetSocketAddress expected) {
		assertThat(actual).as("address").isInstanceOf(InetSocketAddress.class);
		InetSocketAddress inet = (InetSocketAddress) actual;
		assertThat(inet.getAddress()).as("IP of %s", actual).isEqualTo(expected.getAddress());
		assertThat(inet.getPort()).as("port of %s", actual).isEqualTo(expected.getPort());
	}

}
