package dev.vconn.autoconfigure.observation;

import dev.vconn.autoconfigure.observation.DefaultTransactionObservationConvention;
import dev.vconn.autoconfigure.observation.TransactionObservationContext;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The convention bean {@code docs/tracing.md} shows: transaction spans named after the listener's role. */
@Configuration(proxyBeanMethods = false)
class TracingConfiguration {

	@Bean
	DefaultTransactionObservationConvention transactionConvention() {
		return new DefaultTransactionObservationConvention() {
			@Override
			public String getContextualName(TransactionObservationContext context) {
				return "proxy " + context.getMethod();
			}
		};
	}

}
