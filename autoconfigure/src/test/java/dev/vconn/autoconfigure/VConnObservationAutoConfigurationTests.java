package dev.vconn.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.time.Duration;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.VConnFactory;
import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.metrics.VConnObservationMeterHandler;
import dev.vconn.autoconfigure.observation.AdoptionObservationContext;
import dev.vconn.autoconfigure.observation.DefaultAdoptionObservationConvention;
import dev.vconn.autoconfigure.observation.ObservationInterceptObserver;
import dev.vconn.autoconfigure.observation.ObservationVConnListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class VConnObservationAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class,
				VConnObservationAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void adoptionsAndTransactionsAreObservedWhenAnObservationRegistryBeanExists() {
		this.contextRunner.withUserConfiguration(TestRegistryConfiguration.class)
			.withPropertyValues("vconn.listener.enabled=true", "vconn.listener.port=0")
			.run((context) -> {
				assertThat(context).hasSingleBean(ObservationVConnListener.class)
					.hasSingleBean(ObservationInterceptObserver.class);
				TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
				try (SocketChannel unconnected = SocketChannel.open()) {
					assertThat(context.getBean(VConnFactory.class).adopt(unconnected).failureReason())
						.isEqualTo(AdoptionFailureReason.NOT_CONNECTED);
				}
				TestObservationRegistryAssert.assertThat(registry)
					.hasObservationWithNameEqualTo("vconn.adoption")
					.that()
					.hasLowCardinalityKeyValue("outcome", "failure")
					.hasLowCardinalityKeyValue("reason", "not_connected");
				// no web server here, so no origin: the listener answers 502 itself
				assertThat(get(context, "/").statusCode()).isEqualTo(502);
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> TestObservationRegistryAssert.assertThat(registry)
						.hasObservationWithNameEqualTo("vconn.transaction")
						.that()
						.hasLowCardinalityKeyValue("outcome", "rejected")
						.hasLowCardinalityKeyValue("path", "pass_through")
						.hasLowCardinalityKeyValue("status", "502"));
			});
	}

	@Test
	void vconnsMeterHandlerTimesTransactionsInSpringBootsMeterRegistry() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class,
				MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
			.withPropertyValues("vconn.listener.enabled=true", "vconn.listener.port=0")
			.run((context) -> {
				assertThat(context).hasSingleBean(VConnObservationMeterHandler.class);
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				assertThat(get(context, "/").statusCode()).isEqualTo(502);
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(meters.find("vconn.transaction")
						.tags("outcome", "rejected", "path", "pass_through", "status", "502", "error", "none")
						.timer()).isNotNull().extracting(Timer::count).isEqualTo(1L));
				assertThat(meters.find("vconn.transaction.active").tags("outcome", "unknown").longTaskTimer())
					.isNotNull();
				// any other observation is still timed by Spring Boot's default handler
				Observation.createNotStarted("acme.work", context.getBean(ObservationRegistry.class)).observe(() -> {
				});
				assertThat(meters.get("acme.work").timer().count()).isOne();
			});
	}

	@Test
	void vconnsMeterHandlerHonoursIgnoredLongTaskTimers() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class,
				MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
			.withPropertyValues("vconn.listener.enabled=true", "vconn.listener.port=0",
					"management.metrics.observations.ignored-meters=long-task-timer")
			.run((context) -> {
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				assertThat(get(context, "/").statusCode()).isEqualTo(502);
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(meters.find("vconn.transaction").timer()).isNotNull());
				assertThat(meters.find("vconn.transaction.active").longTaskTimer()).isNull();
			});
	}

	@Test
	void springBootsObservationRegistryIsUsed() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class))
			.run((context) -> assertThat(context).hasSingleBean(ObservationRegistry.class)
				.hasSingleBean(ObservationVConnListener.class)
				.hasSingleBean(ObservationInterceptObserver.class));
	}

	@Test
	void backsOffWithoutAnObservationRegistryBean() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
			.doesNotHaveBean(ObservationVConnListener.class)
			.doesNotHaveBean(ObservationInterceptObserver.class));
	}

	@Test
	void backsOffWithoutMicrometerObservationOnTheClasspath() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(ObservationRegistry.class))
			.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean(ObservationVConnListener.class)
				.doesNotHaveBean(ObservationInterceptObserver.class));
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withUserConfiguration(TestRegistryConfiguration.class)
			.withPropertyValues("vconn.observations.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean(ObservationVConnListener.class)
				.doesNotHaveBean(ObservationInterceptObserver.class));
	}

	@Test
	void conventionBeanReplacesTheDefault() {
		this.contextRunner.withUserConfiguration(TestRegistryConfiguration.class, CustomConventionConfiguration.class)
			.run((context) -> {
				try (SocketChannel unconnected = SocketChannel.open()) {
					context.getBean(VConnFactory.class).adopt(unconnected);
				}
				TestObservationRegistryAssert.assertThat(context.getBean(TestObservationRegistry.class))
					.hasSingleObservationThat()
					.hasNameEqualTo("acme.adoption")
					.hasLowCardinalityKeyValue("source", "channel");
			});
	}

	@Test
	void userObserverBeansReplaceTheAutoConfiguredOnes() {
		this.contextRunner.withUserConfiguration(TestRegistryConfiguration.class, UserObserversConfiguration.class)
			.run((context) -> assertThat(context).getBean(ObservationVConnListener.class)
				.isSameAs(context.getBean("userListener")));
	}

	private static HttpResponse<String> get(ApplicationContext context, String path) throws Exception {
		int port = context.getBean(InterceptListenerLifecycle.class).getListener().address().getPort();
		return HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.build()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
				.timeout(Duration.ofSeconds(20))
				.build(), HttpResponse.BodyHandlers.ofString());
	}

	@Configuration(proxyBeanMethods = false)
	static class TestRegistryConfiguration {

		@Bean
		TestObservationRegistry observationRegistry() {
			return TestObservationRegistry.create();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class CustomConventionConfiguration {

		@Bean
		DefaultAdoptionObservationConvention acmeAdoptionConvention() {
			return new DefaultAdoptionObservationConvention() {
				@Override
				public String getName() {
					return "acme.adoption";
				}

				@Override
				public String getContextualName(AdoptionObservationContext context) {
					return "acme " + super.getContextualName(context);
				}
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserObserversConfiguration {

		@Bean
		ObservationVConnListener userListener(ObservationRegistry registry) {
			return new ObservationVConnListener(registry);
		}

	}

}
