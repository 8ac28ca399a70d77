package dev.vconn;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import dev.vconn.testing.AdoptionChecks;
import dev.vconn.testing.Blocking;
import dev.vconn.testing.Connected;
import dev.vconn.testing.NativeFds;
import dev.vconn.testing.RecordingListener;
import dev.vconn.testing.RecordingListener.Adopted;
import dev.vconn.testing.RecordingListener.Closed;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Adoption of perfectly good connected sockets that must still fail because of ownership or of the
 * runtime's state: the descriptor is already a live VConn's (ALREADY_ADOPTED, and that VConn is
 * not disturbed), the connection limit is reached (LIMIT_REACHED, and failures never hold a slot),
 * the runtime is closing or closed (SHUTTING_DOWN). Each time the caller's descriptor is exactly
 * as it was and every byte the peer sent is still there for the caller to read.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdoptionRuntimeFailureTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final int THREADS = 6;

	private static final byte[] PENDING = "sent by the peer before adoption".getBytes(StandardCharsets.US_ASCII);

	private final RecordingListener listener = new RecordingListener();

	private final List<VConnRuntime> runtimes = new ArrayList<>();

	private NativeFds fds;

	@BeforeEach
	void setUp() {
		assumeTrue(NativeFds.isSupported(), "needs /proc and a 64-bit Linux libc");
		assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
		this.fds = new NativeFds();
	}

	@AfterEach
	void tearDown() {
		try {
			for (VConnRuntime runtime : this.runtimes) {
				runtime.close(Duration.ofSeconds(2));
			}
		}
		finally {
			if (this.fds != null) {
				this.fds.close();
			}
		}
	}

	static Stream<Arguments> kindsAndModes() {
		return Stream.of(SocketKind.TCP, SocketKind.UNIX_PAIR)
			.flatMap((kind) -> Stream.of(Blocking.values()).map((mode) -> Arguments.of(kind, mode)));
	}

	@ParameterizedTest
	@EnumSource(SocketKind.class)
	void adoptWhenFdIsAlreadyAdoptedFailsWithAlreadyAdopted(SocketKind kind) {
		VConnRuntime runtime = runtime(UnaryOperator.identity());
		Connected socket = Connected.of(this.fds, kind);
		int fd = socket.fd();
		VConn first = new AdoptionChecks(runtime, this.listener, this.fds).adopt(fd);
		int flags = NativeFds.fdinfoFlags(fd);
		List<Integer> watchers = NativeFds.epollWatchers(fd);
		this.listener.clear();

		assertThat(runtime.factory().fdCreate(fd)).as("fdCreate of an adopted fd").isNull();
		assertThat(this.listener.events()).containsExactly(new Failed(AdoptionSource.FD, AdoptionFailureReason.ALREADY_ADOPTED));
		AdoptionChecks.assertFailure(runtime.factory().adopt(fd), AdoptionFailureReason.ALREADY_ADOPTED);
		assertThat(this.listener.events()).containsExactly(
				new Failed(AdoptionSource.FD, AdoptionFailureReason.ALREADY_ADOPTED),
				new Failed(AdoptionSource.FD, AdoptionFailureReason.ALREADY_ADOPTED));

		// The first VConn is not disturbed: same descriptor, same flags, same single registration,
		// still counted, and it still carries bytes both ways.
		assertThat(first.isClosed()).isFalse();
		assertThat(first.fd()).isEqualTo(fd);
		assertThat(NativeFds.isOpen(fd)).isTrue();
		assertThat(NativeFds.fdinfoFlags(fd)).isEqualTo(flags);
		assertThat(NativeFds.epollWatchers(fd)).isEqualTo(watchers).hasSize(1);
		assertThat(runtime.activeCount()).isEqualTo(1);
		assertThat(runtime.vconns()).containsExactly(first);
		CompletableFuture<byte[]> received = VConnIo.read(first, 4);
		socket.peerWrite("ping".getBytes(StandardCharsets.US_ASCII));
		assertThat(received).succeedsWithin(WAIT).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
		assertThat(VConnIo.write(first, "pong".getBytes(StandardCharsets.US_ASCII))).succeedsWithin(WAIT);
		assertThat(socket.peerRead(4)).isEqualTo("pong".getBytes(StandardCharsets.US_ASCII));

		first.close();
		await().atMost(WAIT).until(() -> !NativeFds.isOpen(fd));
		AdoptionChecks.awaitNoActiveVConn(runtime);
		assertThat(this.listener.closes()).containsExactly(new Closed(first, CloseKind.CLOSE));
	}

	@ParameterizedTest
	@MethodSource("kindsAndModes")
	void adoptWhenLimitIsReachedFailsWithLimitReached(SocketKind kind, Blocking mode) throws Exception {
		VConnRuntime runtime = runtime((b) -> b.maxConnections(1));
		AdoptionChecks checks = new AdoptionChecks(runtime, this.listener, this.fds);
		Connected live = Connected.of(this.fds, kind);
		VConn first = checks.adopt(live.fd());
		Connected second = Connected.of(this.fds, kind);
		mode.apply(second.fd());
		second.peerWriteAndAwait(PENDING);

		checks.assertFdAdoptionFails(second.fd(), AdoptionFailureReason.LIMIT_REACHED);
		assertThat(NativeFds.isNonBlocking(second.fd())).isEqualTo(mode == Blocking.NON_BLOCKING);
		assertThat(second.peerReadable()).as("bytes written to the peer").isZero();
		assertThat(NativeFds.readFully(second.fd(), PENDING.length, WAIT)).as("bytes still for the caller")
			.isEqualTo(PENDING);

		// The failure held no slot: once the first VConn is gone, the same descriptor is adopted.
		first.close();
		AdoptionChecks.awaitNoActiveVConn(runtime);
		VConn adopted = checks.adopt(second.fd());
		CompletableFuture<byte[]> received = VConnIo.read(adopted, 4);
		second.peerWrite("late".getBytes(StandardCharsets.US_ASCII));
		assertThat(received).succeedsWithin(WAIT).isEqualTo("late".getBytes(StandardCharsets.US_ASCII));
		adopted.close();
		assertThat(second.peerReadToEof()).isEmpty();
		AdoptionChecks.awaitNoActiveVConn(runtime);
	}

	@Test
	void failedAdoptionsDoNotHoldConnectionSlots() {
		VConnRuntime runtime = runtime((b) -> b.maxConnections(1));
		AdoptionChecks checks = new AdoptionChecks(runtime, this.listener, this.fds);
		for (int i = 0; i < 5; i++) {
			checks.assertFdAdoptionFails(-1, AdoptionFailureReason.INVALID_FD);
			checks.assertFdAdoptionFails(this.fds.closedFdNumber(), AdoptionFailureReason.BAD_FD);
			checks.assertFdAdoptionFails(this.fds.pipe().readFd(), AdoptionFailureReason.NOT_A_SOCKET);
			checks.assertFdAdoptionFails(this.fds.udp(), AdoptionFailureReason.NOT_A_STREAM_SOCKET);
			checks.assertFdAdoptionFails(this.fds.listeningTcp(), AdoptionFailureReason.NOT_CONNECTED);
			checks.assertFdAdoptionFails(this.fds.resetTcp(), AdoptionFailureReason.SOCKET_ERROR);
		}
		assertThat(runtime.activeCount()).isZero();
		Connected socket = Connected.of(this.fds, SocketKind.TCP);
		VConn vconn = checks.adopt(socket.fd());
		assertThat(runtime.activeCount()).isEqualTo(1);
		vconn.close();
		AdoptionChecks.awaitNoActiveVConn(runtime);
	}

	@ParameterizedTest
	@MethodSource("kindsAndModes")
	void adoptWhenRuntimeIsClosedFailsWithShuttingDown(SocketKind kind, Blocking mode) {
		VConnRuntime runtime = runtime(UnaryOperator.identity());
		AdoptionChecks checks = new AdoptionChecks(runtime, this.listener, this.fds);
		Connected socket = Connected.of(this.fds, kind);
		mode.apply(socket.fd());
		socket.peerWriteAndAwait(PENDING);
		assertThat(runtime.close(Duration.ofSeconds(5))).as("VConns aborted by close").isZero();
		assertThat(runtime.isRunning()).isFalse();

		checks.assertFdAdoptionFails(socket.fd(), AdoptionFailureReason.SHUTTING_DOWN);
		assertThat(socket.peerReadable()).as("bytes written to the peer").isZero();
		assertThat(NativeFds.readFully(socket.fd(), PENDING.length, WAIT)).as("bytes still for the caller")
			.isEqualTo(PENDING);
	}

	@ParameterizedTest
	@EnumSource(Blocking.class)
	void adoptWhileRuntimeIsClosingFailsWithShuttingDown(Blocking mode) {
		VConnRuntime runtime = runtime((b) -> b.shutdownTimeout(Duration.ofSeconds(20)));
		AdoptionChecks checks = new AdoptionChecks(runtime, this.listener, this.fds);
		Connected live = Connected.of(this.fds, SocketKind.TCP);
		VConn lingering = checks.adopt(live.fd());
		Connected socket = Connected.of(this.fds, SocketKind.TCP);
		mode.apply(socket.fd());
		socket.peerWriteAndAwait(PENDING);

		// close() waits for the live VConn: adoptions during that wait are refused.
		CompletableFuture<Integer> closing = CompletableFuture.supplyAsync(() -> runtime.close(Duration.ofSeconds(20)));
		await().atMost(WAIT).until(() -> !runtime.isRunning());
		assertThat(closing).isNotDone();
		checks.assertFdAdoptionFails(socket.fd(), AdoptionFailureReason.SHUTTING_DOWN);
		assertThat(NativeFds.readFully(socket.fd(), PENDING.length, WAIT)).isEqualTo(PENDING);

		lingering.close();
		assertThat(closing).succeedsWithin(WAIT).as("VConns aborted by close").isEqualTo(0);
		assertThat(this.listener.events()).filteredOn(Adopted.class::isInstance).isEmpty();
	}

	@Test
	void adoptAfterRuntimeClosedIsReportedToTheListener() {
		VConnRuntime runtime = runtime(UnaryOperator.identity());
		runtime.close();
		Connected socket = Connected.of(this.fds, SocketKind.TCP);
		this.listener.clear();
		assertThat(runtime.factory().fdCreate(socket.fd())).isNull();
		assertThat(this.listener.events()).containsExactly(new Failed(AdoptionSource.FD, AdoptionFailureReason.SHUTTING_DOWN));
	}

	@Test
	void concurrentAdoptionsOfOneFdSucceedExactlyOnce() throws Exception {
		VConnRuntime runtime = runtime(UnaryOperator.identity());
		ExecutorService pool = Executors.newFixedThreadPool(THREADS);
		try {
			for (int round = 0; round < 100; round++) {
				Connected socket = Connected.of(this.fds, SocketKind.UNIX_PAIR);
				int fd = socket.fd();
				List<Adoption> results = race(pool, () -> runtime.factory().adopt(fd));
				List<Adoption> successes = results.stream().filter(Adoption::isSuccess).toList();
				if (!successes.isEmpty()) {
					this.fds.release(fd);
				}
				assertThat(successes).as("round %d: %s", round, results).hasSize(1);
				assertThat(results).filteredOn((a) -> !a.isSuccess())
					.extracting(Adoption::failureReason)
					.as("round %d", round)
					.containsOnly(AdoptionFailureReason.ALREADY_ADOPTED);
				assertThat(NativeFds.epollWatchers(fd)).as("round %d: registrations", round).hasSize(1);
				successes.get(0).vconn().close();
				socket.peerClose();
			}
		}
		finally {
			pool.shutdownNow();
		}
		AdoptionChecks.awaitNoActiveVConn(runtime);
	}

	@Test
	void concurrentAdoptionsNeverExceedTheLimit() throws Exception {
		int limit = 3;
		VConnRuntime runtime = runtime((b) -> b.maxConnections(limit));
		ExecutorService pool = Executors.newFixedThreadPool(THREADS);
		try {
			for (int round = 0; round < 50; round++) {
				List<Attempt> attempts = race(pool, adoptEach(runtime, THREADS, null));
				List<VConn> adopted = new ArrayList<>();
				for (Attempt attempt : attempts) {
					if (attempt.adoption().isSuccess()) {
						this.fds.release(attempt.fd());
						adopted.add(attempt.adoption().vconn());
					}
				}
				assertThat(adopted).as("round %d: %s", round, attempts).hasSize(limit);
				assertThat(runtime.activeCount()).isEqualTo(limit);
				for (Attempt attempt : attempts) {
					if (!attempt.adoption().isSuccess()) {
						assertThat(attempt.adoption().failureReason()).as("round %d: %s", round, attempt)
							.isEqualTo(AdoptionFailureReason.LIMIT_REACHED);
						attempt.assertUnchanged();
					}
				}
				adopted.forEach(VConn::close);
				AdoptionChecks.awaitNoActiveVConn(runtime);
				attempts.forEach((a) -> a.finish(this.fds));
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void adoptRacingWithRuntimeCloseEitherAdoptsOrLeavesTheFdUnchanged() throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(THREADS);
		try {
			for (int round = 0; round < 30; round++) {
				RecordingListener events = new RecordingListener();
				VConnRuntime runtime = VConnRuntime.builder()
					.transport(Transport.EPOLL)
					.eventThreads(1)
					.addListener(events)
					.build();
				this.runtimes.add(runtime);
				List<Attempt> attempts = race(pool, adoptEach(runtime, THREADS - 1, () -> runtime.close(Duration.ZERO)));
				assertThat(runtime.isRunning()).isFalse();
				for (Attempt attempt : attempts) {
					if (attempt.adoption() == null) {
						continue; // the thread that closed the runtime
					}
					if (attempt.adoption().isSuccess()) {
						// adopted before close() took effect: close() must have ended it
						this.fds.release(attempt.fd());
						assertThat(attempt.adoption().vconn().isClosed()).as("round %d: VConn adopted during close()", round)
							.isTrue();
						await().atMost(WAIT).until(() -> !NativeFds.isOpen(attempt.fd()));
					}
					else {
						assertThat(attempt.adoption().failureReason()).as("round %d: %s", round, attempt)
							.isEqualTo(AdoptionFailureReason.SHUTTING_DOWN);
						attempt.assertUnchanged();
					}
				}
				assertThat(runtime.activeCount()).as("round %d: live after close", round).isZero();
				assertThat(events.closes()).as("round %d: every adopted VConn reported closed", round)
					.hasSameSizeAs(events.adoptions());
				attempts.forEach((a) -> a.finish(this.fds));
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	/**
	 * Tasks for {@link #race}: {@code count} of them adopt a fresh AF_UNIX socket each, and, if
	 * {@code other} is given, one more runs it.
	 */
	private List<Callable<Attempt>> adoptEach(VConnRuntime runtime, int count, Runnable other) {
		List<Callable<Attempt>> tasks = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			Connected socket = Connected.of(this.fds, SocketKind.UNIX_PAIR);
			int flags = NativeFds.fdinfoFlags(socket.fd());
			tasks.add(() -> new Attempt(socket, flags, runtime.factory().adopt(socket.fd())));
		}
		if (other != null) {
			tasks.add(() -> {
				other.run();
				return new Attempt(null, 0, null);
			});
		}
		return tasks;
	}

	/**
	 * One adoption attempt of a race.
	 * @param socket the socket, {@code null} for a task that did not adopt
	 * @param flags its fdinfo flags before
	 * @param adoption the result, {@code null} for a task that did not adopt
	 */
	private record Attempt(Connected socket, int flags, Adoption adoption) {

		int fd() {
			return this.socket.fd();
		}

		void assertUnchanged() {
			assertThat(NativeFds.isOpen(fd())).as("refused fd %d still open", fd()).isTrue();
			assertThat(NativeFds.fdinfoFlags(fd())).as("flags of refused fd %d", fd()).isEqualTo(this.flags);
			assertThat(NativeFds.epollWatchers(fd())).as("registrations of refused fd %d", fd()).isEmpty();
		}

		void finish(NativeFds fds) {
			if (this.socket != null) {
				this.socket.peerClose();
				if (!this.adoption.isSuccess()) {
					fds.closeFd(fd());
				}
			}
		}

		@Override
		public String toString() {
			return (this.socket == null) ? "close()" : "fd " + fd() + ": " + this.adoption;
		}

	}

	/** Runs the same task on {@link #THREADS} threads released at once. */
	private static <T> List<T> race(ExecutorService pool, Callable<T> task) throws Exception {
		List<Callable<T>> tasks = new ArrayList<>();
		for (int i = 0; i < THREADS; i++) {
			tasks.add(task);
		}
		return race(pool, tasks);
	}

	/** Runs each task on its own thread, all released at once; results in task order. */
	private static <T> List<T> race(ExecutorService pool, List<Callable<T>> tasks) throws Exception {
		CyclicBarrier barrier = new CyclicBarrier(tasks.size());
		List<Future<T>> futures = new ArrayList<>();
		for (Callable<T> task : tasks) {
			futures.add(pool.submit(() -> {
				barrier.await(10, TimeUnit.SECONDS);
				return task.call();
			}));
		}
		List<T> results = new ArrayList<>();
		for (Future<T> future : futures) {
			results.add(future.get(30, TimeUnit.SECONDS));
		}
		return results;
	}

	private VConnRuntime runtime(UnaryOperator<VConnRuntime.Builder> customizer) {
		VConnRuntime runtime = customizer
			.apply(VConnRuntime.builder().transport(Transport.EPOLL).eventThreads(2).addListener(this.listener))
			.build();
		this.runtimes.add(runtime);
		return runtime;
	}

}
