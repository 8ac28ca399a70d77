package dev.vconn;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.Connected;
import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.RecordingListener;
import dev.vconn.testing.SocketKind;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * No descriptor leaks, and none is closed twice: no entry of {@code /proc/self/fd} is added by
 * thousands of successful adopt-and-close cycles and thousands of failed adoptions of every kind,
 * and none that the test held from its start is removed. Each test first runs a short warm-up of the same work, so that
 * descriptors opened once and kept (event loops, selectors, class files) are in the baseline.
 */
@EnabledOnOs(OS.LINUX)
@CountsProcessFds
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FdLeakTests {

	private static final int CYCLES = 2_000;

	private static final int CHANNEL_CYCLES = 500;

	private static final int WARM_UP = 40;

	private static final Duration WAIT = Duration.ofSeconds(15);

	private final RecordingListener listener = new RecordingListener();

	private final List<VConnRuntime> runtimes = new ArrayList<>();

	private NativeFds fds;

	private VConnRuntime runtime;

	/** The descriptors open once the fixture is set up, with what each refers to. */
	private Map<Integer, String> atStart = Map.of();

	@BeforeEach
	void setUp() {
		assumeTrue(NativeFds.isSupported(), "needs /proc and a 64-bit Linux libc");
		assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		this.fds = new NativeFds();
		this.runtime = runtime(VConnRuntime.builder());
		this.atStart = targets(NativeFds.openFds());
	}

	@AfterEach
	void tearDown() {
		try {
			for (VConnRuntime r : this.runtimes) {
				r.close(Duration.ofSeconds(2));
			}
		}
		finally {
			if (this.fds != null) {
				this.fds.close();
			}
		}
	}

	@Test
	void adoptAndCloseThousandsOfTimesLeaksNoFd() {
		for (int i = 0; i < WARM_UP; i++) {
			adoptAndClose(i);
		}
		awaitQuiet(this.runtime);
		Set<Integer> before = NativeFds.openFds();
		this.listener.clear();

		for (int i = 0; i < CYCLES; i++) {
			adoptAndClose(i);
		}

		awaitQuiet(this.runtime);
		assertSameFds(before);
		await().atMost(WAIT).until(() -> this.listener.closes().size() == CYCLES);
		assertThat(this.listener.adoptions()).hasSize(CYCLES);
		assertThat(this.listener.failures()).isEmpty();
	}

	@Test
	void adoptAndCloseSocketChannelsThousandsOfTimesLeaksNoFd() throws IOException {
		try (ServerSocket server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress())) {
			server.setSoTimeout((int) WAIT.toMillis());
			for (int i = 0; i < WARM_UP; i++) {
				adoptAndCloseChannel(server, i);
			}
			awaitQuiet(this.runtime);
			Set<Integer> before = NativeFds.openFds();
			this.listener.clear();

			for (int i = 0; i < CHANNEL_CYCLES; i++) {
				adoptAndCloseChannel(server, i);
			}

			awaitQuiet(this.runtime);
			assertSameFds(before);
			await().atMost(WAIT).until(() -> this.listener.closes().size() == CHANNEL_CYCLES);
			assertThat(this.listener.adoptions()).hasSize(CHANNEL_CYCLES);
		}
	}

	@Test
	void failThousandsOfTimesLeaksNoFd() throws IOException {
		VConnRuntime limited = runtime(VConnRuntime.builder().maxConnections(1));
		VConnRuntime closed = runtime(VConnRuntime.builder());
		closed.close();
		Connected occupant = Connected.of(this.fds, SocketKind.UNIX_PAIR);
		VConn occupying = new AdoptionChecks(limited, this.listener, this.fds).adopt(occupant.fd());
		Connected owned = Connected.of(this.fds, SocketKind.UNIX_PAIR);
		VConn owner = new AdoptionChecks(this.runtime, this.listener, this.fds).adopt(owned.fd());
		int file = this.fds.regularFile(new byte[] { 1, 2, 3 }, 0);
		List<Failure> failures = failures(limited, closed, owner, file);

		for (int i = 0; i < WARM_UP; i++) {
			failures.get(i % failures.size()).attempt(this.fds);
		}
		Set<Integer> before = NativeFds.openFds();
		this.listener.clear();

		Map<AdoptionFailureReason, Integer> expected = new EnumMap<>(AdoptionFailureReason.class);
		for (int i = 0; i < CYCLES; i++) {
			Failure failure = failures.get(i % failures.size());
			failure.attempt(this.fds);
			expected.merge(failure.reason(), 1, Integer::sum);
		}

		assertSameFds(before);
		Map<AdoptionFailureReason, Integer> reported = new EnumMap<>(AdoptionFailureReason.class);
		this.listener.failures().forEach((f) -> reported.merge(f.reason(), 1, Integer::sum));
		assertThat(reported).as("onAdoptionFailed per reason").isEqualTo(expected);
		assertThat(this.listener.adoptions()).isEmpty();
		assertThat(this.runtime.activeCount()).isEqualTo(1);
		assertThat(limited.activeCount()).isEqualTo(1);
		assertThat(owner.isClosed()).isFalse();
		assertThat(occupying.isClosed()).isFalse();
		owner.close();
		occupying.close();
		AdoptionChecks.awaitNoActiveVConn(this.runtime);
		AdoptionChecks.awaitNoActiveVConn(limited);
	}

	private void adoptAndClose(int i) {
		SocketKind kind = (i % 2 == 0) ? SocketKind.TCP : SocketKind.UNIX_PAIR;
		Connected socket = Connected.of(this.fds, kind);
		Adoption adoption = this.runtime.factory().adopt(socket.fd());
		if (adoption.isSuccess()) {
			this.fds.release(socket.fd());
		}
		assertThat(adoption.isSuccess()).as("cycle %d: %s", i, adoption).isTrue();
		adoption.vconn().close();
		socket.peerClose();
	}

	private void adoptAndCloseChannel(ServerSocket server, int i) throws IOException {
		SocketChannel channel = SocketChannel.open(server.getLocalSocketAddress());
		try (Socket peer = server.accept()) {
			channel.configureBlocking(i % 2 == 0);
			VConn vconn = this.runtime.factory().fdCreate(channel);
			if (vconn == null) {
				channel.close();
			}
			assertThat(vconn).as("channel cycle %d", i).isNotNull();
			vconn.close();
		}
	}

	private List<Failure> failures(VConnRuntime limited, VConnRuntime closed, VConn owner, int file) {
		VConnFactory factory = this.runtime.factory();
		List<Failure> list = new ArrayList<>();
		list.add(new Failure(AdoptionFailureReason.INVALID_FD, factory, (f) -> -1, false));
		list.add(new Failure(AdoptionFailureReason.BAD_FD, factory, NativeFds::closedFdNumber, false));
		list.add(new Failure(AdoptionFailureReason.NOT_A_SOCKET, factory, (f) -> f.own(NativeFds.dupAtLeast(file, 0)), true));
		list.add(new Failure(AdoptionFailureReason.NOT_A_SOCKET, factory, (f) -> {
			NativeFds.PipeFds pipe = f.pipe();
			f.closeFd(pipe.writeFd());
			return pipe.readFd();
		}, true));
		list.add(new Failure(AdoptionFailureReason.NOT_A_STREAM_SOCKET, factory, NativeFds::udp, true));
		list.add(new Failure(AdoptionFailureReason.NOT_A_STREAM_SOCKET, factory, (f) -> {
			NativeFds.UnixPair pair = f.socketPair(NativeFds.SOCK_DGRAM);
			f.closeFd(pair.peerFd());
			return pair.fd();
		}, true));
		list.add(new Failure(AdoptionFailureReason.NOT_CONNECTED, factory, NativeFds::listeningTcp, true));
		list.add(new Failure(AdoptionFailureReason.NOT_CONNECTED, factory, NativeFds::unconnectedTcp, true));
		list.add(new Failure(AdoptionFailureReason.SOCKET_ERROR, factory, NativeFds::resetTcp, true));
		list.add(new Failure(AdoptionFailureReason.ALREADY_ADOPTED, factory, (f) -> owner.fd(), false));
		list.add(new Failure(AdoptionFailureReason.LIMIT_REACHED, limited.factory(), (f) -> {
			NativeFds.UnixPair pair = f.unixSocketPair();
			f.closeFd(pair.peerFd());
			return pair.fd();
		}, true));
		list.add(new Failure(AdoptionFailureReason.SHUTTING_DOWN, closed.factory(), (f) -> {
			NativeFds.UnixPair pair = f.unixSocketPair();
			f.closeFd(pair.peerFd());
			return pair.fd();
		}, true));
		return list;
	}

	private void awaitQuiet(VConnRuntime r) {
		AdoptionChecks.awaitNoActiveVConn(r);
	}

	/**
	 * No descriptor is open that was not open at {@code before}, and none that the test held from
	 * its start is gone. A descriptor the warm-up opened may still be closing when {@code before} is
	 * taken (it is gone afterwards, which is no fault); one that was already open when the test
	 * started and is gone was closed by someone who did not own it.
	 */
	private void assertSameFds(Set<Integer> before) {
		Map<Integer, String> atBefore = targets(before);
		try {
			await("no descriptor open that was not open before (" + before.size() + ")").atMost(WAIT)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> before.containsAll(NativeFds.openFds()));
		}
		catch (org.awaitility.core.ConditionTimeoutException ex) {
			Set<Integer> after = NativeFds.openFds();
			Set<Integer> leaked = new TreeSet<>(after);
			leaked.removeAll(before);
			throw new AssertionError("open descriptors: " + before.size() + " before, " + after.size() + " after; new: "
					+ describe(leaked), ex);
		}
		Set<Integer> gone = new TreeSet<>(before);
		gone.removeAll(NativeFds.openFds());
		gone.removeIf((fd) -> !atBefore.get(fd).equals(this.atStart.get(fd)));
		assertThat(gone).as("descriptors open since the test started, closed by the runtime: %s", describe(gone))
			.isEmpty();
	}

	/** Each descriptor with what it refers to ({@code socket:[inode]}, a path...), so a reused number tells apart. */
	private static Map<Integer, String> targets(Set<Integer> fds) {
		Map<Integer, String> targets = new java.util.HashMap<>();
		for (int fd : fds) {
			try {
				targets.put(fd, Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString());
			}
			catch (IOException ex) {
				targets.put(fd, "?");
			}
		}
		return targets;
	}

	private static String describe(Set<Integer> numbers) {
		StringBuilder sb = new StringBuilder("[");
		for (int fd : numbers) {
			String target;
			try {
				target = Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
			}
			catch (IOException ex) {
				target = "?";
			}
			sb.append(fd).append("->").append(target).append(' ');
		}
		return sb.append(']').toString();
	}

	private VConnRuntime runtime(VConnRuntime.Builder builder) {
		VConnRuntime r = builder.transport(Transport.EPOLL).eventThreads(2).addListener(this.listener).build();
		this.runtimes.add(r);
		return r;
	}

	/** A kind of failed adoption: how to make the descriptor, where to adopt it, what must happen. */
	private record Failure(AdoptionFailureReason reason, VConnFactory factory, FdMaker maker, boolean close) {

		void attempt(NativeFds fds) {
			int fd = this.maker.make(fds);
			int flags = (fd >= 0 && NativeFds.isOpen(fd)) ? NativeFds.getFl(fd) : -1;
			Adoption adoption = this.factory.adopt(fd);
			if (adoption.isSuccess()) {
				fds.release(fd);
			}
			assertThat(adoption.failureReason()).as("adopt(%d): %s", fd, adoption).isEqualTo(this.reason);
			if (flags != -1) {
				assertThat(NativeFds.getFl(fd)).as("flags of fd %d after %s", fd, this.reason).isEqualTo(flags);
			}
			if (this.close) {
				fds.closeFd(fd);
			}
		}

	}

	@FunctionalInterface
	private interface FdMaker {

		int make(NativeFds fds);

	}

}
