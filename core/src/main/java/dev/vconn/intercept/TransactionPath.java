package dev.vconn.intercept;

/**
 * Which way a transaction was served, as tagged on metrics.
 *
 * @since 0.1.0
 */
public enum TransactionPath {

	/** A hook took the whole connection with {@link Transaction#intercept}. */
	INTERCEPTED,

	/** A hook served it with {@link Transaction#serverIntercept}. */
	SERVER_INTERCEPTED,

	/** No hook claimed it: it was forwarded to the origin. */
	PASS_THROUGH

}
