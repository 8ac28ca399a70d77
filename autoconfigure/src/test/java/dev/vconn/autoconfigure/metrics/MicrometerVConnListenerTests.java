package dev.vconn.autoconfigure.metrics;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import dev.vconn.CloseKind;
import dev.vconn.Transport;
import dev.vconn.Tunnel;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.testing.TestSockets;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.metrics.VConnStatistics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@Timeout(60)
class MicrometerVConnListenerTests {

	@Test
	void worksWithoutSpringAsDocumented() throws Exception {
		MeterRegistry registry = new SimpleMeterRegistry();
		// docs/metrics.md, "Without Spring"
		VConnStatistics statistics = new VConnStatistics();
		AtomicReference<VConnRuntime> ref = new AtomicReference<>();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> ref.get().activeCount());
		ref.set(VConnRuntime.builder().addListener(statistics).addListener(metrics).eventThreads(1).build());
		metrics.bindTo(registry);
		VConnRuntime runtime = ref.get();
		try (TestSockets sockets = new TestSockets()) {
			VConn vconn = runtime.factory().adopt(sockets.connectedChannel().client()).orElseThrow();
			assertThat(registry.get("vconn.active").gauge().value()).isEqualTo(1.0);
			assertThat(registry.get("vconn.adoption.duration").timer().count()).isEqualTo(1);
			vconn.close();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> registry.get("vconn.closed").tag("how", "close").functionCounter().count() == 1.0);
			assertThat(registry.get("vconn.active").gauge().value()).isZero();
		}
		finally {
			runtime.close();
		}
		assertThat(registry.get("vconn.adoptions").tags("outcome", "success", "source", "channel")
			.functionCounter()
			.count()).isEqualTo(1.0);
	}

	@Test
	void everyEndingIsOneValueOfHowAndTheAbortsTheSameValueOfCause() {
		MeterRegistry registry = new SimpleMeterRegistry();
		VConnStatistics statistics = new VConnStatistics();
		VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).build();
		VConnPair pair = VConnPair.create(runtime);
		try {
			VConn end = pair.active();
			new MicrometerVConnListener(statistics, () -> 0).bindTo(registry);
			for (CloseKind kind : CloseKind.values()) {
				if (kind.isAbort()) {
					statistics.onAborted(end, kind, 0);
				}
				statistics.onClosed(end, kind);
			}
		}
		finally {
			// both ends closed first: a graceful close would wait its whole timeout for them
			pair.active().close();
			pair.passive().close();
			runtime.close();
		}
		// a peer reset is counted in core, over real sockets (VConnStatisticsRuntimeTests); here, its meters
		assertThat(registry.find("vconn.closed").functionCounters()).hasSize(CloseKind.values().length);
		assertThat(registry.find("vconn.aborts").functionCounters()).hasSize(5);
		for (CloseKind kind : CloseKind.values()) {
			String value = MicrometerVConnListener.tagValue(kind);
			assertThat(registry.get("vconn.closed").tag("how", value).functionCounter().count()).as("closed how=%s", kind)
				.isEqualTo(1.0);
			assertThat(registry.find("vconn.aborts").tag("cause", value).functionCounters()).as("aborts cause=%s", kind)
				.hasSize(kind.isAbort() ? 1 : 0)
				.allSatisfy((counter) -> assertThat(counter.count()).isEqualTo(1.0));
		}
		assertThat(registry.get("vconn.closed").tag("how", "peer").functionCounter().count())
			.isEqualTo(registry.get("vconn.aborts").tag("cause", "peer").functionCounter().count());
	}

	@Test
	void countsMadeBeforeBindingAreNotLost() {
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0);
		VConnListener.composite(List.of(statistics, metrics)).onAdoptionFailed(dev.vconn.AdoptionSource.FD, dev.vconn.AdoptionFailureReason.BAD_FD,
				Duration.ofMillis(1));
		MeterRegistry registry = new SimpleMeterRegistry();
		metrics.bindTo(registry);
		assertThat(registry.get("vconn.adoptions")
			.tags("outcome", "failure", "reason", "bad_fd", "source", "fd")
			.functionCounter()
			.count()).isEqualTo(1.0);
		assertThat(registry.get("vconn.adoption.duration").timer().count()).isZero();
	}

	@Test
	void bindingToSeveralRegistriesRecordsInEach() {
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 2);
		MeterRegistry first = new SimpleMeterRegistry();
		MeterRegistry second = new SimpleMeterRegistry();
		metrics.bindTo(first);
		metrics.bindTo(second);
		VConnListener.composite(List.of(statistics, metrics)).onAdoptionFailed(dev.vconn.AdoptionSource.CONNECT, dev.vconn.AdoptionFailureReason.CONNECT_FAILED,
				Duration.ofMillis(3));
		for (MeterRegistry registry : new MeterRegistry[] { first, second }) {
			assertThat(registry.get("vconn.adoption.duration").timer().count()).isEqualTo(1);
			assertThat(registry.get("vconn.adoptions").tags("reason", "connect_failed", "source", "connect")
				.functionCounter()
				.count()).isEqualTo(1.0);
			assertThat(registry.get("vconn.active").gauge().value()).isEqualTo(2.0);
		}
	}

	@Test
	void interceptsAreCountedByHookTypeAndOutcomeWithSeriesForHooksKnownAtBindTime() {
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0, () -> List.of("auth", "audit"));
		statistics.onIntercept("auth", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		MeterRegistry registry = new SimpleMeterRegistry();
		metrics.bindTo(registry);
		assertThat(registry.find("vconn.intercepts").functionCounters()).hasSize(2 * 2 * 3);
		statistics.onIntercept("auth", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		statistics.onIntercept("auth", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ERROR);
		statistics.onIntercept("later", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
		assertThat(intercepts(registry, "auth", "intercept", "accepted")).isEqualTo(2.0);
		assertThat(intercepts(registry, "auth", "server_intercept", "error")).isEqualTo(1.0);
		assertThat(intercepts(registry, "auth", "server_intercept", "accepted")).isZero();
		assertThat(intercepts(registry, "audit", "intercept", "accepted")).isZero();
		assertThat(intercepts(registry, "later", "server_intercept", "accept_failed")).isEqualTo(1.0);
		assertThat(intercepts(registry, "later", "intercept", "accepted")).isZero();
		assertThat(registry.find("vconn.intercepts").functionCounters()).hasSize(3 * 2 * 3);
	}

	@Test
	void hookNamesPastTheLimitAreCountedAsOther() {
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0);
		MeterRegistry registry = new SimpleMeterRegistry();
		metrics.bindTo(registry);
		for (int i = 0; i < VConnStatistics.MAX_HOOK_NAMES + 5; i++) {
			statistics.onIntercept("hook-" + i, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		}
		assertThat(registry.find("vconn.intercepts")
			.tags("type", "intercept", "outcome", "accepted")
			.functionCounters()).hasSize(VConnStatistics.MAX_HOOK_NAMES + 1);
		assertThat(intercepts(registry, VConnStatistics.OTHER_HOOKS, "intercept", "accepted")).isEqualTo(5.0);
	}

	@Test
	void transactionsAreCountedByPathAndStatusClass() {
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0);
		MeterRegistry registry = new SimpleMeterRegistry();
		metrics.bindTo(registry);
		assertThat(registry.find("vconn.transactions").functionCounters()).hasSize(3 * 6)
			.allSatisfy((counter) -> assertThat(counter.count()).isZero());
		statistics.onTransactionCompleted(TransactionPath.PASS_THROUGH, 200);
		statistics.onTransactionCompleted(TransactionPath.PASS_THROUGH, 304);
		statistics.onTransactionCompleted(TransactionPath.SERVER_INTERCEPTED, 200);
		statistics.onTransactionCompleted(TransactionPath.INTERCEPTED, 0);
		assertThat(transactions(registry, "pass_through", "2xx")).isEqualTo(1.0);
		assertThat(transactions(registry, "pass_through", "3xx")).isEqualTo(1.0);
		assertThat(transactions(registry, "server_intercepted", "2xx")).isEqualTo(1.0);
		assertThat(transactions(registry, "intercepted", "none")).isEqualTo(1.0);
		assertThat(transactions(registry, "intercepted", "2xx")).isZero();
	}

	@Test
	void listenerRejectionsAreCountedByStatus() {
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0);
		MeterRegistry first = new SimpleMeterRegistry();
		MeterRegistry second = new SimpleMeterRegistry();
		metrics.bindTo(first);
		statistics.onListenerRejection(400);
		statistics.onListenerRejection(400);
		statistics.onListenerRejection(408);
		statistics.onListenerRejection(500);
		metrics.bindTo(second);
		for (MeterRegistry registry : new MeterRegistry[] { first, second }) {
			assertThat(rejections(registry, "400")).isEqualTo(2.0);
			assertThat(rejections(registry, "408")).isEqualTo(1.0);
			assertThat(rejections(registry, "431")).isZero();
			assertThat(rejections(registry, "502")).isZero();
			assertThat(rejections(registry, "503")).isZero();
			assertThat(rejections(registry, "500")).isEqualTo(1.0);
		}
	}

	@Test
	void copiedTunnelIsTimedAndItsBytesAreInVConnBytes() throws Exception {
		MeterRegistry registry = new SimpleMeterRegistry();
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0);
		VConnRuntime runtime = VConnRuntime.builder().addListener(statistics).addListener(metrics).eventThreads(1).build();
		metrics.bindTo(registry);
		try (TestSockets sockets = new TestSockets()) {
			TestSockets.ChannelPair a = sockets.connectedChannel();
			TestSockets.ChannelPair b = sockets.connectedChannel();
			TunnelResult result = shuffle(registry, runtime.factory().adopt(a.client()).orElseThrow(), a.peer(),
					runtime.factory().adopt(b.client()).orElseThrow(), b.peer());
			assertThat(result.spliced()).isFalse();
			assertTunnelMeters(registry, result);
		}
		finally {
			runtime.close();
		}
	}

	@Test
	void splicedTunnelIsTimedAndItsBytesAreInVConnBytes() throws Exception {
		assumeTrue(Epoll.isAvailable(), "splice needs epoll");
		MeterRegistry registry = new SimpleMeterRegistry();
		VConnStatistics statistics = new VConnStatistics();
		MicrometerVConnListener metrics = new MicrometerVConnListener(statistics, () -> 0);
		VConnRuntime runtime = VConnRuntime.builder()
			.transport(Transport.EPOLL)
			.addListener(statistics).addListener(metrics)
			.eventThreads(1)
			.build();
		metrics.bindTo(registry);
		try (TestSockets sockets = new TestSockets()) {
			TestSockets.FdPair a = sockets.connectedFd();
			VConn va = runtime.factory().fdCreate(a.fd());
			sockets.forget(a.fd());
			TestSockets.FdPair b = sockets.connectedFd();
			VConn vb = runtime.factory().fdCreate(b.fd());
			sockets.forget(b.fd());
			assertThat(va).isNotNull();
			assertThat(vb).isNotNull();
			TunnelResult result = shuffle(registry, va, a.peer(), vb, b.peer());
			assertThat(result.spliced()).isTrue();
			assertTunnelMeters(registry, result);
		}
		finally {
			runtime.close();
		}
	}

	/** Sends 100 000 bytes from A's peer to B's peer and 30 000 back, then ends both ways. */
	private static TunnelResult shuffle(MeterRegistry registry, VConn a, SocketChannel peerA, VConn b,
			SocketChannel peerB) throws Exception {
		CompletableFuture<TunnelResult> tunnel = Tunnel.start(a, b);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> registry.get("vconn.tunnels.active").gauge().value() == 1.0);
		byte[] up = random(100_000);
		byte[] down = random(30_000);
		write(peerA, up);
		assertThat(read(peerB, up.length)).isEqualTo(up);
		write(peerB, down);
		assertThat(read(peerA, down.length)).isEqualTo(down);
		peerA.shutdownOutput();
		assertThat(peerB.read(ByteBuffer.allocate(1))).isEqualTo(-1);
		peerB.shutdownOutput();
		assertThat(peerA.read(ByteBuffer.allocate(1))).isEqualTo(-1);
		assertThat(tunnel).succeedsWithin(Duration.ofSeconds(10));
		TunnelResult result = tunnel.join();
		assertThat(result.end()).isEqualTo(TunnelResult.End.EOS);
		assertThat(result.bytesAToB()).isEqualTo(up.length);
		assertThat(result.bytesBToA()).isEqualTo(down.length);
		return result;
	}

	private static void assertTunnelMeters(MeterRegistry registry, TunnelResult result) {
		// every byte read from one side was written to the other: 130 000 each way through VConn sockets
		double total = result.bytesAToB() + result.bytesBToA();
		assertThat(registry.get("vconn.bytes").tag("direction", "in").functionCounter().count()).isEqualTo(total);
		assertThat(registry.get("vconn.bytes").tag("direction", "out").functionCounter().count()).isEqualTo(total);
		assertThat(registry.get("vconn.tunnels.active").gauge().value()).isZero();
		assertThat(registry.get("vconn.tunnel.duration").timer().count()).isEqualTo(1);
		assertThat(registry.get("vconn.tunnel.duration").timer().totalTime(java.util.concurrent.TimeUnit.NANOSECONDS))
			.isEqualTo((double) result.duration().toNanos());
	}

	private static byte[] random(int length) {
		byte[] bytes = new byte[length];
		new Random(length).nextBytes(bytes);
		return bytes;
	}

	private static void write(SocketChannel channel, byte[] bytes) throws Exception {
		ByteBuffer buffer = ByteBuffer.wrap(bytes);
		while (buffer.hasRemaining()) {
			channel.write(buffer);
		}
	}

	private static byte[] read(SocketChannel channel, int length) throws Exception {
		ByteBuffer buffer = ByteBuffer.allocate(length);
		while (buffer.hasRemaining()) {
			if (channel.read(buffer) < 0) {
				break;
			}
		}
		return buffer.array();
	}

	private static double intercepts(MeterRegistry registry, String hook, String type, String outcome) {
		return registry.get("vconn.intercepts")
			.tags("hook", hook, "type", type, "outcome", outcome)
			.functionCounter()
			.count();
	}

	private static double transactions(MeterRegistry registry, String path, String status) {
		return registry.get("vconn.transactions").tags("path", path, "status", status).functionCounter().count();
	}

	private static double rejections(MeterRegistry registry, String status) {
		return registry.get("vconn.listener.rejections").tag("status", status).functionCounter().count();
	}

}
