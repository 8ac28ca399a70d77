package dev.vconn.autoconfigure.metrics;

import java.util.Arrays;
import java.util.List;

import io.micrometer.common.docs.KeyName;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.docs.MeterDocumentation;
import org.jspecify.annotations.Nullable;

/**
 * Every meter VConn publishes, with its name, type, base unit, description and tag keys. The
 * meters are registered by {@link MicrometerVConnListener}; this enum is the single place they
 * are defined, and the metrics reference in the documentation is checked against it.
 *
 * <p>Tag values are bounded: the lower-case names of core enums ({@code AdoptionSource},
 * {@code AdoptionFailureReason}, {@code AbortCause}, {@code CloseKind}) plus {@code none},
 * {@code success}, {@code failure}, {@code in} and {@code out}. No tag ever carries an address, a
 * port, a descriptor or a connection id.
 *
 * @since 0.1.0
 */
public enum VConnMeters implements MeterDocumentation {

	/**
	 * Adoptions and connects attempted, by outcome, failure reason and source.
	 */
	ADOPTIONS("vconn.adoptions", Meter.Type.COUNTER, null,
			"Adoptions and connects attempted, by outcome, failure reason and source", Tags.OUTCOME, Tags.REASON,
			Tags.SOURCE),

	/**
	 * How long adoptions and connects took, successful or not.
	 */
	ADOPTION_DURATION("vconn.adoption.duration", Meter.Type.TIMER, null,
			"Time taken by adoptions and connects, successful or not"),

	/**
	 * VConns aborted (ended with a reset), by cause.
	 */
	ABORTS("vconn.aborts", Meter.Type.COUNTER, null, "VConns aborted, by cause", Tags.CAUSE),

	/**
	 * VConns alive now.
	 */
	ACTIVE("vconn.active", Meter.Type.GAUGE, BaseUnits.CONNECTIONS, "VConns alive now"),

	/**
	 * VConns that ended, by how they ended.
	 */
	CLOSED("vconn.closed", Meter.Type.COUNTER, null, "VConns that ended, by how they ended",
			Tags.HOW),

	/**
	 * Bytes moved through VConn sockets, by direction.
	 */
	BYTES("vconn.bytes", Meter.Type.COUNTER, BaseUnits.BYTES, "Bytes moved through VConn sockets, by direction",
			Tags.DIRECTION);

	private final String name;

	private final Meter.Type type;

	private final @Nullable String baseUnit;

	private final String description;

	private final Tags[] tags;

	VConnMeters(String name, Meter.Type type, @Nullable String baseUnit, String description, Tags... tags) {
		this.name = name;
		this.type = type;
		this.baseUnit = baseUnit;
		this.description = description;
		this.tags = tags;
	}

	@Override
	public String getName() {
		return this.name;
	}

	@Override
	public Meter.Type getType() {
		return this.type;
	}

	@Override
	public @Nullable String getBaseUnit() {
		return this.baseUnit;
	}

	@Override
	public KeyName[] getKeyNames() {
		return this.tags.clone();
	}

	/**
	 * The meter's description, as registered.
	 * @return the description
	 */
	public String getDescription() {
		return this.description;
	}

	/**
	 * The tag keys, in documentation order.
	 * @return the keys
	 */
	public List<String> getTagKeys() {
		return Arrays.stream(this.tags).map(Tags::asString).toList();
	}

	/**
	 * The tags of VConn's meters.
	 */
	public enum Tags implements KeyName {

		/** {@code success} or {@code failure}. */
		OUTCOME("outcome"),

		/** The lower-case {@code AdoptionFailureReason}, or {@code none} on success. */
		REASON("reason"),

		/** The lower-case {@code AdoptionSource}: fd, channel, connect, intercept or handoff. */
		SOURCE("source"),

		/** The lower-case {@code AbortCause}: api, timeout, shutdown, intercept or peer. */
		CAUSE("cause"),

		/** The lower-case {@code CloseKind}: close, abort, eos, error or timeout. */
		HOW("how"),

		/** {@code in} (received from peers) or {@code out} (handed to the kernel for peers). */
		DIRECTION("direction");

		private final String key;

		Tags(String key) {
			this.key = key;
		}

		@Override
		public String asString() {
			return this.key;
		}

	}

}
