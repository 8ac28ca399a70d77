package dev.vconn.autoconfigure.actuate;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import dev.vconn.CloseKind;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.testing.TestSockets;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.metrics.VConnStatistics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class VConnEndpointTests {

	private final VConnStatistics statistics = new VConnStatistics();

	private final InterceptHookRegistry hooks = new InterceptHookRegistry();

	private VConnRuntime runtime;

	private TestSockets sockets;

	private VConnEndpoint endpoint;

	@BeforeEach
	void setUp() {
		this.runtime = VConnRuntime.builder()
			.eventThreads(1)
			.maxConnections(50)
			.shutdownTimeout(Duration.ofSeconds(1))
			.addListener(this.statistics)
			.build();
		this.sockets = new TestSockets();
		this.endpoint = new VConnEndpoint(this.runtime, this.statistics, this.hooks);
	}

	@AfterEach
	void tearDown() throws Exception {
		this.runtime.close();
		this.sockets.close();
	}

	@Test
	void runtimeDescribesConfigurationTotalsHooksAndConnections() {
		this.hooks.register(new Hook("b"), 20);
		this.hooks.register(new Hook("a"), 10);
		VConn first = this.runtime.factory().adopt(this.sockets.connectedChannel().client()).orElseThrow();
		VConn second = this.runtime.factory().adopt(this.sockets.connectedChannel().client()).orElseThrow();
		this.runtime.factory().adopt(-1);
		first.abort(0);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.statistics.closed() == 1);

		VConnEndpoint.RuntimeDescriptor descriptor = this.endpoint.runtime();
		assertThat(descriptor.transport()).isIn("epoll", "nio");
		assertThat(descriptor.eventThreads()).isEqualTo(1);
		assertThat(descriptor.running()).isTrue();
		assertThat(descriptor.healthy()).isTrue();
		assertThat(descriptor.limits().maxConnections()).isEqualTo(50);
		assertThat(descriptor.limits().shutdownTimeout()).isEqualTo("PT1S");
		assertThat(descriptor.active()).isEqualTo(1);
		assertThat(descriptor.adoptions().succeeded()).isEqualTo(2);
		assertThat(descriptor.adoptions().failed()).isEqualTo(1);
		assertThat(descriptor.adoptions().bySource()).containsEntry("channel", 2L).containsEntry("fd", 0L).hasSize(5);
		assertThat(descriptor.adoptions().failuresByReason()).containsEntry("invalid_fd", 1L).hasSize(12);
		assertThat(descriptor.aborts().total()).isEqualTo(1);
		assertThat(descriptor.aborts().by()).containsEntry("api", 1L).containsEntry("shutdown", 0L).hasSize(5);
		assertThat(descriptor.closed().total()).isEqualTo(1);
		assertThat(descriptor.closed().by()).containsEntry("api", 1L).hasSize(CloseKind.values().length);
		assertThat(descriptor.bytes().in()).isZero();
		Map<String, Long> zeros = Map.of("accepted", 0L, "accept_failed", 0L, "error", 0L);
		Map<String, Map<String, Long>> none = Map.of("intercept", zeros, "server_intercept", zeros);
		assertThat(descriptor.hooks()).containsExactly(new VConnEndpoint.HookDescriptor("a", 10, none),
				new VConnEndpoint.HookDescriptor("b", 20, none));
		assertThat(descriptor.listener().enabled()).isFalse();
		assertThat(descriptor.listener().address()).isNull();
		assertThat(descriptor.tunnels().total()).isZero();
		assertThat(descriptor.connections()).extracting(VConnEndpoint.VConnDescriptor::id).containsExactly(second.id());
		second.close();
	}

	@Test
	void runtimeDescribesTheInterceptListenerTunnelsAndInterceptCountsOfEachHook() {
		this.hooks.register(new Hook("auth"), 1);
		this.hooks.register(new Hook("audit"), 2);
		this.statistics.onIntercept("auth", InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
		this.statistics.onIntercept("auth", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED);
		this.statistics.onIntercept("auth", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPTED);
		this.statistics.onIntercept("audit", InterceptType.INTERCEPT, InterceptOutcome.ERROR);
		this.statistics.onTransactionCompleted(TransactionPath.PASS_THROUGH, 200);
		this.statistics.onTransactionCompleted(TransactionPath.SERVER_INTERCEPTED, 404);
		this.statistics.onListenerRejection(431);
		VConn vconn = this.runtime.factory().adopt(this.sockets.connectedChannel().client()).orElseThrow();
		this.statistics.onTunnelStarted(vconn, vconn);
		this.statistics.onTunnelStarted(vconn, vconn);
		this.statistics.onTunnelEnded(new TunnelResult(3, 4, TunnelResult.Side.B, TunnelResult.End.EOS, true,
				Duration.ofMillis(2)));
		InterceptListener listener = InterceptListener.builder(this.runtime, this.hooks)
			.port(0)
			.origin(new InetSocketAddress("127.0.0.1", 9))
			.start();
		try {
			VConnEndpoint withListener = new VConnEndpoint(this.runtime, this.statistics, this.hooks, () -> listener);
			VConnEndpoint.RuntimeDescriptor descriptor = withListener.runtime();
			assertThat(descriptor.listener().enabled()).isTrue();
			assertThat(descriptor.listener().running()).isTrue();
			assertThat(descriptor.listener().address()).isEqualTo("127.0.0.1:" + listener.address().getPort());
			assertThat(descriptor.listener().origin()).isEqualTo("127.0.0.1:9");
			assertThat(descriptor.listener().rejections().total()).isEqualTo(1);
			assertThat(descriptor.listener().rejections().by()).containsExactly(entry("400", 0L), entry("408", 0L),
					entry("431", 1L), entry("502", 0L), entry("503", 0L));
			assertThat(descriptor.hooks()).extracting(VConnEndpoint.HookDescriptor::name).containsExactly("auth", "audit");
			assertThat(descriptor.hooks().get(0).intercepts()).containsOnlyKeys("intercept", "server_intercept");
			assertThat(descriptor.hooks().get(0).intercepts().get("server_intercept"))
				.containsExactly(entry("accepted", 2L), entry("accept_failed", 0L), entry("error", 0L));
			assertThat(descriptor.hooks().get(0).intercepts().get("intercept")).containsEntry("accepted", 1L);
			assertThat(descriptor.hooks().get(1).intercepts().get("intercept")).containsEntry("error", 1L);
			assertThat(descriptor.listener().transactions().total()).isEqualTo(2);
			assertThat(descriptor.listener().transactions().byPath()).containsExactly(entry("intercepted", 0L),
					entry("server_intercepted", 1L), entry("pass_through", 1L));
			assertThat(descriptor.listener().transactions().byStatus()).containsEntry("2xx", 1L)
				.containsEntry("4xx", 1L)
				.containsEntry("none", 0L)
				.hasSize(6);
			assertThat(descriptor.tunnels().active()).isEqualTo(1);
			assertThat(descriptor.tunnels().total()).isEqualTo(2);
			assertThat(descriptor.tunnels().byEnd()).containsEntry("eos", 1L).containsEntry("aborted", 0L).hasSize(5);
			assertThat(descriptor.tunnels().spliced()).isEqualTo(1);
			listener.close();
			assertThat(withListener.runtime().listener().running()).isFalse();
		}
		finally {
			listener.close();
			vconn.close();
		}
	}

	@Test
	void runtimeListsAtMostTheOldestConnections() {
		assertThat(VConnEndpoint.MAX_LISTED_CONNECTIONS).isEqualTo(100);
		VConn[] vconns = new VConn[3];
		for (int i = 0; i < vconns.length; i++) {
			vconns[i] = this.runtime.factory().adopt(this.sockets.connectedChannel().client()).orElseThrow();
		}
		assertThat(this.endpoint.runtime().connections()).extracting(VConnEndpoint.VConnDescriptor::id)
			.containsExactly(vconns[0].id(), vconns[1].id(), vconns[2].id());
		for (VConn vconn : vconns) {
			vconn.close();
		}
	}

	@Test
	void vconnDescribesOneVConn() throws Exception {
		TestSockets.ChannelPair pair = this.sockets.connectedChannel();
		VConn vconn = this.runtime.factory().adopt(pair.client()).orElseThrow();
		Clock clock = Clock.fixed(vconn.createdAt().plusSeconds(90), ZoneOffset.UTC);
		VConnEndpoint.VConnDescriptor descriptor = new VConnEndpoint(this.runtime, this.statistics, this.hooks, () -> null, clock)
			.vconn(vconn.id());
		assertThat(descriptor).isNotNull();
		assertThat(descriptor.id()).isEqualTo(vconn.id());
		assertThat(descriptor.remote()).isEqualTo(pair.peer().getLocalAddress().toString());
		assertThat(descriptor.local()).isEqualTo(pair.peer().getRemoteAddress().toString());
		assertThat(descriptor.fd()).isEqualTo(-1);
		assertThat(descriptor.createdAt()).isEqualTo(vconn.createdAt().toString());
		assertThat(descriptor.age()).isEqualTo("PT1M30S");
		assertThat(descriptor.bytesIn()).isZero();
		assertThat(descriptor.bytesOut()).isZero();
		assertThat(descriptor.state()).isEqualTo("open");
		vconn.close();
	}

	@Test
	void vconnWhenUnknownIsNull() {
		assertThat(this.endpoint.vconn(123456789L)).isNull();
	}

	@Test
	void abortAbortsTheVConnWithCauseApi() {
		TestSockets.ChannelPair pair = this.sockets.connectedChannel();
		VConn vconn = this.runtime.factory().adopt(pair.client()).orElseThrow();
		VConnEndpoint.VConnDescriptor descriptor = this.endpoint.abort(vconn.id());
		assertThat(descriptor).isNotNull();
		assertThat(descriptor.id()).isEqualTo(vconn.id());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.statistics.closed() == 1);
		assertThat(this.statistics.abortsByCause()).containsEntry(CloseKind.API, 1L);
		assertThatException().isThrownBy(() -> pair.peer().read(ByteBuffer.allocate(1)))
			.withMessageContaining("reset");
		assertThat(this.endpoint.abort(vconn.id())).isNull();
	}

	@Test
	void ageIsNeverNegative() {
		VConn vconn = this.runtime.factory().adopt(this.sockets.connectedChannel().client()).orElseThrow();
		Clock early = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
		assertThat(new VConnEndpoint(this.runtime, this.statistics, this.hooks, () -> null, early).vconn(vconn.id()).age())
			.isEqualTo("PT0S");
		vconn.close();
	}

	record Hook(String name) implements InterceptHook {

	}

}
