package dev.vconn;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.Blocking;
import dev.vconn.testing.Connected;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.NativeFds.PipeFds;
import dev.vconn.testing.NativeFds.UnixPair;
import dev.vconn.testing.RecordingListener;
import dev.vconn.testing.RecordingListener.Failed;
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
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link VConnFactory#fdCreate(int)} and {@link VConnFactory#adopt(int)} refuse every descriptor
 * that is not a connected stream socket, with the right {@link AdoptionFailureReason}, and leave
 * it exactly as it was: still open, same {@code /proc/self/fdinfo} flags (blocking or not, as the
 * caller left it), same offset, pending bytes, pending error and socket options, registered with
 * no epoll instance. Real descriptors of each kind, on the epoll transport.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdoptionFailureTests {

	private static final byte[] PENDING = "bytes the caller has not read yet".getBytes(StandardCharsets.US_ASCII);

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
	@ValueSource(ints = { -1, -2, -100, Integer.MIN_VALUE })
	void adoptWhenFdIsNegativeFailsWithInvalidFd(int fd) {
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.INVALID_FD);
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, 1, 2 })
	void adoptWhenFdIsStandardStreamFailsWithInvalidFd(int fd) {
		assumeTrue(NativeFds.isOpen(fd), () -> "fd " + fd + " is not open in this JVM");
		int flags = NativeFds.getFl(fd);
		long ino = NativeFds.fdInfo(fd).ino();
		int saved = NativeFds.dupAtLeast(fd, 100);
		try {
			this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.INVALID_FD, false);
		}
		finally {
			// Never let this JVM lose or keep a modified stdin/stdout/stderr, whatever the outcome.
			this.runtime.vconns().forEach(VConn::close);
			AdoptionChecks.awaitNoActiveVConn(this.runtime);
			if (!NativeFds.isOpen(fd) || NativeFds.fdInfo(fd).ino() != ino) {
				NativeFds.dup2(saved, fd);
			}
			if (NativeFds.getFl(fd) != flags) {
				NativeFds.setFl(fd, flags);
			}
			NativeFds.closeRaw(saved);
		}
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, 1, 2 })
	void adoptWhenStandardStreamsAreAllowedChecksThemLikeAnyOtherFd(int fd) {
		assumeTrue(NativeFds.isOpen(fd), () -> "fd " + fd + " is not open in this JVM");
		assumeTrue(NativeFds.intOption(fd, NativeFds.SOL_SOCKET, NativeFds.SO_TYPE) == null,
				() -> "fd " + fd + " is a socket here; adopting it would take this JVM's standard stream");
		VConnRuntime allowing = VConnRuntime.builder()
			.transport(Transport.EPOLL)
			.eventThreads(1)
			.allowStandardStreams(true)
			.addListener(this.listener)
			.build();
		int flags = NativeFds.getFl(fd);
		try {
			new AdoptionChecks(allowing, this.listener, this.fds).assertFdAdoptionFails(fd,
					AdoptionFailureReason.NOT_A_SOCKET, false);
		}
		finally {
			allowing.close(Duration.ofSeconds(2));
			if (NativeFds.getFl(fd) != flags) {
				NativeFds.setFl(fd, flags);
			}
		}
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenNoDescriptorIsLeftEitherAdoptsOrLeavesTheFdUnchanged(Blocking mode) {
		// Load every class both outcomes need while files can still be opened.
		Connected warmUp = Connected.of(this.fds, SocketKind.TCP);
		this.checks.adopt(warmUp.fd()).close();
		assertThat(this.runtime.factory().adopt(-1).isSuccess()).isFalse();
		AdoptionChecks.awaitNoActiveVConn(this.runtime);

		Connected socket = Connected.of(this.fds, SocketKind.TCP);
		int fd = mode.apply(socket.fd());
		socket.peerWriteAndAwait(PENDING);
		NativeFds.FdState before = NativeFds.state(fd);
		PipeFds filler = this.fds.pipe();
		long softLimit = NativeFds.openFileLimit()[0];
		int ceiling = Collections.max(NativeFds.openFds()) + 1;
		List<Integer> fillers = NativeFds.fillFreeNumbersBelow(filler.readFd(), ceiling);
		this.listener.clear();
		Adoption adoption;
		try {
			// From here until the limit is restored no descriptor can be opened in this process.
			NativeFds.setOpenFileSoftLimit(ceiling);
			try {
				adoption = this.runtime.factory().adopt(fd);
			}
			finally {
				NativeFds.setOpenFileSoftLimit(softLimit);
			}
		}
		finally {
			fillers.forEach(NativeFds::closeRaw);
		}

		if (adoption.isSuccess()) {
			this.fds.release(fd);
			VConn vconn = adoption.vconn();
			assertThat(NativeFds.isNonBlocking(fd)).isTrue();
			assertThat(VConnIo.read(vconn, PENDING.length)).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(PENDING);
			vconn.close();
			AdoptionChecks.awaitNoActiveVConn(this.runtime);
			return;
		}
		// The step that needed a descriptor failed after the checks: everything must be put back.
		AdoptionChecks.assertFailure(adoption, AdoptionFailureReason.INTERNAL);
		assertThat(this.listener.events()).containsExactly(new Failed(AdoptionSource.FD, AdoptionFailureReason.INTERNAL));
		assertThat(NativeFds.state(fd)).as("state of fd %d after %s", fd, adoption).isEqualTo(before);
		assertThat(NativeFds.epollWatchers(fd)).isEmpty();
		assertThat(this.runtime.activeCount()).isZero();
		assertThat(NativeFds.readFully(fd, PENDING.length, Duration.ofSeconds(5))).isEqualTo(PENDING);
		assertThat(socket.peerReadable()).as("bytes written to the peer").isZero();
		// Nothing of the failed attempt lingers (claim, slot): with descriptors available again the
		// same fd is adopted.
		VConn vconn = this.checks.adopt(fd);
		vconn.close();
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
	}

	@Test
	void adoptWhenFdIsClosedFailsWithBadFd() {
		int fd = this.fds.closedFdNumber();
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.BAD_FD);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsRegularFileFailsWithNotASocket(Blocking mode) {
		byte[] content = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
		int fd = mode.apply(this.fds.regularFile(content, 5));
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_SOCKET);
		assertThat(NativeFds.fdInfo(fd).pos()).as("file offset").isEqualTo(5);
		assertThat(NativeFds.readFully(fd, 11, Duration.ofSeconds(5))).as("rest of the file")
			.isEqualTo("56789abcdef".getBytes(StandardCharsets.US_ASCII));
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsPipeFailsWithNotASocket(Blocking mode) {
		PipeFds pipe = this.fds.pipe();
		NativeFds.writeFully(pipe.writeFd(), PENDING);
		int fd = mode.apply(pipe.readFd());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_SOCKET);
		assertThat(NativeFds.readFully(fd, PENDING.length, Duration.ofSeconds(5))).as("bytes still in the pipe")
			.isEqualTo(PENDING);
		assertThat(NativeFds.readable(fd)).isZero();
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsPipeWriteEndFailsWithNotASocket(Blocking mode) {
		PipeFds pipe = this.fds.pipe();
		int fd = mode.apply(pipe.writeFd());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_SOCKET);
		assertThat(NativeFds.readable(pipe.readFd())).as("bytes written into the pipe").isZero();
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsUdpSocketFailsWithNotAStreamSocket(Blocking mode) {
		int fd = mode.apply(this.fds.udp());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_STREAM_SOCKET);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsConnectedUdpSocketFailsWithNotAStreamSocket(Blocking mode) {
		int fd = mode.apply(this.fds.connectedUdp());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_STREAM_SOCKET);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsUnixDatagramSocketFailsWithNotAStreamSocket(Blocking mode) {
		UnixPair pair = this.fds.socketPair(NativeFds.SOCK_DGRAM);
		NativeFds.writeFully(pair.peerFd(), PENDING);
		int fd = mode.apply(pair.fd());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_STREAM_SOCKET);
		assertThat(NativeFds.readFully(fd, PENDING.length, Duration.ofSeconds(5))).isEqualTo(PENDING);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsUnixSeqpacketSocketFailsWithNotAStreamSocket(Blocking mode) {
		UnixPair pair = this.fds.socketPair(NativeFds.SOCK_SEQPACKET);
		int fd = mode.apply(pair.fd());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_A_STREAM_SOCKET);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsListeningSocketFailsWithNotConnected(Blocking mode) {
		int fd = mode.apply(this.fds.listeningTcp());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_CONNECTED);
		assertThat(NativeFds.intOption(fd, NativeFds.SOL_SOCKET, NativeFds.SO_ACCEPTCONN)).as("still listening")
			.isEqualTo(1);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsUnconnectedTcpSocketFailsWithNotConnected(Blocking mode) {
		int fd = mode.apply(this.fds.unconnectedTcp());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_CONNECTED);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsUnconnectedUnixSocketFailsWithNotConnected(Blocking mode) {
		int fd = mode.apply(this.fds.unconnectedUnix());
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_CONNECTED);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenSocketHasPendingResetFailsWithSocketError(Blocking mode) {
		int fd = mode.apply(this.fds.resetTcp());
		assertThat(NativeFds.pollNow(fd, (short) 0) & NativeFds.POLLERR).as("POLLERR before adoption").isNotZero();
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.SOCKET_ERROR);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenSocketHasPendingConnectionRefusedFailsWithSocketError(Blocking mode) {
		int fd = mode.apply(this.fds.refusedTcp());
		assertThat(NativeFds.pollNow(fd, (short) 0) & NativeFds.POLLERR).as("POLLERR before adoption").isNotZero();
		this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.SOCKET_ERROR);
	}

	@Test
	void adoptWhenSocketHasPendingErrorLeavesTheErrorPending() {
		int reset = this.fds.resetTcp();
		int refused = Blocking.BLOCKING.apply(this.fds.refusedTcp());
		assertThat(this.runtime.factory().adopt(reset).failureReason()).isEqualTo(AdoptionFailureReason.SOCKET_ERROR);
		assertThat(this.runtime.factory().fdCreate(refused)).isNull();
		// Reading SO_ERROR clears it: only now, after the failed adoptions, may the caller do so.
		assertThat(NativeFds.takeSocketError(reset)).as("SO_ERROR of the reset socket").isEqualTo(NativeFds.ECONNRESET);
		assertThat(NativeFds.takeSocketError(refused)).as("SO_ERROR of the refused socket")
			.isEqualTo(NativeFds.ECONNREFUSED);
	}

	@Test
	void failedAdoptionsLeaveNoConnectionCounted() {
		this.checks.assertFdAdoptionFails(this.fds.listeningTcp(), AdoptionFailureReason.NOT_CONNECTED);
		this.checks.assertFdAdoptionFails(this.fds.udp(), AdoptionFailureReason.NOT_A_STREAM_SOCKET);
		this.checks.assertFdAdoptionFails(this.fds.pipe().readFd(), AdoptionFailureReason.NOT_A_SOCKET);
		assertThat(this.runtime.activeCount()).isZero();
		assertThat(this.runtime.vconns()).isEmpty();
		assertThat(this.listener.adoptions()).isEmpty();
	}

}
