package dev.vconn.autoconfigure;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.actuate.VConnEndpoint;
import dev.vconn.intercept.InterceptHookRegistry;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code vconn} actuator endpoint. Active when the actuator is on the
 * classpath and the endpoint is available (access not {@code none}, and exposed over some
 * technology).
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class)
@ConditionalOnClass({ VConnRuntime.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean({ VConnRuntime.class, VConnStatistics.class, InterceptHookRegistry.class })
@ConditionalOnAvailableEndpoint(VConnEndpoint.class)
public final class VConnEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	VConnEndpoint vconnEndpoint(VConnRuntime runtime, VConnStatistics statistics, InterceptHookRegistry hooks) {
		return new VConnEndpoint(runtime, statistics, hooks);
	}

}
