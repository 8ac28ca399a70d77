package dev.vconn.autoconfigure;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.actuate.VConnHealthIndicator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of the {@code vconn} health indicator. Active when Spring Boot's health
 * support is on the classpath, VConn is enabled and {@code management.health.vconn.enabled} is not
 * {@code false}.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class,
		beforeName = "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnClass({ VConnRuntime.class, Health.class, ConditionalOnEnabledHealthIndicator.class })
public final class VConnHealthContributorAutoConfiguration {

	/**
	 * Creates the auto-configuration; Spring Boot does so when its conditions match.
	 */
	public VConnHealthContributorAutoConfiguration() {
	}

	// Conditions that need health classes sit on a nested class, which is parsed only once the
	// class condition above matched.
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(VConnRuntime.class)
	@ConditionalOnEnabledHealthIndicator("vconn")
	static class VConnHealthIndicatorConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "vconnHealthIndicator")
		VConnHealthIndicator vconnHealthIndicator(VConnRuntime runtime) {
			return new VConnHealthIndicator(runtime);
		}

	}

}
