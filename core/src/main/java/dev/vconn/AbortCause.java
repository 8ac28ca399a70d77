package dev.vconn;

/**
 * Why a VConn was aborted (ended with a reset rather than an orderly close).
 *
 * @since 0.1.0
 */
public enum AbortCause {

	/** The application called {@link VConn#abort(int)}. */
	API,

	/** A timeout fired and its handler neither closed, aborted nor re-armed the VConn. */
	TIMEOUT,

	/** The runtime shut down before the VConn ended. */
	SHUTDOWN,

	/** An intercept gave up on the connection. */
	INTERCEPT,

	/** The peer reset the connection. */
	PEER

}
