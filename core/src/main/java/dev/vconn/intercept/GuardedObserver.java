package dev.vconn.intercept;

/**
 * Keeps a misbehaving observer from changing how a request is served, or from keeping the
 * observers after it from being called: what it throws is logged and dropped.
 */
final class GuardedObserver implements InterceptObserver {

	private static final System.Logger logger = System.getLogger(InterceptObserver.class.getName());

	private final InterceptObserver delegate;

	GuardedObserver(InterceptObserver delegate) {
		this.delegate = delegate;
	}

	@Override
	public TransactionObserver onTransactionStarted(Transaction txn) {
		TransactionObserver observer;
		try {
			observer = this.delegate.onTransactionStarted(txn);
		}
		catch (RuntimeException ex) {
			warn(ex);
			return TransactionObserver.noop();
		}
		if (observer == TransactionObserver.noop()) {
			return observer;
		}
		return new TransactionObserver() {
			@Override
			public void onEnded(TransactionResult result) {
				try {
					observer.onEnded(result);
				}
				catch (RuntimeException ex) {
					warn(ex);
				}
			}
		};
	}

	@Override
	public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
		try {
			this.delegate.onIntercept(hook, type, outcome);
		}
		catch (RuntimeException ex) {
			warn(ex);
		}
	}

	@Override
	public void onTransactionCompleted(TransactionPath path, int status) {
		try {
			this.delegate.onTransactionCompleted(path, status);
		}
		catch (RuntimeException ex) {
			warn(ex);
		}
	}

	@Override
	public void onListenerRejection(int status) {
		try {
			this.delegate.onListenerRejection(status);
		}
		catch (RuntimeException ex) {
			warn(ex);
		}
	}

	private void warn(RuntimeException ex) {
		logger.log(System.Logger.Level.WARNING, "InterceptObserver " + this.delegate + " threw; ignored", ex);
	}

}
