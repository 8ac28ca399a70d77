package dev.vconn.autoconfigure.observation;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionOutcome;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.intercept.TransactionResult;
import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

import dev.vconn.autoconfigure.observation.VConnObservationDocumentation.TransactionLowCardinalityKeys;

/**
 * The default {@link TransactionObservationConvention}: observation {@code vconn.transaction}, spans
 * named {@code vconn} and the method ({@code vconn GET}), low-cardinality keys {@code outcome},
 * {@code type}, {@code path}, {@code hook}, {@code method} and {@code status}, and the client's
 * address and port as high-cardinality keys. Extend it to change a part.
 *
 * <p>Every transaction of the listener is observed, so the key values are made once per combination
 * and reused: the ones a transaction starts with per method, the ones it ends with per outcome, path,
 * intercept type, hook, method and status (a bounded set: the hooks are few, the statuses and methods
 * fixed), and the client's address once per transaction, for its start and its end.
 *
 * @since 0.1.0
 */
public class DefaultTransactionObservationConvention implements TransactionObservationConvention {

	/** The shared instance. */
	public static final DefaultTransactionObservationConvention INSTANCE = new DefaultTransactionObservationConvention();

	/** Methods kept as they are; any other would make the key unbounded. */
	private static final Map<String, String> METHODS = Stream
		.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
		.collect(Collectors.toUnmodifiableMap(Function.identity(), Function.identity()));

	private static final String OTHER_METHOD = "other";

	/** Past this many combinations of end values, more are made per transaction instead of kept. */
	private static final int MAX_CACHED_ENDS = 4096;

	private static final Map<String, String> CONTEXTUAL_NAMES = contextualNames();

	private static final Map<String, KeyValues> STARTS = startKeyValues();

	private final Map<End, KeyValues> ends = new ConcurrentHashMap<>();

	/** Creates the convention; subclasses change what they override. */
	public DefaultTransactionObservationConvention() {
	}

	@Override
	public String getName() {
		return "vconn.transaction";
	}

	@Override
	public String getContextualName(TransactionObservationContext context) {
		return CONTEXTUAL_NAMES.get(method(context));
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(TransactionObservationContext context) {
		TransactionResult result = context.getResult();
		String method = method(context);
		if (result == null) {
			// the start: what the end will tell is not known yet
			return STARTS.get(method);
		}
		End end = new End(result.outcome(), result.path(), result.interceptType(), result.hook(), method,
				result.status());
		KeyValues keyValues = this.ends.get(end);
		if (keyValues == null) {
			keyValues = end.keyValues();
			if (this.ends.size() < MAX_CACHED_ENDS) {
				this.ends.putIfAbsent(end, keyValues);
			}
		}
		return keyValues;
	}

	@Override
	public KeyValues getHighCardinalityKeyValues(TransactionObservationContext context) {
		return context.peerKeyValues();
	}

	private static String method(TransactionObservationContext context) {
		String known = METHODS.get(context.getMethod());
		return (known != null) ? known : OTHER_METHOD;
	}

	private static Map<String, String> contextualNames() {
		return Stream.concat(METHODS.keySet().stream(), Stream.of(OTHER_METHOD))
			.collect(Collectors.toUnmodifiableMap(Function.identity(), (method) -> "vconn " + method));
	}

	private static Map<String, KeyValues> startKeyValues() {
		return Stream.concat(METHODS.keySet().stream(), Stream.of(OTHER_METHOD))
			.collect(Collectors.toUnmodifiableMap(Function.identity(),
					(method) -> KeyValues.of(TransactionLowCardinalityKeys.OUTCOME.withValue("unknown"),
							TransactionLowCardinalityKeys.TYPE.withValue("none"),
							TransactionLowCardinalityKeys.PATH.withValue("none"),
							TransactionLowCardinalityKeys.HOOK.withValue("none"),
							TransactionLowCardinalityKeys.METHOD.withValue(method),
							TransactionLowCardinalityKeys.STATUS.withValue("none"))));
	}

	/** The values a transaction ends with, and so the key values it is tagged with. */
	private static final class End {

		private final TransactionOutcome outcome;

		private final @Nullable TransactionPath path;

		private final @Nullable InterceptType type;

		private final @Nullable String hook;

		private final String method;

		private final int status;

		End(TransactionOutcome outcome, @Nullable TransactionPath path, @Nullable InterceptType type,
				@Nullable String hook, String method, int status) {
			this.outcome = outcome;
			this.path = path;
			this.type = type;
			this.hook = hook;
			this.method = method;
			this.status = status;
		}

		KeyValues keyValues() {
			return KeyValues.of(TransactionLowCardinalityKeys.OUTCOME.withValue(KeyValueFormat.lowerCase(this.outcome)),
					TransactionLowCardinalityKeys.TYPE.withValue(KeyValueFormat.lowerCase(this.type)),
					TransactionLowCardinalityKeys.PATH.withValue(KeyValueFormat.lowerCase(this.path)),
					TransactionLowCardinalityKeys.HOOK.withValue((this.hook != null) ? this.hook : "none"),
					TransactionLowCardinalityKeys.METHOD.withValue(this.method),
					TransactionLowCardinalityKeys.STATUS
						.withValue((this.status != 0) ? Integer.toString(this.status) : "none"));
		}

		@Override
		public boolean equals(@Nullable Object other) {
			if (!(other instanceof End)) {
				return false;
			}
			End that = (End) other;
			return this.outcome == that.outcome && this.path == that.path && this.type == that.type
					&& this.status == that.status && this.method.equals(that.method)
					&& Objects.equals(this.hook, that.hook);
		}

		@Override
		public int hashCode() {
			int hash = this.outcome.ordinal();
			hash = 31 * hash + ((this.path != null) ? this.path.ordinal() : -1);
			hash = 31 * hash + ((this.type != null) ? this.type.ordinal() : -1);
			hash = 31 * hash + Objects.hashCode(this.hook);
			hash = 31 * hash + this.method.hashCode();
			return 31 * hash + this.status;
		}

	}

}
