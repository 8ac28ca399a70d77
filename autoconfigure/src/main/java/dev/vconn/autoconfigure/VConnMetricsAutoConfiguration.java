package dev.vconn.autoconfigure;

import java.util.List;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.metrics.MicrometerHandoffObserver;
import dev.vconn.autoconfigure.metrics.MicrometerVConnListener;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.metrics.VConnStatistics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of VConn's Micrometer meters: a {@link MicrometerVConnListener} over the
 * {@link VConnStatistics} bean, which Spring Boot binds, as a {@code MeterBinder}, to every
 * registry, with {@code vconn.intercepts} series for the hooks of the
 * {@link InterceptHookRegistry}; the runtime reports to it for the timers. Takeovers are counted
 * on {@code vconn.handoffs} by a {@link MicrometerHandoffObserver}. Active when Micrometer
 * is on the classpath and {@link MeterRegistry} and {@link VConnStatistics} beans exist.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass({ MeterRegistry.class, VConnRuntime.class })
@ConditionalOnBean({ MeterRegistry.class, VConnRuntime.class, VConnStatistics.class })
public final class VConnMetricsAutoConfiguration {

	/**
	 * Creates the auto-configuration; Spring Boot does so when its conditions match.
	 */
	public VConnMetricsAutoConfiguration() {
	}

	@Bean
	@ConditionalOnMissingBean
	MicrometerVConnListener micrometerVConnListener(VConnStatistics statistics, ObjectProvider<VConnRuntime> runtime,
			ObjectProvider<InterceptHookRegistry> hooks) {
		// Both are looked up late: the listener is needed to build the runtime, and hooks may
		// depend on the runtime's factory.
		return new MicrometerVConnListener(statistics, () -> {
			VConnRuntime current = runtime.getIfAvailable();
			return (current != null) ? current.activeCount() : 0;
		}, () -> {
			InterceptHookRegistry registry = hooks.getIfAvailable();
			return (registry != null) ? registry.hooks().stream().map(InterceptHook::name).toList() : List.of();
		});
	}

	@Bean
	@ConditionalOnMissingBean
	MicrometerHandoffObserver micrometerHandoffObserver() {
		return new MicrometerHandoffObserver();
	}

}
