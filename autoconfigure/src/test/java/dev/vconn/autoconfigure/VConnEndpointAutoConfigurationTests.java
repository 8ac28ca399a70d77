package dev.vconn.autoconfigure;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.actuate.VConnEndpoint;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.metrics.VConnStatistics;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class VConnEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class, VConnEndpointAutoConfiguration.class,
				EndpointAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void endpointIsNotAvailableWhenNotExposed() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
			.doesNotHaveBean(VConnEndpoint.class));
	}

	@Test
	void endpointIsAvailableWhenExposedOverWeb() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vconn")
			.run((context) -> assertThat(context).hasSingleBean(VConnEndpoint.class));
	}

	@Test
	void endpointIsAvailableWhenExposedOverJmx() {
		this.contextRunner
			.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=vconn")
			.run((context) -> assertThat(context).hasSingleBean(VConnEndpoint.class));
	}

	@Test
	void endpointDescribesTheAutoConfiguredInterceptListener() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=vconn", "vconn.listener.enabled=true",
					"vconn.listener.port=0", "vconn.listener.origin=127.0.0.1:9")
			.run((context) -> {
				int port = context.getBean(InterceptListenerLifecycle.class).getListener().address().getPort();
				VConnEndpoint.ListenerDescriptor listener = context.getBean(VConnEndpoint.class).runtime().listener();
				assertThat(listener.enabled()).isTrue();
				assertThat(listener.running()).isTrue();
				assertThat(listener.address()).isEqualTo("127.0.0.1:" + port);
				assertThat(listener.inherited()).isFalse();
				assertThat(listener.origin()).isEqualTo("127.0.0.1:9");
			});
	}

	@Test
	void endpointDescribesAUserDefinedInterceptListener() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vconn")
			.withUserConfiguration(UserListenerConfiguration.class)
			.run((context) -> {
				InterceptListener mine = context.getBean(InterceptListener.class);
				VConnEndpoint.ListenerDescriptor listener = context.getBean(VConnEndpoint.class).runtime().listener();
				assertThat(listener.enabled()).isTrue();
				assertThat(listener.address()).isEqualTo("127.0.0.1:" + mine.address().getPort());
				assertThat(listener.origin()).isNull();
			});
	}

	@Test
	void endpointShowsNoListenerByDefault() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vconn").run((context) -> {
			VConnEndpoint.ListenerDescriptor listener = context.getBean(VConnEndpoint.class).runtime().listener();
			assertThat(listener.enabled()).isFalse();
			assertThat(listener.address()).isNull();
			assertThat(listener.origin()).isNull();
		});
	}

	@Test
	void endpointIsNotAvailableWhenAccessIsNone() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=vconn", "management.endpoint.vconn.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(VConnEndpoint.class));
	}

	@Test
	void endpointBacksOffWithoutActuator() {
		new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(VConnAutoConfiguration.class, VConnEndpointAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.withPropertyValues("management.endpoints.web.exposure.include=vconn")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean(VConnEndpoint.class));
	}

	@Test
	void endpointBacksOffWhenVConnIsDisabled() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vconn", "vconn.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(VConnEndpoint.class));
	}

	@Test
	void userDefinedEndpointBacksOff() {
		VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).build();
		try {
			VConnEndpoint mine = new VConnEndpoint(runtime, new VConnStatistics(), new InterceptHookRegistry());
			this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vconn")
				.withBean("myEndpoint", VConnEndpoint.class, () -> mine)
				.run((context) -> assertThat(context).getBean(VConnEndpoint.class).isSameAs(mine));
		}
		finally {
			runtime.close();
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class UserListenerConfiguration {

		// Closed with the runtime's event threads when the runtime stops, before beans are destroyed.
		@Bean(destroyMethod = "")
		InterceptListener myListener(VConnRuntime runtime, InterceptHookRegistry hooks) {
			return InterceptListener.builder(runtime, hooks).port(0).start();
		}

	}

}
