package dev.vconn.autoconfigure;

import java.util.Locale;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.actuate.VConnEndpoint;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.VConnHandoff;
import dev.vconn.metrics.VConnStatistics;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of the {@code vconn} actuator endpoint. Active when the actuator is on the
 * classpath, VConn is enabled, and the endpoint is available: its access is not {@code none} and
 * it is exposed over HTTP or JMX.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class)
@ConditionalOnClass({ VConnRuntime.class, ConditionalOnAvailableEndpoint.class })
public final class VConnEndpointAutoConfiguration {

	/**
	 * Creates the auto-configuration; Spring Boot does so when its conditions match.
	 */
	public VConnEndpointAutoConfiguration() {
	}

	// Conditions that need actuator classes sit on a nested class, which is parsed only once the
	// class condition above matched.
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean({ VConnRuntime.class, VConnStatistics.class, InterceptHookRegistry.class })
	@ConditionalOnAvailableEndpoint(VConnEndpoint.class)
	static class VConnEndpointConfiguration {

		@Bean
		@ConditionalOnMissingBean
		VConnEndpoint vconnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks,
				ObjectProvider<InterceptListenerLifecycle> lifecycle, ObjectProvider<InterceptListener> listener) {
			return new VConnEndpoint(runtime, statistics, hooks, () -> {
				InterceptListenerLifecycle auto = lifecycle.getIfAvailable();
				return (auto != null) ? auto.getListener() : listener.getIfAvailable();
			}, () -> {
				InterceptListenerLifecycle auto = lifecycle.getIfAvailable();
				VConnHandoff handoff = (auto != null) ? auto.getHandoff() : null;
				if (handoff == null) {
					return VConnEndpoint.HandoffDescriptor.OFF;
				}
				return new VConnEndpoint.HandoffDescriptor(true, handoff.path().toString(),
						handoff.state().name().toLowerCase(Locale.ROOT), auto.hasTakenOver());
			});
		}

	}

}
