package dev.vconn;

/**
 * The lifecycle state of a {@link VConn}, as seen by monitoring.
 *
 * @since 0.1.0
 */
public enum VConnState {

	/** Both directions open. */
	OPEN,

	/** {@link VConn#shutdown(boolean, boolean)} closed the read side. */
	READ_SHUT_DOWN,

	/** {@link VConn#shutdown(boolean, boolean)} closed the write side (the peer saw FIN). */
	WRITE_SHUT_DOWN,

	/** Both sides shut down; the descriptor is still held until close. */
	SHUT_DOWN,

	/** Closed or aborted; the descriptor is released. */
	CLOSED

}
