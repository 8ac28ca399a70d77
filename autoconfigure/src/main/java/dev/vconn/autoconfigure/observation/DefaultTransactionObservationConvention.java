package dev.vconn.autoconfigure.observation;

import java.util.Set;

import dev.vconn.intercept.TransactionResult;
import io.micrometer.common.KeyValues;

import dev.vconn.autoconfigure.observation.VConnObservationDocumentation.TransactionLowCardinalityKeys;

/**
 * The default {@link TransactionObservationConvention}: observation {@code vconn.transaction}, spans
 * named {@code vconn} and the method ({@code vconn GET}), low-cardinality keys {@code outcome},
 * {@code type}, {@code path}, {@code hook}, {@code method} and {@code status}, and the client's
 * address and port as high-cardinality keys. Extend it to change a part.
 *
 * @since 0.1.0
 */
public class DefaultTransactionObservationConvention implements TransactionObservationConvention {

	/** The shared instance. */
	public static final DefaultTransactionObservationConvention INSTANCE = new DefaultTransactionObservationConvention();

	/** Methods kept as they are; any other would make the key unbounded. */
	private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
			"TRACE", "PATCH");

	/** Creates the convention; subclasses change what they override. */
	public DefaultTransactionObservationConvention() {
	}

	@Override
	public String getName() {
		return "vconn.transaction";
	}

	@Override
	public String getContextualName(TransactionObservationContext context) {
		return "vconn " + method(context);
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(TransactionObservationContext context) {
		TransactionResult result = context.getResult();
		if (result == null) {
			// the start: what the end will tell is not known yet
			return KeyValues.of(TransactionLowCardinalityKeys.OUTCOME.withValue("unknown"),
					TransactionLowCardinalityKeys.TYPE.withValue("none"),
					TransactionLowCardinalityKeys.PATH.withValue("none"),
					TransactionLowCardinalityKeys.HOOK.withValue("none"),
					TransactionLowCardinalityKeys.METHOD.withValue(method(context)),
					TransactionLowCardinalityKeys.STATUS.withValue("none"));
		}
		String hook = result.hook();
		return KeyValues.of(TransactionLowCardinalityKeys.OUTCOME.withValue(KeyValueFormat.lowerCase(result.outcome())),
				TransactionLowCardinalityKeys.TYPE.withValue(KeyValueFormat.lowerCase(result.interceptType())),
				TransactionLowCardinalityKeys.PATH.withValue(KeyValueFormat.lowerCase(result.path())),
				TransactionLowCardinalityKeys.HOOK.withValue((hook != null) ? hook : "none"),
				TransactionLowCardinalityKeys.METHOD.withValue(method(context)),
				TransactionLowCardinalityKeys.STATUS
					.withValue((result.status() != 0) ? Integer.toString(result.status()) : "none"));
	}

	@Override
	public KeyValues getHighCardinalityKeyValues(TransactionObservationContext context) {
		return KeyValueFormat.peer(context.getClientAddress());
	}

	private static String method(TransactionObservationContext context) {
		return METHODS.contains(context.getMethod()) ? context.getMethod() : "other";
	}

}
