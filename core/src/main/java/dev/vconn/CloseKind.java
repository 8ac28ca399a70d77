package dev.vconn;

/**
 * Why a VConn ended: the one vocabulary of endings, reported once per VConn to
 * {@link VConnListener#onClosed} and, for the {@linkplain #isAbort() abortive} ones, first to
 * {@link VConnListener#onAborted}. A VConn aborted for a reason ends with that same reason, so
 * the metrics {@code vconn.aborts{cause=X}} and {@code vconn.closed{how=X}} count the same VConns
 * for every abortive {@code X}.
 *
 * @since 0.1.0
 */
public enum CloseKind {

	/** Closed by the application in the ordinary way, with no error or end of stream seen before. */
	CLOSE,

	/** Closed after the peer finished sending (end of stream). */
	EOS,

	/** Closed after an I/O error other than a reset by the peer. */
	ERROR,

	/**
	 * Aborted: the peer reset the connection (for an end of a {@link VConnPair}, the other end
	 * aborted).
	 */
	PEER,

	/** Aborted: the application called {@link VConn#abort(int)}. */
	API,

	/** Aborted: a timeout fired and its handler neither closed, aborted nor re-armed the VConn. */
	TIMEOUT,

	/** Aborted: the runtime shut down before the VConn ended. */
	SHUTDOWN,

	/** Aborted: an intercept gave up on the connection. */
	INTERCEPT;

	/**
	 * Whether a VConn that ended this way was aborted (ended with a reset rather than an orderly
	 * close), and reported to {@link VConnListener#onAborted} with this as its cause.
	 * @return {@code true} for {@link #PEER}, {@link #API}, {@link #TIMEOUT}, {@link #SHUTDOWN}
	 * and {@link #INTERCEPT}
	 */
	public boolean isAbort() {
		return ordinal() >= PEER.ordinal();
	}

}
