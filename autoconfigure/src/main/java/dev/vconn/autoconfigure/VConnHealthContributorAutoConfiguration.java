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

/**
 * Auto-configuration of the {@code vconn} health indicator. Active when Spring Boot's health
 * support is on the classpath and {@code management.health.vconn.enabled} is not {@code false}.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class,
		beforeName = "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnClass({ VConnRuntime.class, Health.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(VConnRuntime.class)
@ConditionalOnEnabledHealthIndicator("vconn")
public final class VConnHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "vconnHealthIndicator")
	VConnHealthIndicator vconnHealthIndicator(VConnRuntime runtime) {
		return new VConnHealthIndicator(runtime);
	}

}
