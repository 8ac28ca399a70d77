package dev.vconn.autoconfigure.observation;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

/**
 * A context's key values of one cardinality, kept as one sorted {@link KeyValues} instead of in
 * the map {@link io.micrometer.observation.Observation.Context} keeps them in. Both VConn contexts
 * answer every key value method of one cardinality from one of these.
 *
 * <p>Why: an observation starts by adding its convention's key values to an empty context and stops
 * by adding the same keys with their end values, once per transaction on the event thread. In
 * Micrometer's context each add is one {@code ConcurrentHashMap} put per key, and each read copies
 * and sorts the map's values. Here such an add keeps the added {@link KeyValues} as they are, and a
 * read returns them: no map, no copy, no sort. Any other change (a filter adding or removing one
 * key value, say) merges as the map would.
 *
 * <p><b>Threads:</b> changes replace the whole value, which a volatile field publishes, so a
 * reader on another thread sees either the key values before a change or after it. Changes from
 * two threads at once are not expected (a context is filled in by one thread at a time), and the
 * last one wins.
 */
final class ContextKeyValues {

	private volatile KeyValues keyValues = KeyValues.empty();

	/** All of them, sorted by key. */
	KeyValues all() {
		return this.keyValues;
	}

	/** The one with this key, or null. */
	@Nullable KeyValue get(String key) {
		for (KeyValue keyValue : this.keyValues) {
			if (keyValue.getKey().equals(key)) {
				return keyValue;
			}
		}
		return null;
	}

	/** Adds one, replacing the one with its key. */
	void add(KeyValue keyValue) {
		this.keyValues = this.keyValues.and(keyValue);
	}

	/** Adds these, replacing those with their keys. */
	void add(KeyValues added) {
		KeyValues current = this.keyValues;
		this.keyValues = keysWithin(current, added) ? added : current.and(added);
	}

	/** Removes those with these keys. */
	void remove(String... keys) {
		List<String> removed = Arrays.asList(keys);
		KeyValues current = this.keyValues;
		if (current.stream().anyMatch((keyValue) -> removed.contains(keyValue.getKey()))) {
			this.keyValues = KeyValues
				.of(current.stream().filter((keyValue) -> !removed.contains(keyValue.getKey())).toList());
		}
	}

	/** Whether every key of {@code some} is a key of {@code all}; both are sorted by key. */
	private static boolean keysWithin(KeyValues some, KeyValues all) {
		Iterator<KeyValue> candidates = all.iterator();
		for (KeyValue wanted : some) {
			boolean found = false;
			while (!found && candidates.hasNext()) {
				String key = candidates.next().getKey();
				// a convention's start and end values share their key strings: no need to compare them
				int order = (key == wanted.getKey()) ? 0 : key.compareTo(wanted.getKey());
				if (order > 0) {
					return false;
				}
				found = (order == 0);
			}
			if (!found) {
				return false;
			}
		}
		return true;
	}

}
