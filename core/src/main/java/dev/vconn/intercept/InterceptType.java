package dev.vconn.intercept;

/**
 * How a hook took a transaction over, as tagged on metrics.
 *
 * @since 0.1.0
 */
public enum InterceptType {

	/** {@link Transaction#intercept}: the whole client connection (Traffic Server's {@code TSHttpTxnIntercept}). */
	INTERCEPT,

	/** {@link Transaction#serverIntercept}: the origin for one transaction (Traffic Server's {@code TSHttpTxnServerIntercept}). */
	SERVER_INTERCEPT

}
