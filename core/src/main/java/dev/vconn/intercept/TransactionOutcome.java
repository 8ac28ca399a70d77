package dev.vconn.intercept;

/**
 * How a transaction of an {@link InterceptListener} ended, as reported in a {@link TransactionResult}.
 *
 * @since 0.1.0
 */
public enum TransactionOutcome {

	/**
	 * The next hop's response (origin or server intercept, whatever its status) was relayed to the
	 * client in full, or the connection was handed over: to a connection intercept, or, in connection
	 * mode, to the tunnel to the origin.
	 */
	COMPLETED,

	/**
	 * The listener answered with an error status of its own before any response reached the client,
	 * and closed the connection: a hook threw (500), the origin could not be reached or failed (502),
	 * a server intercept could not be set up (503), the next hop did not answer in time (504), or the
	 * request body was malformed (400).
	 */
	REJECTED,

	/** The next hop failed after its response had started: the client's connection was reset. */
	ABORTED,

	/**
	 * The transaction ended without a response: the client left, or the listener or the runtime
	 * stopped, before it was answered or handed over.
	 */
	ABANDONED

}
