package dev.vconn.autoconfigure;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vconn.Adoption;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnFactory;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.testing.TestSockets;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.metrics.VConnStatistics;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.mockito.Mockito.mock;

@Timeout(60)
class VConnAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void defaultsCreateRuntimeFactoryRegistryStatisticsAndLifecycle() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(VConnRuntime.class)
				.hasSingleBean(VConnFactory.class)
				.hasSingleBean(InterceptHookRegistry.class)
				.hasSingleBean(VConnStatistics.class)
				.hasSingleBean(VConnRuntimeLifecycle.class)
				.hasSingleBean(VConnProperties.class);
			VConnRuntime runtime = context.getBean(VConnRuntime.class);
			assertThat(context.getBean(VConnFactory.class)).isSameAs(runtime.factory());
			assertThat(runtime.isRunning()).isTrue();
			assertThat(runtime.transport()).isIn(Transport.EPOLL, Transport.NIO);
			assertThat(runtime.maxConnections()).isZero();
			assertThat(runtime.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
			assertThat(context.getBean(VConnRuntimeLifecycle.class).isRunning()).isTrue();
			assertThat(context.getBean(InterceptHookRegistry.class).hooks()).isEmpty();
		});
	}

	@Test
	void propertiesConfigureRuntime() {
		this.contextRunner
			.withPropertyValues("vconn.transport=nio", "vconn.event-threads=2", "vconn.max-connections=5",
					"vconn.shutdown.timeout=250ms", "vconn.inactivity-timeout=30s", "vconn.active-timeout=5m",
					"vconn.write-buffer.low-water-mark=16KB", "vconn.write-buffer.high-water-mark=1MB")
			.run((context) -> {
				VConnRuntime runtime = context.getBean(VConnRuntime.class);
				assertThat(runtime.transport()).isEqualTo(Transport.NIO);
				assertThat(runtime.eventThreads()).isEqualTo(2);
				assertThat(runtime.maxConnections()).isEqualTo(5);
				assertThat(runtime.shutdownTimeout()).isEqualTo(Duration.ofMillis(250));
			});
	}

	@Test
	void maxConnectionsLimitsAdoptions() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withPropertyValues("vconn.max-connections=1").run((context) -> {
				VConnFactory factory = context.getBean(VConnFactory.class);
				VConn first = factory.adopt(sockets.connectedChannel().client()).orElseThrow();
				SocketChannel second = sockets.connectedChannel().client();
				Adoption refused = factory.adopt(second);
				assertThat(refused.failureReason()).isEqualTo(AdoptionFailureReason.LIMIT_REACHED);
				second.close();
				first.close();
			});
		}
	}

	@Test
	void epollTransportIsUsedWhenAskedForAndAvailable() {
		assumeTrue(Epoll.isAvailable(), "epoll is not available here");
		this.contextRunner.withPropertyValues("vconn.transport=epoll")
			.run((context) -> assertThat(context.getBean(VConnRuntime.class).transport()).isEqualTo(Transport.EPOLL));
	}

	@Test
	void inactivityTimeoutPropertyAbortsIdleVConnsWithCauseTimeout() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withPropertyValues("vconn.inactivity-timeout=100ms").run((context) -> {
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				VConn vconn = context.getBean(VConnFactory.class)
					.adopt(sockets.connectedChannel().client())
					.orElseThrow();
				await().atMost(Duration.ofSeconds(10)).until(vconn::isClosed);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> statistics.closedByKind().get(CloseKind.TIMEOUT) == 1L);
				assertThat(statistics.abortsByCause()).containsEntry(CloseKind.TIMEOUT, 1L);
				assertThat(context.getBean(VConnRuntime.class).activeCount()).isZero();
			});
		}
	}

	@Test
	void activeTimeoutPropertyAbortsVConnsWithCauseTimeout() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withPropertyValues("vconn.active-timeout=100ms").run((context) -> {
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				VConn vconn = context.getBean(VConnFactory.class)
					.adopt(sockets.connectedChannel().client())
					.orElseThrow();
				await().atMost(Duration.ofSeconds(10)).until(vconn::isClosed);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> statistics.abortsByCause().get(CloseKind.TIMEOUT) == 1L);
			});
		}
	}

	@Test
	void listenerBeansAreAddedToRuntimeInOrder() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withUserConfiguration(ListenerConfiguration.class).run((context) -> {
				List<String> calls = context.getBean(ListenerConfiguration.class).calls;
				VConn vconn = context.getBean(VConnFactory.class)
					.adopt(sockets.connectedChannel().client())
					.orElseThrow();
				assertThat(calls).containsExactly("first:adopted", "second:adopted");
				vconn.close();
				await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 4);
				assertThat(calls).containsExactly("first:adopted", "second:adopted", "first:closed",
						"second:closed");
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				assertThat(statistics.adoptionsBySource()).containsEntry(AdoptionSource.CHANNEL, 1L);
				assertThat(statistics.closedByKind()).containsEntry(CloseKind.CLOSE, 1L);
			});
		}
	}

	@Test
	void builderCustomizersAreAppliedAfterProperties() {
		this.contextRunner.withPropertyValues("vconn.max-connections=5")
			.withBean("tenConnections", VConnRuntimeBuilderCustomizer.class,
					() -> (builder) -> builder.maxConnections(10))
			.run((context) -> assertThat(context.getBean(VConnRuntime.class).maxConnections()).isEqualTo(10));
	}

	@Test
	void interceptHookBeansAreRegisteredInOrder() {
		this.contextRunner.withUserConfiguration(HookConfiguration.class).run((context) -> {
			InterceptHookRegistry registry = context.getBean(InterceptHookRegistry.class);
			assertThat(registry.registrations()).extracting((r) -> r.hook().name() + "@" + r.order())
				.containsExactly("ordered@-5", "first@1", "annotated@7", "unordered@" + Ordered.LOWEST_PRECEDENCE);
			InterceptHook programmatic = new NamedHook("programmatic");
			registry.register(programmatic, 3);
			assertThat(registry.hooks()).extracting(InterceptHook::name)
				.containsExactly("ordered", "first", "programmatic", "annotated", "unordered");
			assertThat(registry.unregister(programmatic)).isTrue();
		});
	}

	@Test
	void userDefinedRuntimeBacksOffAndFactoryComesFromIt() {
		this.contextRunner.withUserConfiguration(UserRuntimeConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(VConnRuntime.class).hasSingleBean(VConnFactory.class);
			VConnRuntime runtime = context.getBean(VConnRuntime.class);
			assertThat(runtime.maxConnections()).isEqualTo(42);
			assertThat(context.getBean(VConnFactory.class)).isSameAs(runtime.factory());
			assertThat(context).hasSingleBean(VConnRuntimeLifecycle.class);
		});
	}

	@Test
	void userDefinedFactoryBacksOff() {
		VConnFactory userFactory = mock(VConnFactory.class);
		this.contextRunner.withBean(VConnFactory.class, () -> userFactory)
			.run((context) -> assertThat(context).getBean(VConnFactory.class).isSameAs(userFactory));
	}

	@Test
	void userDefinedRegistryAndStatisticsBackOff() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		VConnStatistics statistics = new VConnStatistics();
		this.contextRunner.withBean(InterceptHookRegistry.class, () -> registry)
			.withBean(VConnStatistics.class, () -> statistics)
			.run((context) -> {
				assertThat(context).getBean(InterceptHookRegistry.class).isSameAs(registry);
				assertThat(context).getBean(VConnStatistics.class).isSameAs(statistics);
			});
	}

	@Test
	void disabledBacksOffCompletely() {
		this.contextRunner.withPropertyValues("vconn.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(VConnRuntime.class)
				.doesNotHaveBean(VConnFactory.class)
				.doesNotHaveBean(InterceptHookRegistry.class)
				.doesNotHaveBean(VConnStatistics.class)
				.doesNotHaveBean(VConnRuntimeLifecycle.class)
				.doesNotHaveBean(VConnProperties.class));
	}

	@Test
	void everyAutoConfigurationBacksOffCleanlyWithoutActuatorAndMicrometer() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class,
						VConnMetricsAutoConfiguration.class, VConnEndpointAutoConfiguration.class,
						VConnHealthContributorAutoConfiguration.class))
				.withClassLoader(new FilteredClassLoader("io.micrometer", "org.springframework.boot.actuate",
						"org.springframework.boot.health", "org.springframework.boot.micrometer"))
				.withPropertyValues("vconn.event-threads=1", "management.endpoints.web.exposure.include=*")
				.run((context) -> {
					assertThat(context).hasNotFailed()
						.hasSingleBean(VConnRuntime.class)
						.hasSingleBean(VConnFactory.class)
						.hasSingleBean(InterceptHookRegistry.class)
						.hasSingleBean(VConnStatistics.class)
						.doesNotHaveBean("micrometerVConnListener")
						.doesNotHaveBean("vconnEndpoint")
						.doesNotHaveBean("vconnHealthIndicator");
					VConn vconn = context.getBean(VConnFactory.class)
						.adopt(sockets.connectedChannel().client())
						.orElseThrow();
					assertThat(context.getBean(VConnStatistics.class).adoptions()).isEqualTo(1);
					vconn.close();
				});
		}
	}

	@Test
	void stopWaitsForLiveVConnsThenAbortsTheRestWithCauseShutdown() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withPropertyValues("vconn.shutdown.timeout=200ms").run((context) -> {
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				VConnRuntime runtime = context.getBean(VConnRuntime.class);
				VConn vconn = context.getBean(VConnFactory.class)
					.adopt(sockets.connectedChannel().client())
					.orElseThrow();
				context.close();
				assertThat(runtime.isRunning()).isFalse();
				assertThat(vconn.isClosed()).isTrue();
				assertThat(runtime.activeCount()).isZero();
				assertThat(statistics.abortsByCause()).containsEntry(CloseKind.SHUTDOWN, 1L);
				assertThat(statistics.closedByKind()).containsEntry(CloseKind.SHUTDOWN, 1L);
			});
		}
	}

	@Test
	void stopLetsVConnsThatEndWithinTheTimeoutFinish() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withPropertyValues("vconn.shutdown.timeout=30s").run((context) -> {
				VConnStatistics statistics = context.getBean(VConnStatistics.class);
				VConnRuntime runtime = context.getBean(VConnRuntime.class);
				VConnFactory factory = context.getBean(VConnFactory.class);
				VConn vconn = factory.adopt(sockets.connectedChannel().client()).orElseThrow();
				CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
				await().atMost(Duration.ofSeconds(10)).until(() -> !runtime.isRunning());
				SocketChannel late = sockets.connectedChannel().client();
				assertThat(factory.adopt(late).failureReason()).isEqualTo(AdoptionFailureReason.SHUTTING_DOWN);
				late.close();
				assertThat(closing).isNotDone();
				vconn.close();
				assertThat(closing).succeedsWithin(Duration.ofSeconds(10));
				assertThat(statistics.aborts()).isZero();
				assertThat(statistics.closedByKind()).containsEntry(CloseKind.CLOSE, 1L);
				assertThat(statistics.adoptionFailuresByReason()).containsEntry(AdoptionFailureReason.SHUTTING_DOWN,
						1L);
			});
		}
	}

	@Test
	void lifecycleStopsInGracefulShutdownPhase() {
		this.contextRunner.run((context) -> assertThat(context.getBean(VConnRuntimeLifecycle.class).getPhase())
			.isEqualTo(SmartLifecycle.DEFAULT_PHASE - 1024));
	}

	@Configuration(proxyBeanMethods = false)
	static class ListenerConfiguration {

		final List<String> calls = new CopyOnWriteArrayList<>();

		@Bean
		@Order(2)
		VConnListener second() {
			return recording("second");
		}

		@Bean
		@Order(1)
		VConnListener first() {
			return recording("first");
		}

		private VConnListener recording(String name) {
			return new VConnListener() {

				@Override
				public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
					ListenerConfiguration.this.calls.add(name + ":adopted");
				}

				@Override
				public void onClosed(VConn vconn, CloseKind how) {
					ListenerConfiguration.this.calls.add(name + ":closed");
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class HookConfiguration {

		@Bean
		InterceptHook unordered() {
			return new NamedHook("unordered");
		}

		@Bean
		AnnotatedHook annotated() {
			return new AnnotatedHook();
		}

		@Bean
		@Order(1)
		InterceptHook first() {
			return new NamedHook("first");
		}

		@Bean
		OrderedHook ordered() {
			return new OrderedHook();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserRuntimeConfiguration {

		@Bean
		VConnRuntime myRuntime() {
			return VConnRuntime.builder().eventThreads(1).maxConnections(42).build();
		}

	}

	record NamedHook(String name) implements InterceptHook {

	}

	@Order(7)
	static class AnnotatedHook implements InterceptHook {

		@Override
		public String name() {
			return "annotated";
		}

	}

	static class OrderedHook implements InterceptHook, Ordered {

		@Override
		public String name() {
			return "ordered";
		}

		@Override
		public int getOrder() {
			return -5;
		}

	}

}
