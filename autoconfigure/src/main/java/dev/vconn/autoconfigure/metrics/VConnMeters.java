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
 * meters are registered by {@link MicrometerVConnListener} over a
 * {@link dev.vconn.metrics.VConnStatistics}; this enum is the single place they are defined, and
 * the metrics reference in the documentation is checked against it.
 *
 * <p>Tag values are bounded: the lower-case names of core enums ({@code AdoptionSource},
 * {@code AdoptionFailureReason}, {@code CloseKind}, {@code InterceptType},
 * {@code InterceptOutcome}, {@code TransactionPath}) plus {@code none}, {@code success},
 * {@code failure}, {@code in} and {@code out}; the names of intercept hooks, which are configured;
 * the HTTP statuses the intercept listener rejects clients with; and status classes. No tag ever carries an address, a port, a descriptor, a connection id or a request
 * path.
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
			Tags.DIRECTION),

	/**
	 * Transactions an intercept hook claimed, or threw on, by hook, intercept type and outcome.
	 */
	INTERCEPTS("vconn.intercepts", Meter.Type.COUNTER, null,
			"Transactions an intercept hook claimed or threw on, by hook, intercept type and outcome", Tags.HOOK,
			Tags.TYPE, Tags.OUTCOME),

	/**
	 * Transactions the intercept listener finished, by path and response status class.
	 */
	TRANSACTIONS("vconn.transactions", Meter.Type.COUNTER, null,
			"Transactions the intercept listener finished, by path and response status class", Tags.PATH,
			Tags.STATUS),

	/**
	 * Clients the intercept listener answered with an error status and closed, by status.
	 */
	LISTENER_REJECTIONS("vconn.listener.rejections", Meter.Type.COUNTER, null,
			"Clients the intercept listener answered with an error status and closed, by status", Tags.STATUS),

	/**
	 * Listening sockets and live connections handed from a running instance to its successor, by
	 * direction, kind, outcome and reason.
	 */
	HANDOFFS("vconn.handoffs", Meter.Type.COUNTER, null,
			"Listening sockets and live connections handed from a running instance to its successor, by direction, "
					+ "kind, outcome and reason",
			Tags.DIRECTION, Tags.KIND, Tags.OUTCOME, Tags.REASON),

	/**
	 * Tunnels moving bytes now.
	 */
	TUNNELS_ACTIVE("vconn.tunnels.active", Meter.Type.GAUGE, null, "Tunnels moving bytes now"),

	/**
	 * How long tunnels ran, from start until both sides were closed.
	 */
	TUNNEL_DURATION("vconn.tunnel.duration", Meter.Type.TIMER, null,
			"Time tunnels ran, from start until both sides were closed");

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

		/**
		 * Of {@code vconn.adoptions}: {@code success} or {@code failure}. Of
		 * {@code vconn.intercepts}: the lower-case {@code InterceptOutcome}, {@code accepted},
		 * {@code accept_failed} or {@code error}. Of {@code vconn.handoffs}: {@code success},
		 * {@code refused} or {@code failed}.
		 */
		OUTCOME("outcome"),

		/**
		 * The lower-case {@code AdoptionFailureReason}, or {@code none} on success. Of
		 * {@code vconn.handoffs}: {@code none}, {@code peer-uid}, {@code malformed},
		 * {@code interrupted}, {@code adoption}, {@code refused-by-peer} or {@code io}.
		 */
		REASON("reason"),

		/** The lower-case {@code AdoptionSource}: fd, channel, connect, intercept or handoff. */
		SOURCE("source"),

		/**
		 * The lower-case {@code CloseKind} of an abort: peer, api, timeout, shutdown or intercept;
		 * the same value as the aborted VConn's {@link #HOW}.
		 */
		CAUSE("cause"),

		/**
		 * The lower-case {@code CloseKind}: close, eos, error, or for an abort its {@link #CAUSE}
		 * (peer, api, timeout, shutdown or intercept).
		 */
		HOW("how"),

		/**
		 * Of {@code vconn.bytes}: {@code in} (received from peers) or {@code out} (handed to the
		 * kernel for peers). Of {@code vconn.handoffs}: {@code in} (received, by the successor) or
		 * {@code out} (sent, by the running instance).
		 */
		DIRECTION("direction"),

		/** Of {@code vconn.handoffs}: {@code listener}, {@code connection} or {@code tunnel}. */
		KIND("kind"),

		/**
		 * The intercept hook's {@code name()}; past 100 distinct names, {@code other}.
		 */
		HOOK("hook"),

		/** The lower-case {@code InterceptType}: {@code intercept} or {@code server_intercept}. */
		TYPE("type"),

		/**
		 * The lower-case {@code TransactionPath}: {@code intercepted}, {@code server_intercepted}
		 * or {@code pass_through}.
		 */
		PATH("path"),

		/**
		 * Of {@code vconn.listener.rejections}: the HTTP status sent, 400, 408, 431, 502 or 503. Of
		 * {@code vconn.transactions}: the class of the status sent, {@code 1xx} to {@code 5xx}, or
		 * {@code none} for a connection handed over.
		 */
		STATUS("status");

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
