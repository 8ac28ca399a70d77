package dev.vconn.autoconfigure;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.metrics.MicrometerVConnListener;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of VConn's Micrometer meters: a {@link MicrometerVConnListener} that the
 * runtime reports to and that Spring Boot binds, as a {@code MeterBinder}, to every registry.
 * Active when Micrometer is on the classpath and a {@link MeterRegistry} bean exists.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass({ MeterRegistry.class, VConnRuntime.class })
@ConditionalOnBean({ MeterRegistry.class, VConnRuntime.class })
public final class VConnMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	MicrometerVConnListener micrometerVConnListener(ObjectProvider<VConnRuntime> runtime) {
		return new MicrometerVConnListener(() -> {
			VConnRuntime current = runtime.getIfAvailable();
			return (current != null) ? current.activeCount() : 0;
		});
	}

}
