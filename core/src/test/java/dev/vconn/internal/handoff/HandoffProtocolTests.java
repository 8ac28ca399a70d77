package dev.vconn.internal.handoff;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.testing.CountsProcessFds;
import dev.vconn.testing.NativeFds;
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
 * The takeover protocol between a running instance ({@link HandoffOffer}) and a successor
 * ({@link HandoffReceiver}), each played against a rogue peer made of {@link HandoffSocket}: what is
 * refused, what is counted, and that no descriptor is left open on either side.
 */
@CountsProcessFds
@Timeout(30)
class HandoffProtocolTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(2);

	@TempDir
	Path directory;

	private final NativeFds fds = new NativeFds();

	private final List<String> counted = new CopyOnWriteArrayList<>();

	private final HandoffEvents events = (incoming, kind, outcome, reason) -> this.counted
		.add((incoming ? "in" : "out") + " " + kind + " " + outcome + " " + reason.tag());

	private long openBefore;

	@BeforeEach
	void supported() {
		assumeTrue(NativeFds.isSupported() && HandoffSocket.unavailabilityCause() == null, "needs 64-bit Linux");
		this.openBefore = openSockets();
	}

	@AfterEach
	void nothingLeaked() {
		this.fds.close();
		await().atMost(Duration.ofSeconds(5)).until(() -> openSockets() == this.openBefore);
	}

	/** Sockets and pipes open in this process: the JVM opens jar files as it loads classes, never these. */
	static long openSockets() {
		return NativeFds.openFds().stream().filter((fd) -> {
			try {
				String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
				return target.startsWith("socket:") || target.startsWith("pipe:");
			}
			catch (java.io.IOException ex) {
				return false;
			}
		}).count();
	}

	@Test
	void theSuccessorReceivesACopyOfTheListeningSocketAndTheRunningInstanceStopsAccepting() throws Exception {
		int listening = this.fds.listeningTcp();
		RecordingSource source = new RecordingSource(listening);
		Path path = this.directory.resolve("handoff.sock");
		try (HandoffOffer offer = HandoffOffer.start(path, Set.of(), TIMEOUT, TIMEOUT, source, this.events)) {
			assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
			int[] received = new int[1];
			boolean found = HandoffReceiver.takeOver(path, Set.of(), TIMEOUT, target((fds) -> received[0] = fds[0]),
					this.events);

			assertThat(found).isTrue();
			assertThat(source.handedOver.await(5, TimeUnit.SECONDS)).isTrue();
			assertThat(source.paused.get()).isEqualTo(1);
			assertThat(offer.isHandedOver()).isTrue();
			assertThat(received[0]).isNotEqualTo(listening);
			assertThat(NativeFds.localInetAddress(received[0])).isEqualTo(NativeFds.localInetAddress(listening));
			assertThat(NativeFds.fdinfoFlags(received[0]) & NativeFds.O_CLOEXEC).isEqualTo(NativeFds.O_CLOEXEC);
			NativeFds.closeRaw(received[0]);
		}
		assertThat(this.counted).containsExactlyInAnyOrder("out listener success none", "in listener success none");
		// the successor replaces the socket file when it offers in turn: the first one leaves it
		assertThat(path).exists();
		Files.delete(path);
	}

	@Test
	void bytesInFlightLargerThanAMessageTravelInOrderAndAnAnnouncementOverTheLimitIsMalformed() throws Exception {
		Path path = this.directory.resolve("bytes.sock");
		byte[] large = new byte[3 * Frame.MAX_BYTES + 17];
		new java.util.Random(11).nextBytes(large);
		byte[] small = "after".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
		try (HandoffSocket server = HandoffSocket.listen(path); HandoffSocket client = HandoffSocket.connect(path);
				HandoffSocket accepted = server.accept(5000)) {
			HandoffPeer sender = new HandoffPeer(client, "running instance", TIMEOUT.toMillis());
			HandoffPeer receiver = new HandoffPeer(accepted, "successor", TIMEOUT.toMillis());
			sender.sendBytes(large, new byte[0], small);
			assertThat(receiver.receiveBytes(large.length)).isEqualTo(large);
			assertThat(receiver.receiveBytes(0)).isEmpty();
			assertThat(receiver.receiveBytes(small.length)).isEqualTo(small);
			assertThatExceptionOfType(HandoffException.class).isThrownBy(() -> receiver.receiveBytes(Frame.MAX_PENDING + 1))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(HandoffReason.MALFORMED));
		}
		Files.delete(path);
	}

	@Test
	void noRunningInstanceMeansNothingToTakeOver() throws Exception {
		Path path = this.directory.resolve("nobody.sock");
		assertThat(HandoffReceiver.takeOver(path, Set.of(), TIMEOUT, target((fds) -> {
			throw new AssertionError("nothing to serve");
		}), this.events)).isFalse();
		// a socket file left by an instance that exited is not an instance either
		HandoffSocket.listen(path).close();
		assertThat(HandoffReceiver.takeOver(path, Set.of(), TIMEOUT, target((fds) -> {
			throw new AssertionError("nothing to serve");
		}), this.events)).isFalse();
		assertThat(this.counted).isEmpty();
		Files.delete(path);
	}

	@Test
	void aSuccessorThatDiesAfterReceivingTheSocketLeavesTheRunningInstanceServing() throws Exception {
		RecordingSource source = new RecordingSource(this.fds.listeningTcp());
		Path path = this.directory.resolve("handoff.sock");
		try (HandoffOffer offer = HandoffOffer.start(path, Set.of(), TIMEOUT, TIMEOUT, source, this.events)) {
			try (HandoffSocket successor = HandoffSocket.connect(path)) {
				successor.timeout(TIMEOUT.toMillis());
				successor.send(Frame.HELLO.encode(Frame.PROTOCOL));
				HandoffSocket.Received listener = successor.receive();
				assertThat(listener.fds()).hasSize(1);
				HandoffSocket.closeAll(listener.fds());
			}
			await().atMost(Duration.ofSeconds(5)).until(() -> this.counted.size() == 1);
			assertThat(this.counted).containsExactly("out listener failed interrupted");
			assertThat(source.paused.get()).isZero();
			assertThat(offer.isHandedOver()).isFalse();

			// the next successor still gets the socket
			assertThat(HandoffReceiver.takeOver(path, Set.of(), TIMEOUT, target(HandoffSocket::closeAll), this.events)).isTrue();
			assertThat(source.handedOver.await(5, TimeUnit.SECONDS)).isTrue();
		}
		Files.delete(path);
	}

	@Test
	void aSuccessorThatSendsNonsenseIsRefusedAndCounted() throws Exception {
		RecordingSource source = new RecordingSource(this.fds.listeningTcp());
		Path path = this.directory.resolve("handoff.sock");
		try (HandoffOffer offer = HandoffOffer.start(path, Set.of(), TIMEOUT, TIMEOUT, source, this.events)) {
			try (HandoffSocket successor = HandoffSocket.connect(path)) {
				successor.timeout(TIMEOUT.toMillis());
				successor.send(new byte[] { 42, 1, 2, 3 });
				HandoffSocket.Received answer = successor.receive();
				assertThat(Frame.of(answer.frame())).isEqualTo(Frame.REFUSED);
				assertThat(Frame.text(answer.frame())).startsWith("malformed: unknown message type 42");
				assertThat(answer.fds()).isEmpty();
			}
			try (HandoffSocket successor = HandoffSocket.connect(path)) {
				successor.timeout(TIMEOUT.toMillis());
				successor.send(Frame.HELLO.encode("vconn-handoff/99"));
				assertThat(Frame.text(successor.receive().frame())).contains("speaks vconn-handoff/99");
			}
			await().atMost(Duration.ofSeconds(5)).until(() -> this.counted.size() == 2);
			assertThat(this.counted).containsExactly("out listener failed malformed", "out listener failed malformed");
			assertThat(offer.isHandedOver()).isFalse();
		}
		assertThat(path).doesNotExist();
	}

	@Test
	void aSilentSuccessorIsGivenUpAfterTheTimeout() throws Exception {
		RecordingSource source = new RecordingSource(this.fds.listeningTcp());
		Path path = this.directory.resolve("handoff.sock");
		try (HandoffOffer offer = HandoffOffer.start(path, Set.of(), Duration.ofMillis(300), TIMEOUT, source, this.events);
				HandoffSocket successor = HandoffSocket.connect(path)) {
			await().atMost(Duration.ofSeconds(5)).until(() -> this.counted.size() == 1);
			assertThat(this.counted).containsExactly("out listener failed interrupted");
			assertThat(offer.isHandedOver()).isFalse();
		}
	}

	@Test
	void aSuccessorThatCannotServeClosesWhatItReceivedAndTheRunningInstanceKeepsServing() throws Exception {
		RecordingSource source = new RecordingSource(this.fds.listeningTcp());
		Path path = this.directory.resolve("handoff.sock");
		int[] received = new int[1];
		try (HandoffOffer offer = HandoffOffer.start(path, Set.of(), TIMEOUT, TIMEOUT, source, this.events)) {
			assertThatExceptionOfType(HandoffException.class)
				.isThrownBy(() -> HandoffReceiver.takeOver(path, Set.of(), TIMEOUT, target((fds) -> {
					received[0] = fds[0];
					throw new IllegalStateException("no event loop left");
				}), this.events))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(HandoffReason.ADOPTION))
				.withMessageContaining("no event loop left");
			assertThat(NativeFds.isOpen(received[0])).isFalse();
			await().atMost(Duration.ofSeconds(5)).until(() -> this.counted.size() == 2);
			assertThat(this.counted).containsExactlyInAnyOrder("in listener failed adoption",
					"out listener refused refused-by-peer");
			assertThat(offer.isHandedOver()).isFalse();
			assertThat(source.paused.get()).isZero();
		}
	}

	@Test
	void aRunningInstanceThatSendsSomethingElseIsRefusedAndWhatCameIsClosed() throws Exception {
		Path path = this.directory.resolve("rogue.sock");
		int pipeLike = this.fds.regularFile(new byte[] { 1 }, 0);
		AtomicInteger refusals = new AtomicInteger();
		try (HandoffSocket server = HandoffSocket.listen(path)) {
			Thread rogue = new Thread(() -> {
				try (HandoffSocket successor = server.accept(5000)) {
					successor.timeout(TIMEOUT.toMillis());
					successor.receive();
					successor.send(Frame.LISTENER.encode("vconn-listener"), pipeLike);
					successor.send(Frame.LISTENERS_END.encode(2));
					HandoffSocket.Received answer = successor.receive();
					if (answer != null && Frame.of(answer.frame()) == Frame.REFUSED) {
						refusals.incrementAndGet();
					}
				}
			});
			rogue.start();
			long before = openSockets();
			assertThatExceptionOfType(HandoffException.class)
				.isThrownBy(() -> HandoffReceiver.takeOver(path, Set.of(), TIMEOUT, target((fds) -> {
					throw new AssertionError("must not serve");
				}), this.events))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(HandoffReason.MALFORMED))
				.withMessageContaining("announced 2 listening sockets and sent 1");
			rogue.join(5000);
			assertThat(refusals.get()).isEqualTo(1);
			assertThat(openSockets()).isLessThanOrEqualTo(before);
		}
		assertThat(this.counted).containsExactly("in listener failed malformed");
		Files.delete(path);
	}

	@Test
	void aDirectoryOfAnotherUserIsRefused() throws Exception {
		Path foreign = Path.of("/");
		if (HandoffPeer.ownUid() == 0) {
			// root owns /: give a directory of its own to another user instead
			foreign = Files.createDirectory(this.directory.resolve("nobody"));
			Files.setOwner(foreign, foreign.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
		}
		Path path = foreign.resolve("handoff.sock");
		assertThatExceptionOfType(HandoffException.class).isThrownBy(() -> HandoffSocket.listen(path))
			.withMessageContaining("the directory of " + path + " belongs to uid")
			.withMessageContaining("not to this process's uid " + HandoffPeer.ownUid());
		assertThat(path).doesNotExist();
	}

	/** A target that serves listening sockets as told and takes no connections. */
	private static HandoffReceiver.Target target(java.util.function.Consumer<int[]> serve) {
		return new HandoffReceiver.Target() {
			@Override
			public void serve(int[] fds) {
				serve.accept(fds);
			}

			@Override
			public void serveConnection(int fd, byte[] unserved) {
				throw new AssertionError("no connection expected");
			}
		};
	}

	/** A listening socket held by the test, with what the offer asked of it. */
	private static final class RecordingSource implements HandoffOffer.Source {

		private final int fd;

		final AtomicInteger paused = new AtomicInteger();

		final CountDownLatch handedOver = new CountDownLatch(1);

		RecordingSource(int fd) {
			this.fd = fd;
		}

		@Override
		public int[] listeningFds() {
			return new int[] { this.fd };
		}

		@Override
		public void pauseAccepting() {
			this.paused.incrementAndGet();
		}

		@Override
		public void resumeAccepting() {
			this.paused.decrementAndGet();
		}

		@Override
		public void handOffConnections(java.util.function.Consumer<HandoffOffer.LiveConnection> sink) {
			// no live connections here: the listener tests hand real ones over
		}

		@Override
		public int remainingConnections() {
			return 0;
		}

		@Override
		public void handedOver() {
			this.handedOver.countDown();
		}

	}

}
