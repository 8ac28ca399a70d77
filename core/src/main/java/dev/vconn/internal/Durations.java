package dev.vconn.internal;

import java.time.Duration;
import java.util.Objects;

/** The checks the public builders make of the durations they are given, with one wording. */
public final class Durations {

	private Durations() {
	}

	/**
	 * @param value the duration given
	 * @param name the setting, as the message names it
	 * @return {@code value}
	 * @throws IllegalArgumentException if it is zero or negative
	 */
	public static Duration requirePositive(Duration value, String name) {
		Objects.requireNonNull(value, name);
		if (value.isZero() || value.isNegative()) {
			throw new IllegalArgumentException(name + " must be positive, was " + value);
		}
		return value;
	}

	/**
	 * @param value the duration given
	 * @param name the setting, as the message names it
	 * @return {@code value}
	 * @throws IllegalArgumentException if it is negative
	 */
	public static Duration requireNotNegative(Duration value, String name) {
		Objects.requireNonNull(value, name);
		if (value.isNegative()) {
			throw new IllegalArgumentException(name + " must not be negative, was " + value);
		}
		return value;
	}

}
