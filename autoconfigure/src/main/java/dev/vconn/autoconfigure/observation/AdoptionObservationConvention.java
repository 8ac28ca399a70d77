package dev.vconn.autoconfigure.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and keys of the {@link VConnObservationDocumentation#ADOPTION} observation. Implement it
 * (or extend {@link DefaultAdoptionObservationConvention}) to change them; in a Spring Boot
 * application, a bean of this type replaces the default.
 *
 * @since 0.1.0
 */
public interface AdoptionObservationConvention extends ObservationConvention<AdoptionObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof AdoptionObservationContext;
	}

}
