package dev.vconn.intercept;

/**
 * What became of a transaction a hook claimed, as counted by metrics.
 *
 * @since 0.1.0
 */
public enum InterceptOutcome {

	/** The continuation received {@code NET_ACCEPT} with the connection. */
	ACCEPTED,

	/** The continuation received {@code NET_ACCEPT_FAILED}: the client left or the runtime was shutting down. */
	ACCEPT_FAILED,

	/** The hook threw; the client got a 500. */
	ERROR

}
