package dev.vconn.autoconfigure.observation;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import dev.vconn.AdoptionSource;
import dev.vconn.intercept.Transaction;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * VConn's observation contexts keep their key values in {@link ContextKeyValues} instead of
 * Micrometer's maps: after any sequence of changes of either cardinality (whole key value sets added
 * as an observation's start and stop do, single ones added or removed as a filter does) they answer
 * every key value question as a plain Micrometer context given the same changes answers.
 */
class ContextKeyValuesTests {

	private static final List<String> KEYS = List.of("hook", "method", "outcome", "path", "status", "type", "zone");

	@Test
	void theAdoptionContextAnswersWhatAPlainContextAnswersAfterAnySequenceOfChanges() {
		answersLikeAPlainContext(() -> new AdoptionObservationContext(AdoptionSource.FD, null));
	}

	@Test
	void theTransactionContextAnswersWhatAPlainContextAnswersAfterAnySequenceOfChanges() {
		answersLikeAPlainContext(() -> new TransactionObservationContext(transaction()));
	}

	@Test
	void theSameKeysAddedAgainAreAnsweredWithTheirNewValuesWithoutACopy() {
		AdoptionObservationContext context = new AdoptionObservationContext(AdoptionSource.FD, null);
		KeyValues start = KeyValues.of("outcome", "unknown", "status", "none");
		KeyValues end = KeyValues.of("outcome", "completed", "status", "200");
		context.addLowCardinalityKeyValues(start);
		assertThat(context.getLowCardinalityKeyValues()).isSameAs(start);
		context.addLowCardinalityKeyValues(end);
		assertThat(context.getLowCardinalityKeyValues()).isSameAs(end);
		context.addLowCardinalityKeyValue(KeyValue.of("region", "eu"));
		assertThat(context.getLowCardinalityKeyValues()).containsExactly(KeyValue.of("outcome", "completed"),
				KeyValue.of("region", "eu"), KeyValue.of("status", "200"));
		assertThat(context.getHighCardinalityKeyValues()).isEmpty();
	}

	private static void answersLikeAPlainContext(Supplier<Observation.Context> ours) {
		Random random = new Random(9);
		for (int sequence = 0; sequence < 2_000; sequence++) {
			Observation.Context plain = new Observation.Context();
			Observation.Context context = ours.get();
			List<String> applied = new ArrayList<>();
			for (int step = 0; step < 8; step++) {
				String change = change(random);
				applied.add(change);
				apply(change, plain);
				apply(change, context);
				assertThat(context.getLowCardinalityKeyValues()).as("after %s", applied)
					.containsExactlyElementsOf(plain.getLowCardinalityKeyValues());
				assertThat(context.getHighCardinalityKeyValues()).as("after %s", applied)
					.containsExactlyElementsOf(plain.getHighCardinalityKeyValues());
				assertThat(context.getAllKeyValues()).as("after %s", applied)
					.containsExactlyElementsOf(plain.getAllKeyValues());
				for (String key : KEYS) {
					assertThat(context.getLowCardinalityKeyValue(key)).as("%s after %s", key, applied)
						.isEqualTo(plain.getLowCardinalityKeyValue(key));
					assertThat(context.getHighCardinalityKeyValue(key)).as("%s after %s", key, applied)
						.isEqualTo(plain.getHighCardinalityKeyValue(key));
				}
			}
		}
	}

	/** A change as words: cardinality ({@code low}/{@code high}), kind, and key values or keys. */
	private static String change(Random random) {
		String cardinality = random.nextBoolean() ? "low" : "high";
		return switch (random.nextInt(5)) {
			case 0, 1 -> {
				StringBuilder keys = new StringBuilder(cardinality).append(" all");
				for (String key : KEYS) {
					if (random.nextInt(3) > 0) {
						keys.append(' ').append(key).append('=').append(random.nextInt(3));
					}
				}
				yield keys.toString();
			}
			case 2 -> cardinality + " one " + randomKey(random) + "=" + random.nextInt(3);
			case 3 -> cardinality + " remove " + randomKey(random);
			default -> cardinality + " removeAll " + randomKey(random) + " " + randomKey(random);
		};
	}

	private static String randomKey(Random random) {
		return KEYS.get(random.nextInt(KEYS.size()));
	}

	private static void apply(String change, Observation.Context context) {
		String[] words = change.split(" ");
		boolean low = words[0].equals("low");
		switch (words[1]) {
			case "all" -> {
				List<KeyValue> keyValues = new ArrayList<>();
				for (int i = 2; i < words.length; i++) {
					keyValues.add(keyValue(words[i]));
				}
				if (low) {
					context.addLowCardinalityKeyValues(KeyValues.of(keyValues));
				}
				else {
					context.addHighCardinalityKeyValues(KeyValues.of(keyValues));
				}
			}
			case "one" -> {
				if (low) {
					context.addLowCardinalityKeyValue(keyValue(words[2]));
				}
				else {
					context.addHighCardinalityKeyValue(keyValue(words[2]));
				}
			}
			case "remove" -> {
				if (low) {
					context.removeLowCardinalityKeyValue(words[2]);
				}
				else {
					context.removeHighCardinalityKeyValue(words[2]);
				}
			}
			default -> {
				if (low) {
					context.removeLowCardinalityKeyValues(words[2], words[3]);
				}
				else {
					context.removeHighCardinalityKeyValues(words[2], words[3]);
				}
			}
		}
	}

	private static KeyValue keyValue(String word) {
		String[] parts = word.split("=");
		return KeyValue.of(parts[0], parts[1]);
	}

	/** A GET transaction with no client address: all the transaction context reads of it. */
	private static Transaction transaction() {
		return (Transaction) Proxy.newProxyInstance(ContextKeyValuesTests.class.getClassLoader(),
				new Class<?>[] { Transaction.class }, (proxy, method, args) -> switch (method.getName()) {
					case "method" -> "GET";
					case "clientAddress" -> null;
					default -> throw new UnsupportedOperationException(method.getName());
				});
	}

}
