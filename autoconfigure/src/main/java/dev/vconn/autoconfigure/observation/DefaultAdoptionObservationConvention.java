package dev.vconn.autoconfigure.observation;


import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import io.micrometer.common.KeyValues;

import dev.vconn.autoconfigure.observation.VConnObservationDocumentation.AdoptionLowCardinalityKeys;

/**
 * The default {@link AdoptionObservationConvention}: observation {@code vconn.adoption}, spans named
 * {@code vconn adopt fd}, {@code vconn adopt channel} or {@code vconn connect}, low-cardinality keys
 * {@code outcome}, {@code reason} and {@code source} (the values of the {@code vconn.adoptions}
 * meter's tags), and the peer's address and port as high-cardinality keys. Extend it to change a part.
 *
 * @since 0.1.0
 */
public class DefaultAdoptionObservationConvention implements AdoptionObservationConvention {

	/** The shared instance. */
	public static final DefaultAdoptionObservationConvention INSTANCE = new DefaultAdoptionObservationConvention();

	/** Creates the convention; subclasses change what they override. */
	public DefaultAdoptionObservationConvention() {
	}

	@Override
	public String getName() {
		return "vconn.adoption";
	}

	@Override
	public String getContextualName(AdoptionObservationContext context) {
		return (context.getSource() == AdoptionSource.CONNECT) ? "vconn connect"
				: "vconn adopt " + KeyValueFormat.lowerCase(context.getSource());
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(AdoptionObservationContext context) {
		AdoptionFailureReason reason = context.getFailureReason();
		String outcome = (reason != null) ? "failure" : (context.getVConn() != null) ? "success" : "unknown";
		return KeyValues.of(AdoptionLowCardinalityKeys.OUTCOME.withValue(outcome),
				AdoptionLowCardinalityKeys.REASON.withValue(KeyValueFormat.lowerCase(reason)),
				AdoptionLowCardinalityKeys.SOURCE.withValue(KeyValueFormat.lowerCase(context.getSource())));
	}

	@Override
	public KeyValues getHighCardinalityKeyValues(AdoptionObservationContext context) {
		return KeyValueFormat.peer(context.getRemoteAddress());
	}

}
