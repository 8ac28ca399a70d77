package dev.vconn.intercept;

/**
 * Follows one transaction of an {@link InterceptListener} from its start to its end: what an
 * {@link InterceptObserver} returns from {@link InterceptObserver#onTransactionStarted}, so that
 * tracing (the Spring Boot starter's Micrometer observations) can open a span when a request head
 * is read and close it when the transaction ends, with its state kept in the observer.
 *
 * <p><b>Contract:</b> {@link #onEnded} is called exactly once for every transaction whose start was
 * reported, whatever way it ends (see {@link TransactionOutcome}), after the listener-wide
 * {@link InterceptObserver} callbacks of the same transaction.
 *
 * <p><b>Threads:</b> called on the event thread of the client's connection, the thread
 * {@link InterceptObserver#onTransactionStarted} ran on; between the two, that thread serves other
 * connections, so an observer must not leave thread-local state (such as an open tracing scope)
 * behind when its start callback returns. It must be fast and must not block; what it throws is
 * caught and logged.
 *
 * @since 0.1.0
 */
public interface TransactionObserver {

	/**
	 * An observer that ignores the end.
	 * @return the shared no-op observer
	 */
	static TransactionObserver noop() {
		return NoopTransactionObserver.INSTANCE;
	}

	/**
	 * The transaction ended.
	 * @param result how it ended, which way it was served and the status sent
	 */
	default void onEnded(TransactionResult result) {
	}

}

/** The observer {@link TransactionObserver#noop()} returns; compared by identity to skip work. */
final class NoopTransactionObserver implements TransactionObserver {

	static final TransactionObserver INSTANCE = new NoopTransactionObserver();

	private NoopTransactionObserver() {
	}

}
