package dev.vconn.autoconfigure;

import java.util.Map;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.actuate.VConnHealthIndicator;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class VConnHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class,
				VConnHealthContributorAutoConfiguration.class, HealthContributorAutoConfiguration.class))
		.withPropertyValues("vconn.event-threads=1");

	@Test
	void healthIndicatorIsUpWhileRuntimeRuns() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(VConnHealthIndicator.class).hasBean("vconnHealthIndicator");
			Health health = context.getBean(VConnHealthIndicator.class).health();
			VConnRuntime runtime = context.getBean(VConnRuntime.class);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("transport", runtime.transport().name().toLowerCase())
				.containsEntry("eventThreads", 1)
				.containsEntry("active", 0)
				.containsEntry("maxConnections", 0)
				.containsEntry("running", true)
				.doesNotContainKey("reason");
		});
	}

	@Test
	void healthIndicatorIsDownWithReasonOnceRuntimeIsStopped() {
		this.contextRunner.run((context) -> {
			context.getBean(VConnRuntime.class).close();
			Health health = context.getBean(VConnHealthIndicator.class).health();
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.getDetails()).containsEntry("reason", "stopped").containsEntry("running", false);
		});
	}

	@Test
	void healthIndicatorCanBeDisabled() {
		this.contextRunner.withPropertyValues("management.health.vconn.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean(VConnHealthIndicator.class));
	}

	@Test
	void healthIndicatorIsDisabledWithAllDefaults() {
		this.contextRunner.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(VConnHealthIndicator.class));
	}

	@Test
	void healthIndicatorBacksOffWithoutHealthSupport() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(VConnAutoConfiguration.class,
					VConnHealthContributorAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(VConnRuntime.class)
				.doesNotHaveBean("vconnHealthIndicator"));
	}

	@Test
	void healthIndicatorBacksOffWhenVConnIsDisabled() {
		this.contextRunner.withPropertyValues("vconn.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(VConnHealthIndicator.class));
	}

	@Test
	void userDefinedHealthIndicatorBacksOff() {
		HealthIndicator mine = () -> Health.up().withDetails(Map.of("mine", true)).build();
		this.contextRunner.withBean("vconnHealthIndicator", HealthIndicator.class, () -> mine)
			.run((context) -> {
				assertThat(context).doesNotHaveBean(VConnHealthIndicator.class);
				assertThat(context.getBean("vconnHealthIndicator")).isSameAs(mine);
			});
	}

}
