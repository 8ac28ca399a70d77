package dev.vconn;

/**
 * How a VConn ended, reported once per VConn to {@link VConnListener#onClosed}.
 *
 * @since 0.1.0
 */
public enum CloseKind {

	/** Closed by the application in the ordinary way, with no error or end of stream seen before. */
	CLOSE,

	/** Aborted: by the application, by runtime shutdown, or by an intercept. */
	ABORT,

	/** Closed after the peer finished sending (end of stream). */
	EOS,

	/** Closed after an I/O error or a reset by the peer. */
	ERROR,

	/** Aborted because a timeout fired and its handler did nothing about it. */
	TIMEOUT

}
