package dev.vconn.autoconfigure.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and keys of the {@link VConnObservationDocumentation#TRANSACTION} observation. Implement it
 * (or extend {@link DefaultTransactionObservationConvention}) to change them; in a Spring Boot
 * application, a bean of this type replaces the default.
 *
 * @since 0.1.0
 */
public interface TransactionObservationConvention extends ObservationConvention<TransactionObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof TransactionObservationContext;
	}

}
