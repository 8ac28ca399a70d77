package dev.vconn.autoconfigure.observation;


import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

import dev.vconn.autoconfigure.observation.VConnObservationDocumentation.AdoptionLowCardinalityKeys;

/**
 * The default {@link AdoptionObservationConvention}: observation {@code vconn.adoption}, spans named
 * {@code vconn adopt fd}, {@code vconn adopt channel} or {@code vconn connect}, low-cardinality keys
 * {@code outcome}, {@code reason} and {@code source} (the values of the {@code vconn.adoptions}
 * meter's tags), and the peer's address and port as high-cardinality keys. Extend it to change a part.
 *
 * <p>The low-cardinality key values are made once per source, outcome and reason and reused, and
 * the peer's once per attempt (for its start and its end, unless the VConn reports another peer).
 *
 * @since 0.1.0
 */
public class DefaultAdoptionObservationConvention implements AdoptionObservationConvention {

	/** The shared instance. */
	public static final DefaultAdoptionObservationConvention INSTANCE = new DefaultAdoptionObservationConvention();

	/** Every adoption and connect is observed: the key values are made once, per source, outcome and reason. */
	private static final KeyValues[] STARTS = perSource("unknown", null);

	private static final KeyValues[] SUCCESSES = perSource("success", null);

	private static final KeyValues[][] FAILURES = failures();

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
		int source = context.getSource().ordinal();
		if (reason != null) {
			return FAILURES[source][reason.ordinal()];
		}
		return (context.getVConn() != null) ? SUCCESSES[source] : STARTS[source];
	}

	@Override
	public KeyValues getHighCardinalityKeyValues(AdoptionObservationContext context) {
		return context.peerKeyValues();
	}

	private static KeyValues[] perSource(String outcome, @Nullable AdoptionFailureReason reason) {
		AdoptionSource[] sources = AdoptionSource.values();
		KeyValues[] keyValues = new KeyValues[sources.length];
		for (AdoptionSource source : sources) {
			keyValues[source.ordinal()] = KeyValues.of(AdoptionLowCardinalityKeys.OUTCOME.withValue(outcome),
					AdoptionLowCardinalityKeys.REASON.withValue(KeyValueFormat.lowerCase(reason)),
					AdoptionLowCardinalityKeys.SOURCE.withValue(KeyValueFormat.lowerCase(source)));
		}
		return keyValues;
	}

	private static KeyValues[][] failures() {
		AdoptionFailureReason[] reasons = AdoptionFailureReason.values();
		KeyValues[][] keyValues = new KeyValues[AdoptionSource.values().length][reasons.length];
		for (AdoptionFailureReason reason : reasons) {
			KeyValues[] bySource = perSource("failure", reason);
			for (int source = 0; source < bySource.length; source++) {
				keyValues[source][reason.ordinal()] = bySource[source];
			}
		}
		return keyValues;
	}

}
