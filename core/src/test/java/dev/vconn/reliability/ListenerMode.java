package dev.vconn.reliability;

import java.util.Locale;

import dev.vconn.intercept.InterceptListener;

/** The two ways an {@link InterceptListener} serves a connection; the suite runs its load in both. */
enum ListenerMode {

	/** Every request is a transaction; unclaimed ones go to the origin over pooled connections. */
	PER_TRANSACTION,

	/** Only the first request is offered to hooks; an unclaimed connection is tunnelled whole. */
	CONNECTION;

	/** Configures {@code builder} for this mode. */
	InterceptListener.Builder configure(InterceptListener.Builder builder) {
		return builder.perTransaction(this == PER_TRANSACTION);
	}

	/** The name figures of this mode are recorded under. */
	String key() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
