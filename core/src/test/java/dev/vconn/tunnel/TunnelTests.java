package dev.vconn.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.TunnelResult.End;
import dev.vconn.TunnelResult.Side;
import dev.vconn.testing.CountingListener;
import dev.vconn.testing.Payload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@link dev.vconn.Tunnel} between two real loopback connections, on every way it can move bytes:
 * spliced on one epoll loop, copied on epoll (splicing refused, or VConns on different loops) and
 * copied on NIO. The peers are plain JDK sockets.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunnelTests {

	private static final long MiB = 1024 * 1024;

	private final ExecutorService peers = Executors.newCachedThreadPool();

	@AfterEach
	void stopPeers() {
		this.peers.shutdownNow();
	}

	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void hundredMebibytesEachWayConcurrentlyArriveIntactWithExactCounts(TunnelFixture.Mode mode) throws Exception {
		long size = 100 * MiB;
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			CompletableFuture<Long> sentAToB = async(() -> {
				long crc = Payload.write(f.peerA, 1, size);
				f.peerA.shutdownOutput();
				return crc;
			});
			CompletableFuture<Long> sentBToA = async(() -> {
				long crc = Payload.write(f.peerB, 2, size);
				f.peerB.shutdownOutput();
				return crc;
			});
			CompletableFuture<Payload.Received> atB = async(() -> Payload.read(f.peerB, Long.MAX_VALUE));
			CompletableFuture<Payload.Received> atA = async(() -> Payload.read(f.peerA, Long.MAX_VALUE));

			TunnelResult result = tunnel.get(100, TimeUnit.SECONDS);
			assertThat(atB.get(10, TimeUnit.SECONDS))
				.isEqualTo(new Payload.Received(size, sentAToB.get(10, TimeUnit.SECONDS)));
			assertThat(atA.get(10, TimeUnit.SECONDS))
				.isEqualTo(new Payload.Received(size, sentBToA.get(10, TimeUnit.SECONDS)));
			assertThat(result.end()).isEqualTo(End.EOS);
			assertThat(result.bytesAToB()).isEqualTo(size);
			assertThat(result.bytesBToA()).isEqualTo(size);
			assertThat(result.spliced()).as("spliced in mode %s", mode).isEqualTo(mode.expectSpliced);
			assertListenerReconciles(f, result);
		}
	}

	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void halfCloseDeliversEverythingBeforeEndOfStreamAndTheOtherWayGoesOn(TunnelFixture.Mode mode) throws Exception {
		long n = 16 * MiB;
		long m = 12 * MiB + 4321;
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			CompletableFuture<Payload.Received> atA = async(() -> Payload.read(f.peerA, Long.MAX_VALUE));
			// B reads all N bytes up to end of stream; only then does it answer, with M bytes
			CompletableFuture<Payload.Received> atB = async(() -> Payload.read(f.peerB, Long.MAX_VALUE));
			CompletableFuture<Long> answered = atB.thenApplyAsync((received) -> {
				try {
					long crc = Payload.write(f.peerB, 12, m);
					f.peerB.shutdownOutput();
					return crc;
				}
				catch (IOException ex) {
					throw new java.io.UncheckedIOException(ex);
				}
			}, this.peers);
			long sentByA = Payload.write(f.peerA, 11, n);
			f.peerA.shutdownOutput();

			assertThat(atB.get(30, TimeUnit.SECONDS)).isEqualTo(new Payload.Received(n, sentByA));
			long sentByB = answered.get(30, TimeUnit.SECONDS);
			assertThat(atA.get(30, TimeUnit.SECONDS)).isEqualTo(new Payload.Received(m, sentByB));
			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.EOS);
			assertThat(result.firstEnded()).isEqualTo(Side.A);
			assertThat(result.bytesAToB()).isEqualTo(n);
			assertThat(result.bytesBToA()).isEqualTo(m);
			assertThat(result.spliced()).isEqualTo(mode.expectSpliced);
			assertListenerReconciles(f, result);
			assertThat(f.listener.closeKinds()).containsEntry(f.a.id(), CloseKind.EOS)
				.containsEntry(f.b.id(), CloseKind.EOS);
		}
	}

	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void resetOnOneSideAbortsTheOtherAndEndsWithReset(TunnelFixture.Mode mode) throws Exception {
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			long crc = Payload.write(f.peerA, 21, MiB);
			assertThat(Payload.read(f.peerB, MiB)).isEqualTo(new Payload.Received(MiB, crc));

			f.peerA.socket().setSoLinger(true, 0);
			f.peerA.close(); // RST

			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.RESET);
			assertThat(result.firstEnded()).isEqualTo(Side.A);
			assertThat(result.bytesAToB()).isEqualTo(MiB);
			assertThat(result.spliced()).isEqualTo(mode.expectSpliced);
			// the other peer is reset too, not given an orderly end of stream
			ByteBuffer one = ByteBuffer.allocate(1);
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> f.peerB.read(one))
				.withMessageContaining("reset");
			assertThat(f.listener.abortCauses()).containsEntry(f.a.id(), CloseKind.PEER);
			assertThat(f.listener.closeKinds()).containsEntry(f.a.id(), CloseKind.PEER)
				.containsEntry(f.b.id(), CloseKind.API);
			assertThat(f.listener.tunnelsEnded()).containsExactly(result);
		}
	}

	/**
	 * B's peer does not read: the tunnel must stop reading from A once its buffer is full, so A's peer
	 * ends up unable to write (a non-blocking write returns 0 and the socket stays unwritable),
	 * having sent no more than what the sockets themselves can hold. Then B's peer reads everything.
	 */
	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void slowReaderPushesBackOnTheSenderWithBoundedBuffering(TunnelFixture.Mode mode) throws Exception {
		// what the four socket buffers on the way may hold, with room to spare; a tunnel that kept
		// reading regardless would go far beyond it
		long bound = 96 * MiB;
		try (TunnelFixture f = TunnelFixture.openWithSmallPeerBReceiveBuffer(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			StallingWriter writer = new StallingWriter(31);
			assertThat(writer.writeUntilStalled(f.peerA, bound)).as("the sender was blocked after %d bytes", writer.written())
				.isTrue();
			assertThat(writer.written()).isLessThan(bound);

			CompletableFuture<Payload.Received> atB = async(() -> Payload.read(f.peerB, Long.MAX_VALUE));
			writer.finish(f.peerA);
			f.peerA.shutdownOutput();
			assertThat(atB.get(30, TimeUnit.SECONDS)).isEqualTo(new Payload.Received(writer.written(), writer.checksum()));
			f.peerB.shutdownOutput();
			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.EOS);
			assertThat(result.bytesAToB()).isEqualTo(writer.written());
			assertThat(result.bytesBToA()).isZero();
		}
	}

	/**
	 * B's peer reads in small bites, so the tunnel finds B's socket full again and again while A's
	 * peer keeps sending: every byte must arrive once and in order, and the counts must agree.
	 */
	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void readerTakingSmallBitesGetsEveryByteInOrder(TunnelFixture.Mode mode) throws Exception {
		long size = 16 * MiB;
		try (TunnelFixture f = TunnelFixture.openWithSmallPeerBReceiveBuffer(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			CompletableFuture<Payload.Received> atB = async(() -> Payload.read(smallBites(f.peerB), Long.MAX_VALUE));
			long sent = Payload.write(f.peerA, 71, size);
			f.peerA.shutdownOutput();

			assertThat(atB.get(60, TimeUnit.SECONDS)).isEqualTo(new Payload.Received(size, sent));
			f.peerB.shutdownOutput();
			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.EOS);
			assertThat(result.bytesAToB()).isEqualTo(size);
			assertThat(result.spliced()).isEqualTo(mode.expectSpliced);
			assertListenerReconciles(f, result);
		}
	}

	/** A channel that reads at most 1 KiB at a time from {@code in}. */
	private static ReadableByteChannel smallBites(ReadableByteChannel in) {
		return new ReadableByteChannel() {
			@Override
			public int read(ByteBuffer dst) throws IOException {
				int limit = dst.limit();
				dst.limit(Math.min(limit, dst.position() + 1024));
				try {
					return in.read(dst);
				}
				finally {
					dst.limit(limit);
				}
			}

			@Override
			public boolean isOpen() {
				return in.isOpen();
			}

			@Override
			public void close() throws IOException {
				in.close();
			}
		};
	}

	/**
	 * A half-closed side keeps receiving: A's peer sends and shuts down its output, then B's peer
	 * answers with more than the sockets hold while A's peer is not reading yet. Once it reads, it
	 * must get every byte, then end of stream.
	 */
	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void halfClosedSideReceivesEverythingEvenWhenItReadsLate(TunnelFixture.Mode mode) throws Exception {
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			long sentByA = Payload.write(f.peerA, 61, 100_000);
			f.peerA.shutdownOutput();
			assertThat(Payload.read(f.peerB, Long.MAX_VALUE)).isEqualTo(new Payload.Received(100_000, sentByA));

			StallingWriter writer = new StallingWriter(62);
			assertThat(writer.writeUntilStalled(f.peerB, 96 * MiB)).isTrue();
			CompletableFuture<Payload.Received> atA = async(() -> Payload.read(f.peerA, Long.MAX_VALUE));
			writer.finish(f.peerB);
			long more = Payload.write(f.peerB, 63, 4 * MiB);
			f.peerB.shutdownOutput();

			Payload.Received received = atA.get(30, TimeUnit.SECONDS);
			assertThat(received.count()).isEqualTo(writer.written() + 4 * MiB);
			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.EOS);
			assertThat(result.bytesBToA()).isEqualTo(writer.written() + 4 * MiB);
			assertThat(more).isNotZero();
		}
	}

	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void runtimeCloseAbortsTheTunnel(TunnelFixture.Mode mode) throws Exception {
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			long crc = Payload.write(f.peerA, 41, 1000);
			assertThat(Payload.read(f.peerB, 1000)).isEqualTo(new Payload.Received(1000, crc));

			assertThat(f.runtime.close(Duration.ZERO)).isEqualTo(2);

			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.ABORTED);
			assertThat(result.bytesAToB()).isEqualTo(1000);
			assertThat(f.listener.abortCauses().values()).contains(CloseKind.SHUTDOWN);
			assertThat(f.listener.closeKinds()).containsEntry(f.a.id(), CloseKind.SHUTDOWN)
				.containsEntry(f.b.id(), CloseKind.SHUTDOWN);
			ByteBuffer one = ByteBuffer.allocate(1);
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> f.peerA.read(one))
				.withMessageContaining("reset");
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> f.peerB.read(one))
				.withMessageContaining("reset");
			assertThat(f.runtime.activeCount()).isZero();
			assertThat(f.listener.reconciles(0)).isTrue();
		}
	}

	/**
	 * Both peers go away while the tunnel is stalled on a full socket towards B: B's peer closes
	 * with unread bytes (so it resets), A's peer closes while the tunnel is not reading it. The
	 * tunnel must end and release both sockets.
	 */
	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void peersLeavingWhileTheTunnelIsStalledEndTheTunnel(TunnelFixture.Mode mode) throws Exception {
		try (TunnelFixture f = TunnelFixture.openWithSmallPeerBReceiveBuffer(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			f.peerA.configureBlocking(false);
			ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
			long written = 0;
			try (Selector selector = Selector.open()) {
				f.peerA.register(selector, SelectionKey.OP_WRITE);
				boolean stalled = false;
				while (!stalled) {
					chunk.clear();
					int n = f.peerA.write(chunk);
					written += n;
					if (n == 0) {
						stalled = selector.select(1000) == 0;
						selector.selectedKeys().clear();
					}
				}
			}
			f.peerB.close();
			f.peerA.close();
			TunnelResult result = tunnel.get(20, TimeUnit.SECONDS);
			assertThat(result.end()).isIn(End.RESET, End.EOS);
			assertThat(result.bytesAToB()).isLessThanOrEqualTo(written);
			await().atMost(Duration.ofSeconds(10)).until(() -> f.runtime.activeCount() == 0);
			assertThat(f.listener.reconciles(0)).isTrue();
		}
	}

	/** Both peers send and finish before the tunnel even starts: everything is delivered and counted exactly. */
	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void bytesAndEndsThatArrivedBeforeTheTunnelStartedAreDeliveredAndCountedExactly(TunnelFixture.Mode mode)
			throws Exception {
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			long toB = Payload.write(f.peerA, 71, 1000);
			f.peerA.shutdownOutput();
			long toA = Payload.write(f.peerB, 72, 2345);
			f.peerB.shutdownOutput();

			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();

			assertThat(Payload.read(f.peerB, Long.MAX_VALUE)).isEqualTo(new Payload.Received(1000, toB));
			assertThat(Payload.read(f.peerA, Long.MAX_VALUE)).isEqualTo(new Payload.Received(2345, toA));
			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.end()).isEqualTo(End.EOS);
			assertThat(result.bytesAToB()).isEqualTo(1000);
			assertThat(result.bytesBToA()).isEqualTo(2345);
			// a side whose end was already seen cannot be spliced: such a tunnel may copy instead
			assertListenerReconciles(f, result);
		}
	}

	@ParameterizedTest
	@EnumSource(TunnelFixture.Mode.class)
	void listenerSeesTheTunnelStartAndEndWithTheBytesOfTheResult(TunnelFixture.Mode mode) throws Exception {
		try (TunnelFixture f = TunnelFixture.open(mode)) {
			CompletableFuture<TunnelResult> tunnel = f.tunnel().start();
			await().atMost(Duration.ofSeconds(10)).until(() -> f.listener.tunnelsStarted().size() == 1);
			assertThat(f.listener.tunnelsStarted().get(0)).containsExactly(f.a.id(), f.b.id());
			assertThat(f.listener.tunnelsEnded()).isEmpty();

			CompletableFuture<Payload.Received> atA = async(() -> Payload.read(f.peerA, Long.MAX_VALUE));
			long toB = Payload.write(f.peerA, 51, 3 * MiB + 17);
			long toA = Payload.write(f.peerB, 52, 5 * MiB + 3);
			f.peerB.shutdownOutput();
			assertThat(atA.get(30, TimeUnit.SECONDS)).isEqualTo(new Payload.Received(5 * MiB + 3, toA));
			f.peerA.shutdownOutput();
			assertThat(Payload.read(f.peerB, Long.MAX_VALUE)).isEqualTo(new Payload.Received(3 * MiB + 17, toB));

			TunnelResult result = tunnel.get(30, TimeUnit.SECONDS);
			assertThat(result.firstEnded()).isEqualTo(Side.B);
			assertListenerReconciles(f, result);
		}
	}

	private static void assertListenerReconciles(TunnelFixture f, TunnelResult result) {
		CountingListener listener = f.listener;
		assertThat(listener.tunnelsStarted()).hasSize(1);
		assertThat(listener.tunnelsStarted().get(0)).containsExactly(f.a.id(), f.b.id());
		assertThat(listener.tunnelsEnded()).containsExactly(result);
		assertThat(listener.receivedBy(f.a.id())).as("received by A").isEqualTo(result.bytesAToB());
		assertThat(listener.sentBy(f.b.id())).as("sent by B").isEqualTo(result.bytesAToB());
		assertThat(listener.receivedBy(f.b.id())).as("received by B").isEqualTo(result.bytesBToA());
		assertThat(listener.sentBy(f.a.id())).as("sent by A").isEqualTo(result.bytesBToA());
		assertThat(f.a.bytesIn()).isEqualTo(result.bytesAToB());
		assertThat(f.b.bytesOut()).isEqualTo(result.bytesAToB());
		assertThat(f.b.bytesIn()).isEqualTo(result.bytesBToA());
		assertThat(f.a.bytesOut()).isEqualTo(result.bytesBToA());
		assertThat(f.a.isClosed()).isTrue();
		assertThat(f.b.isClosed()).isTrue();
		assertThat(f.runtime.activeCount()).isZero();
		assertThat(listener.reconciles(0)).isTrue();
	}

	private <T> CompletableFuture<T> async(IoSupplier<T> task) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return task.get();
			}
			catch (IOException ex) {
				throw new java.io.UncheckedIOException(ex);
			}
		}, this.peers);
	}

	@FunctionalInterface
	private interface IoSupplier<T> {

		T get() throws IOException;

	}

}
