package dev.vconn.intercept;

/**
 * A hook that takes part in HTTP transaction intercepts, the counterpart of a Traffic Server
 * plugin's global hook continuation. Hooks are kept, in the order they run, by an
 * {@link InterceptHookRegistry}.
 *
 * <p><b>Dispatch:</b> the {@link InterceptListener} calls {@link #onTransaction} of every registered
 * hook, in order, for each transaction it reads, until one claims it with
 * {@link Transaction#intercept}. A hook that throws ends the dispatch: the client gets a 500 and
 * the connection is closed. Callbacks may be added to this interface as default methods, so
 * implementations keep compiling.
 *
 * <p><b>Threads:</b> {@link #onTransaction} runs on the event thread of the client connection and
 * must not block. {@link #name()} may be called from any thread, as often as monitoring likes;
 * it must be cheap and return the same value every time.
 *
 * <p><b>Lifecycle:</b> a hook is active from its registration until it is unregistered; the
 * registry never closes or otherwise manages it.
 *
 * @since 0.1.0
 */
public interface InterceptHook {

	/**
	 * A short name for logs, metrics tags and the actuator endpoint. Keep it stable and bounded
	 * (a configured name, never a per-request value).
	 * <p>The default is the simple name of the implementation class, or its full name when the
	 * class is anonymous.
	 * @return the name, never empty
	 */
	default String name() {
		Class<?> type = getClass();
		String simpleName = type.getSimpleName();
		return simpleName.isEmpty() ? type.getName() : simpleName;
	}

	/**
	 * Sees a transaction: inspect it and, to take it over, call {@link Transaction#intercept}.
	 * Returning without claiming lets the next hook see it; if no hook claims it, it passes
	 * through to the origin. The default does nothing.
	 * @param txn the transaction, valid during this call
	 */
	default void onTransaction(Transaction txn) {
	}

}
