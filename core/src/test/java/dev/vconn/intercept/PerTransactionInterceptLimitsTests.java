package dev.vconn.intercept;

/**
 * The same limits in per-transaction mode, where every request of a keep-alive connection is a
 * transaction: the head of the first request is read under the same limits.
 */
class PerTransactionInterceptLimitsTests extends InterceptLimitsTests {

	@Override
	boolean perTransaction() {
		return true;
	}

}
