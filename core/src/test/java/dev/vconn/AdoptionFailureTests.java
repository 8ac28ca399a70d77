package dev.vconn;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.Blocking;
import dev.vconn.testing.Connected;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.NativeFds.FdIdentity;
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
 * no epoll instance. Real descriptors of each kind, on the epoll transport; and every descriptor
 * a runtime holds (listener sockets, accepted and origin connections, VConn descriptors and their
 * duplicates, event loop descriptors) is refused as {@link AdoptionFailureReason#ALREADY_ADOPTED}.
 */
@EnabledOnOs(OS.LINUX)
@CountsProcessFds
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
		Adoption adoption = this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_CONNECTED);
		assertThat(adoption.message()).isEqualTo("fd " + fd + " is a listening socket");
		assertThat(NativeFds.intOption(fd, NativeFds.SOL_SOCKET, NativeFds.SO_ACCEPTCONN)).as("still listening")
			.isEqualTo(1);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhenFdIsUnconnectedTcpSocketFailsWithNotConnected(Blocking mode) {
		int fd = mode.apply(this.fds.unconnectedTcp());
		Adoption adoption = this.checks.assertFdAdoptionFails(fd, AdoptionFailureReason.NOT_CONNECTED);
		assertThat(adoption.message()).isEqualTo("fd " + fd + " is not connected");
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

	/**
	 * Sweeps every descriptor of the process, and random numbers, while two listeners serve
	 * connections (a per-transaction one with pooled origin connections, a connection-mode one with
	 * spliced tunnels) and curl keeps opening new ones: no adoption succeeds, every socket and event
	 * descriptor opened since the sweep's baseline (all of them the runtimes') is refused as
	 * ALREADY_ADOPTED, nothing's target or flags change, and the held connections still work.
	 * Connected sockets of the test itself (its clients, and those that were open before it
	 * started) are not offered: adopting them would succeed, as it should.
	 */
	@Test
	@Timeout(value = 120, unit = TimeUnit.SECONDS)
	void adoptOfEveryDescriptorTheRuntimesHoldFailsAndLeavesItUnchanged() throws Exception {
		assumeTrue(commandExists("python3") && commandExists("curl"), "needs python3 and curl");
		Set<Integer> notOffered = new HashSet<>();
		Map<Integer, FdIdentity> baseline = NativeFds.identities();
		baseline.forEach((fd, identity) -> {
			if (identity.isSocket()) {
				notOffered.add(fd);
			}
		});
		VConnRuntime served = VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(1).build();
		Process origin = startOrigin();
		Process churn = null;
		try {
			InetSocketAddress originAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(),
					Integer.parseInt(new BufferedReader(new InputStreamReader(origin.getInputStream())).readLine()));
			List<InterceptListener> listeners = List.of(listener(served, originAddress, true),
					listener(served, originAddress, false));
			List<Integer> clients = new ArrayList<>();
			for (InterceptListener listener : listeners) {
				for (int i = 0; i < 3; i++) {
					int client = this.fds.connectedTo(listener.address());
					assertThat(exchange(client)).startsWith("HTTP/1.1 200");
					clients.add(client);
				}
			}
			UnixPair pair = this.fds.unixSocketPair();
			VConn adopted = this.checks.adopt(pair.fd());
			notOffered.addAll(clients);
			notOffered.add(pair.peerFd());
			churn = new ProcessBuilder("sh", "-c", "while :; do for p in " + listeners.get(0).address().getPort() + " "
					+ listeners.get(1).address().getPort() + "; do curl -s -o /dev/null http://127.0.0.1:$p/; done; done")
				.redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start();

			Map<Integer, FdIdentity> before = NativeFds.identities();
			Map<AdoptionFailureReason, Integer> reasons = new EnumMap<>(AdoptionFailureReason.class);
			for (int round = 0; round < 2; round++) {
				for (Map.Entry<Integer, FdIdentity> entry : NativeFds.identities().entrySet()) {
					int fd = entry.getKey();
					if (notOffered.contains(fd)) {
						continue;
					}
					FdIdentity identity = entry.getValue();
					boolean runtimes = !baseline.containsKey(fd) && (identity.isSocket() || isLoopFd(identity));
					for (VConnRuntime runtime : List.of(this.runtime, served)) {
						Adoption adoption = runtime.factory().adopt(fd);
						assertThat(adoption.isSuccess()).as("adopt(%d) of %s: %s", fd, identity, adoption).isFalse();
						reasons.merge(adoption.failureReason(), 1, Integer::sum);
						if (runtimes && identity.equals(NativeFds.identities().get(fd))) {
							// still the runtime's descriptor after the attempt (not closed and reused meanwhile)
							assertThat(adoption.failureReason()).as("adopt(%d) of %s", fd, identity)
								.isEqualTo(AdoptionFailureReason.ALREADY_ADOPTED);
						}
					}
				}
			}
			Random random = new Random(12);
			int highest = Collections.max(before.keySet()) + 64;
			for (int i = 0; i < 10_000; i++) {
				int fd = random.nextInt(highest);
				if (!notOffered.contains(fd)) {
					Adoption adoption = served.factory().adopt(fd);
					assertThat(adoption.isSuccess()).as("adopt(%d): %s", fd, adoption).isFalse();
				}
			}
			Map<Integer, FdIdentity> after = NativeFds.identities();

			before.forEach((fd, identity) -> {
				FdIdentity now = after.get(fd);
				if (now != null && now.target().equals(identity.target())) {
					assertThat(now.flags()).as("flags of fd %d (%s)", fd, identity.target()).isEqualTo(identity.flags());
				}
			});
			assertThat(reasons).containsKey(AdoptionFailureReason.ALREADY_ADOPTED);
			for (int client : clients) {
				assertThat(after.get(client)).as("client %d", client).isEqualTo(before.get(client));
				assertThat(exchange(client)).as("client %d after the sweep", client).startsWith("HTTP/1.1 200");
			}
			assertThat(adopted.isClosed()).isFalse();
			assertThat(this.listener.adoptions()).hasSize(1);
		}
		finally {
			if (churn != null) {
				churn.descendants().forEach(ProcessHandle::destroy);
				churn.destroy();
			}
			origin.destroy();
			served.close(Duration.ofSeconds(2));
		}
	}

	private static boolean isLoopFd(FdIdentity identity) {
		return identity.target().equals("anon_inode:[eventpoll]") || identity.target().equals("anon_inode:[eventfd]")
				|| identity.target().equals("anon_inode:[timerfd]");
	}

	private static InterceptListener listener(VConnRuntime runtime, InetSocketAddress origin, boolean perTransaction) {
		return InterceptListener.builder(runtime, new InterceptHookRegistry())
			.port(0)
			// idle keep-alive connections close after the header timeout: keep them through a slow sweep
			.headerTimeout(Duration.ofMinutes(5))
			.origin(origin)
			.perTransaction(perTransaction)
			.splice(true)
			.start();
	}

	/** A keep-alive HTTP/1.1 origin in a process of its own, so that its sockets are not this process's. */
	private static Process startOrigin() throws IOException {
		Path script = Files.createTempFile("vconn-origin", ".py");
		script.toFile().deleteOnExit();
		Files.writeString(script, String.join("\n", "import http.server",
				"class H(http.server.BaseHTTPRequestHandler):", "    protocol_version = 'HTTP/1.1'",
				"    def do_GET(self):", "        self.send_response(200)",
				"        self.send_header('Content-Length', '2')", "        self.end_headers()",
				"        self.wfile.write(b'ok')", "    def log_message(self, *args):", "        pass",
				"server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)",
				"print(server.server_address[1], flush=True)", "server.serve_forever()", ""));
		return new ProcessBuilder("python3", script.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
	}

	/** One GET on a raw client socket; returns the response once its two-byte body arrived. */
	private static String exchange(int fd) {
		NativeFds.writeFully(fd, "GET / HTTP/1.1\r\nHost: origin\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
		StringBuilder response = new StringBuilder();
		while (!response.toString().endsWith("\r\n\r\nok")) {
			NativeFds.awaitReadable(fd, 1, Duration.ofSeconds(10));
			byte[] chunk = NativeFds.readOnce(fd, 4096);
			assertThat(chunk).as("response so far: %s", response).isNotEmpty();
			response.append(new String(chunk, StandardCharsets.US_ASCII));
		}
		return response.toString();
	}

	private static boolean commandExists(String command) {
		try {
			return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
		}
		catch (IOException | InterruptedException ex) {
			return false;
		}
	}

}
