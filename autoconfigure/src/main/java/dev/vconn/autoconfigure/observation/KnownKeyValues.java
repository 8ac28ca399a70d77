package dev.vconn.autoconfigure.observation;

import java.util.Iterator;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

/**
 * A context's low-cardinality key values while they are known without asking its map. An
 * observation starts by adding its convention's key values to an empty context and stops by adding
 * the same keys with their end values: each time the context then holds exactly the
 * {@link KeyValues} added, already sorted, where {@link io.micrometer.observation.Observation.Context#getLowCardinalityKeyValues()}
 * would copy and sort its map's values again. The meter handler asks at the start and the stop of
 * every transaction. Any other change (a filter adding or removing one key value, say) forgets
 * them until the next such add.
 *
 * <p>Not thread-safe: used as the context is, by one thread at a time.
 */
final class KnownKeyValues {

	/** What the context holds, or null when only its map knows. */
	private @Nullable KeyValues known = KeyValues.empty();

	/** What the context holds, or null when only its map knows. */
	@Nullable KeyValues get() {
		return this.known;
	}

	/** One key value was added or removed: only the map knows now. */
	void forget() {
		this.known = null;
	}

	/**
	 * The context added {@code added} to what it held before.
	 * @param before what it held then, as {@link #get()} said before the add
	 * @param added what was added
	 */
	void added(@Nullable KeyValues before, KeyValues added) {
		if (before != null && keysWithin(before, added)) {
			this.known = added;
		}
	}

	/** Whether every key of {@code some} is a key of {@code all}; both are sorted by key. */
	private static boolean keysWithin(KeyValues some, KeyValues all) {
		Iterator<KeyValue> candidates = all.iterator();
		for (KeyValue wanted : some) {
			boolean found = false;
			while (!found && candidates.hasNext()) {
				int order = candidates.next().getKey().compareTo(wanted.getKey());
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
