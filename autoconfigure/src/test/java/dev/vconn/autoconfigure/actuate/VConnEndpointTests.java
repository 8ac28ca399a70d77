package dev.vconn.autoconfigure.actuate;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import dev.vconn.AbortCause;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.TestSockets;
import dev.vconn.autoconfigure.VConnStatistics;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
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
		assertThat(descriptor.closed().by()).containsEntry("abort", 1L).hasSize(5);
		assertThat(descriptor.bytes().in()).isZero();
		assertThat(descriptor.hooks()).containsExactly(new VConnEndpoint.HookDescriptor("a", 10),
				new VConnEndpoint.HookDescriptor("b", 20));
		assertThat(descriptor.connections()).extracting(VConnEndpoint.VConnDescriptor::id).containsExactly(second.id());
		second.close();
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
		VConnEndpoint.VConnDescriptor descriptor = new VConnEndpoint(this.runtime, this.statistics, this.hooks, clock)
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
		assertThat(this.statistics.abortsByCause()).containsEntry(AbortCause.API, 1L);
		assertThatException().isThrownBy(() -> pair.peer().read(ByteBuffer.allocate(1)))
			.withMessageContaining("reset");
		assertThat(this.endpoint.abort(vconn.id())).isNull();
	}

	@Test
	void ageIsNeverNegative() {
		VConn vconn = this.runtime.factory().adopt(this.sockets.connectedChannel().client()).orElseThrow();
		Clock early = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
		assertThat(new VConnEndpoint(this.runtime, this.statistics, this.hooks, early).vconn(vconn.id()).age())
			.isEqualTo("PT0S");
		vconn.close();
	}

	record Hook(String name) implements InterceptHook {

	}

}
