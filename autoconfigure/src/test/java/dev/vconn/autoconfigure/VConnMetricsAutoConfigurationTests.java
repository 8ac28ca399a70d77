package dev.vconn.autoconfigure;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnFactory;
import dev.vconn.VConnListener;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.metrics.MicrometerVConnListener;
import dev.vconn.autoconfigure.metrics.VConnMeters;
import dev.vconn.autoconfigure.testing.TestSockets;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.metrics.VConnStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class VConnMetricsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class, VConnMetricsAutoConfiguration.class,
				MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
				CompositeMeterRegistryAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void listenerIsAddedToRuntimeAndBoundToRegistryWithEveryBoundedSeriesAtZero() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(MicrometerVConnListener.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			int sources = AdoptionSource.values().length;
			int reasons = AdoptionFailureReason.values().length;
			assertThat(registry.find("vconn.adoptions").functionCounters()).hasSize(sources * (reasons + 1))
				.allSatisfy((counter) -> assertThat(counter.count()).isZero());
			assertThat(counter(registry, "vconn.adoptions", "outcome", "success", "reason", "none", "source", "fd"))
				.isZero();
			assertThat(counter(registry, "vconn.adoptions", "outcome", "failure", "reason", "not_a_socket", "source",
					"fd"))
				.isZero();
			// one vocabulary: every way to end is a value of how, the aborts also a value of cause
			for (CloseKind cause : CloseKind.values()) {
				assertThat(registry.find("vconn.aborts").tag("cause", lower(cause)).functionCounters())
					.hasSize(cause.isAbort() ? 1 : 0);
			}
			assertThat(registry.find("vconn.aborts").functionCounters()).hasSize(5)
				.allSatisfy((counter) -> assertThat(counter.count()).isZero());
			for (CloseKind how : CloseKind.values()) {
				assertThat(counter(registry, "vconn.closed", "how", lower(how))).isZero();
			}
			assertThat(counter(registry, "vconn.bytes", "direction", "in")).isZero();
			assertThat(counter(registry, "vconn.bytes", "direction", "out")).isZero();
			assertThat(registry.get("vconn.active").gauge().value()).isZero();
			assertThat(registry.get("vconn.adoption.duration").timer().count()).isZero();
		});
	}

	@Test
	void interceptSeriesAreRegisteredForEveryHookOfTheRegistryAndRejectionSeriesForEveryStatus() {
		this.contextRunner.withUserConfiguration(HookConfiguration.class).run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.find("vconn.intercepts").functionCounters()).hasSize(2 * 2 * 3)
				.allSatisfy((counter) -> assertThat(counter.count()).isZero());
			for (String hook : new String[] { "first", "second" }) {
				for (String type : new String[] { "intercept", "server_intercept" }) {
					for (String outcome : new String[] { "accepted", "accept_failed", "error" }) {
						assertThat(counter(registry, "vconn.intercepts", "hook", hook, "type", type, "outcome", outcome))
							.isZero();
					}
				}
			}
			assertThat(registry.find("vconn.transactions").functionCounters()).hasSize(3 * 6);
			assertThat(registry.find("vconn.listener.rejections").functionCounters()).hasSize(5);
			for (String status : new String[] { "400", "408", "431", "502", "503" }) {
				assertThat(counter(registry, "vconn.listener.rejections", "status", status)).isZero();
			}
			assertThat(registry.get("vconn.tunnels.active").gauge().value()).isZero();
			assertThat(registry.get("vconn.tunnel.duration").timer().count()).isZero();
		});
	}

	@Test
	void withoutHooksThereIsNoInterceptSeriesUntilAHookIntercepts() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.find("vconn.intercepts").functionCounters()).isEmpty();
			context.getBean(VConnStatistics.class)
				.onIntercept("late", InterceptType.SERVER_INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
			assertThat(counter(registry, "vconn.intercepts", "hook", "late", "type", "server_intercept", "outcome",
					"accept_failed"))
				.isEqualTo(1.0);
			assertThat(counter(registry, "vconn.intercepts", "hook", "late", "type", "intercept", "outcome",
					"accepted"))
				.isZero();
		});
	}

	@Test
	void metersCarryDescriptionsAndBaseUnitsOfTheDocumentation() {
		this.contextRunner.withUserConfiguration(HookConfiguration.class).run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			for (VConnMeters meter : VConnMeters.values()) {
				assertThat(registry.find(meter.getName()).meters()).as(meter.getName())
					.isNotEmpty()
					.allSatisfy((registered) -> {
						assertThat(registered.getId().getType()).isEqualTo(meter.getType());
						assertThat(registered.getId().getDescription()).isEqualTo(meter.getDescription());
						if (meter.getType() != io.micrometer.core.instrument.Meter.Type.TIMER) {
							assertThat(registered.getId().getBaseUnit()).isEqualTo(meter.getBaseUnit());
						}
						assertThat(registered.getId().getTags()).extracting(io.micrometer.core.instrument.Tag::getKey)
							.containsExactlyInAnyOrderElementsOf(meter.getTagKeys());
					});
			}
			assertThat(registry.getMeters()).filteredOn((m) -> m.getId().getName().startsWith("vconn."))
				.extracting((m) -> m.getId().getName())
				.allMatch((name) -> Arrays.stream(VConnMeters.values()).anyMatch((m) -> m.getName().equals(name)));
		});
	}

	@Test
	void adoptionsFailuresAbortsClosesAndBytesAreCountedAndReconcile() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				VConnFactory factory = context.getBean(VConnFactory.class);
				VConnRuntime runtime = context.getBean(VConnRuntime.class);

				TestSockets.ChannelPair first = sockets.connectedChannel();
				VConn aborted = factory.adopt(first.client()).orElseThrow();
				TestSockets.ChannelPair second = sockets.connectedChannel();
				VConn talker = factory.adopt(second.client()).orElseThrow();
				assertThat(factory.adopt(-1).failureReason()).isEqualTo(AdoptionFailureReason.INVALID_FD);

				aborted.abort(0);
				exchange(talker, second.peer());
				TestSockets.ChannelPair third = sockets.connectedChannel();
				VConn live = factory.adopt(third.client()).orElseThrow();

				await().atMost(Duration.ofSeconds(10)).until(() -> runtime.activeCount() == 1);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> sum(registry, "vconn.closed") == 2.0);
				assertThat(counter(registry, "vconn.adoptions", "outcome", "success", "reason", "none", "source",
						"channel"))
					.isEqualTo(3.0);
				assertThat(counter(registry, "vconn.adoptions", "outcome", "failure", "reason", "invalid_fd", "source",
						"fd"))
					.isEqualTo(1.0);
				assertThat(counter(registry, "vconn.aborts", "cause", "api")).isEqualTo(1.0);
				assertThat(counter(registry, "vconn.closed", "how", "api")).isEqualTo(1.0);
				assertThat(counter(registry, "vconn.closed", "how", "close")).isEqualTo(1.0);
				assertThat(counter(registry, "vconn.bytes", "direction", "out")).isEqualTo(5.0);
				assertThat(counter(registry, "vconn.bytes", "direction", "in")).isEqualTo(3.0);
				assertThat(registry.get("vconn.active").gauge().value()).isEqualTo(1.0);
				Timer timer = registry.get("vconn.adoption.duration").timer();
				assertThat(timer.count()).isEqualTo(4);
				double successes = registry.find("vconn.adoptions")
					.tag("outcome", "success")
					.functionCounters()
					.stream()
					.mapToDouble(FunctionCounter::count)
					.sum();
				assertThat(successes).isEqualTo(sum(registry, "vconn.closed")
						+ registry.get("vconn.active").gauge().value());
				live.close();
			});
		}
	}

	@Test
	void backsOffWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean("micrometerVConnListener")
				.doesNotHaveBean(MeterRegistry.class));
	}

	@Test
	void backsOffWithoutMeterRegistry() {
		new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(VConnAutoConfiguration.class, VConnMetricsAutoConfiguration.class))
			.withPropertyValues("vconn.event-threads=1")
			.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean(MicrometerVConnListener.class));
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("vconn.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(MeterRegistry.class)
				.doesNotHaveBean(VConnRuntime.class)
				.doesNotHaveBean(MicrometerVConnListener.class));
	}

	@Test
	void userDefinedListenerBacksOff() {
		MicrometerVConnListener mine = new MicrometerVConnListener(new VConnStatistics(), () -> 0);
		this.contextRunner.withBean(MicrometerVConnListener.class, () -> mine)
			.run((context) -> assertThat(context).getBean(MicrometerVConnListener.class).isSameAs(mine));
	}

	@Test
	void userDefinedRuntimeThatAddsListenerBeansIsMetered() throws Exception {
		try (TestSockets sockets = new TestSockets()) {
			this.contextRunner.withUserConfiguration(UserRuntimeConfiguration.class).run((context) -> {
				assertThat(context.getBean(VConnRuntime.class).maxConnections()).isEqualTo(9);
				VConn vconn = context.getBean(VConnFactory.class)
					.adopt(sockets.connectedChannel().client())
					.orElseThrow();
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(counter(registry, "vconn.adoptions", "outcome", "success", "reason", "none", "source",
						"channel"))
					.isEqualTo(1.0);
				assertThat(registry.get("vconn.active").gauge().value()).isEqualTo(1.0);
				vconn.close();
			});
		}
	}

	/** Writes "hello" to the peer and reads "abc" from it through the VConn, then closes the VConn. */
	private static void exchange(VConn vconn, SocketChannel peer) throws Exception {
		CompletableFuture<Void> written = new CompletableFuture<>();
		CompletableFuture<Void> read = new CompletableFuture<>();
		Continuation continuation = (event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				written.complete(null);
			}
			else if (event == VConnEvent.VCONN_READ_COMPLETE) {
				read.complete(null);
			}
			else if (event == VConnEvent.ERROR || event == VConnEvent.VCONN_EOS) {
				written.completeExceptionally(new IllegalStateException(event.name()));
				read.completeExceptionally(new IllegalStateException(event.name()));
			}
		};
		IOBuffer out = IOBuffer.create();
		IOBuffer in = IOBuffer.create();
		try {
			continuation.mutex().lock();
			try {
				out.write(TestSockets.ascii("hello"));
				vconn.write(continuation, out.allocReader(), 5);
				vconn.read(continuation, in, 3);
			}
			finally {
				continuation.mutex().unlock();
			}
			ByteBuffer received = ByteBuffer.allocate(5);
			while (received.hasRemaining()) {
				peer.read(received);
			}
			assertThat(new String(received.array(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hello");
			peer.write(ByteBuffer.wrap(TestSockets.ascii("abc")));
			assertThat(written).succeedsWithin(Duration.ofSeconds(10));
			assertThat(read).succeedsWithin(Duration.ofSeconds(10));
		}
		finally {
			continuation.mutex().lock();
			try {
				vconn.close();
				out.close();
				in.close();
			}
			finally {
				continuation.mutex().unlock();
			}
		}
	}

	private static double counter(MeterRegistry registry, String name, String... tags) {
		return registry.get(name).tags(tags).functionCounter().count();
	}

	private static double sum(MeterRegistry registry, String name) {
		return registry.find(name).functionCounters().stream().mapToDouble(FunctionCounter::count).sum();
	}

	private static String lower(Enum<?> value) {
		return value.name().toLowerCase(java.util.Locale.ROOT);
	}

	@Configuration(proxyBeanMethods = false)
	static class HookConfiguration {

		@Bean
		@Order(1)
		InterceptHook first() {
			return new NamedHook("first");
		}

		@Bean
		@Order(2)
		InterceptHook second() {
			return new NamedHook("second");
		}

	}

	record NamedHook(String name) implements InterceptHook {

	}

	@Configuration(proxyBeanMethods = false)
	static class UserRuntimeConfiguration {

		@Bean
		VConnRuntime myRuntime(ObjectProvider<VConnListener> listeners) {
			VConnRuntime.Builder builder = VConnRuntime.builder().eventThreads(1).maxConnections(9);
			listeners.orderedStream().forEach(builder::addListener);
			return builder.build();
		}

	}

}
