package dev.vconn.autoconfigure.observation;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.vconn.AdoptionSource;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * VConn's observation contexts answer {@code getLowCardinalityKeyValues()} without sorting their map
 * when they know what it holds (both keep it in a {@link KnownKeyValues}; the adoption context stands
 * for both here): after any sequence of changes (whole key value sets added as an
 * observation's start and stop do, single ones added or removed as a filter does) they answer what
 * a plain Micrometer context given the same changes answers.
 */
class KnownKeyValuesTests {

	private static final List<String> KEYS = List.of("hook", "method", "outcome", "path", "status", "type", "zone");

	@Test
	void answersWhatAPlainContextAnswersAfterAnySequenceOfChanges() {
		Random random = new Random(9);
		for (int sequence = 0; sequence < 2_000; sequence++) {
			Observation.Context plain = new Observation.Context();
			Observation.Context ours = new AdoptionObservationContext(AdoptionSource.FD, null);
			List<String> applied = new ArrayList<>();
			for (int step = 0; step < 8; step++) {
				String change = change(random, plain);
				applied.add(change);
				apply(change, ours);
				assertThat(ours.getLowCardinalityKeyValues()).as("after %s", applied)
					.containsExactlyElementsOf(plain.getLowCardinalityKeyValues());
			}
		}
	}

	@Test
	void theSameKeysAddedAgainAreAnsweredWithTheirNewValues() {
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
	}

	/** Picks a change, applies it to {@code plain} and returns it, to be applied to the others alike. */
	private static String change(Random random, Observation.Context plain) {
		String change;
		switch (random.nextInt(4)) {
			case 0, 1 -> {
				StringBuilder keys = new StringBuilder("all");
				for (String key : KEYS) {
					if (random.nextInt(3) > 0) {
						keys.append(' ').append(key).append('=').append(random.nextInt(3));
					}
				}
				change = keys.toString();
			}
			case 2 -> change = "one " + KEYS.get(random.nextInt(KEYS.size())) + "=" + random.nextInt(3);
			default -> change = "remove " + KEYS.get(random.nextInt(KEYS.size()));
		}
		apply(change, plain);
		return change;
	}

	private static void apply(String change, Observation.Context context) {
		String[] words = change.split(" ");
		switch (words[0]) {
			case "all" -> {
				List<KeyValue> keyValues = new ArrayList<>();
				for (int i = 1; i < words.length; i++) {
					keyValues.add(keyValue(words[i]));
				}
				context.addLowCardinalityKeyValues(KeyValues.of(keyValues));
			}
			case "one" -> context.addLowCardinalityKeyValue(keyValue(words[1]));
			default -> context.removeLowCardinalityKeyValue(words[1]);
		}
	}

	private static KeyValue keyValue(String word) {
		String[] parts = word.split("=");
		return KeyValue.of(parts[0], parts[1]);
	}

}
