package dev.vconn.autoconfigure;

import dev.vconn.VConnRuntime;
import dev.vconn.autoconfigure.metrics.VConnObservationMeterHandler;
import dev.vconn.autoconfigure.observation.AdoptionObservationConvention;
import dev.vconn.autoconfigure.observation.ObservationInterceptObserver;
import dev.vconn.autoconfigure.observation.ObservationVConnListener;
import dev.vconn.autoconfigure.observation.TransactionObservationConvention;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * Auto-configuration of VConn's Micrometer observations: an {@link ObservationVConnListener} that
 * the runtime reports adoptions and connects to, and an {@link ObservationInterceptObserver} that
 * the intercept listener reports transactions to, both recording into the application's
 * {@link ObservationRegistry}. A bean of {@link AdoptionObservationConvention} or
 * {@link TransactionObservationConvention} replaces the default convention. Active when
 * {@code micrometer-observation} is on the classpath and an {@link ObservationRegistry} bean exists
 * (Spring Boot makes one with its actuator), unless {@code vconn.observations.enabled=false};
 * without them nothing changes. With a {@link MeterRegistry} as well, a
 * {@link VConnObservationMeterHandler} times both observations ahead of Spring Boot's default meter
 * handler, with the same meters.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = VConnAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass({ ObservationRegistry.class, VConnRuntime.class })
@ConditionalOnBean({ ObservationRegistry.class, VConnRuntime.class })
@ConditionalOnBooleanProperty(name = "vconn.observations.enabled", matchIfMissing = true)
public final class VConnObservationAutoConfiguration {

	/**
	 * Creates the auto-configuration; Spring Boot does so when its conditions match.
	 */
	public VConnObservationAutoConfiguration() {
	}

	@Bean
	@ConditionalOnMissingBean
	ObservationVConnListener vconnObservationListener(ObservationRegistry observationRegistry,
			ObjectProvider<AdoptionObservationConvention> convention) {
		return new ObservationVConnListener(observationRegistry, convention.getIfUnique());
	}

	@Bean
	@ConditionalOnMissingBean
	ObservationInterceptObserver vconnObservationInterceptObserver(ObservationRegistry observationRegistry,
			ObjectProvider<TransactionObservationConvention> convention) {
		return new ObservationInterceptObserver(observationRegistry, convention.getIfUnique());
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ MeterRegistry.class, MetricsProperties.class })
	@ConditionalOnBean(MeterRegistry.class)
	static final class MeterHandlerConfiguration {

		/**
		 * Ordered ahead of Spring Boot's default meter handler (unordered), which Spring Boot groups
		 * with it so that the first handler supporting a context times it.
		 */
		@Bean
		@Order(0)
		@ConditionalOnMissingBean
		VConnObservationMeterHandler vconnObservationMeterHandler(MeterRegistry meterRegistry,
				ObjectProvider<MetricsProperties> properties) {
			MetricsProperties metrics = properties.getIfAvailable(MetricsProperties::new);
			return new VConnObservationMeterHandler(meterRegistry,
					metrics.getObservations().getIgnoredMeters().toArray(DefaultMeterObservationHandler.IgnoredMeters[]::new));
		}

	}

}
