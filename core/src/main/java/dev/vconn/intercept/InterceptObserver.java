package dev.vconn.intercept;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Observes what an {@link InterceptListener} does with the requests it reads: which hook claimed a
 * transaction and what became of the claim, how each transaction was finished, and which clients
 * were answered with an error and closed. The connections themselves (adoptions, closes, bytes,
 * tunnels) are reported one layer down, to the runtime's {@link dev.vconn.VConnListener}s.
 *
 * <p>Register observers with {@link InterceptListener.Builder#addObserver}; in a Spring Boot
 * application every {@code InterceptObserver} bean is added to the auto-configured listener.
 *
 * <p><b>Contract:</b> every method has a no-op default, so callbacks can be added without
 * breaking implementations. Each request the listener reads ends in one of: a rejection
 * ({@link #onListenerRejection}), a hook that threw ({@link #onIntercept} with
 * {@link InterceptOutcome#ERROR}), or a finished transaction ({@link #onTransactionCompleted}),
 * preceded by its claim ({@link #onIntercept}) when a hook claimed it. A client that leaves before
 * its request is served is not reported. Observers compose with {@link #then} and
 * {@link #composite}.
 *
 * <p><b>Tracing:</b> a transaction starts when the listener has read a well-formed request head
 * ({@link #onTransactionStarted}, before the hooks see it) and ends exactly once, told to the
 * {@link TransactionObserver} the start returned. Requests rejected before that (a malformed or
 * too large head, a header timeout, a client beyond the connection limit) are reported to
 * {@link #onListenerRejection} only.
 *
 * <p><b>Threads:</b> callbacks run on the event thread of the client's connection, so they must
 * be fast, thread-safe and must not block. An exception thrown by an observer is caught and logged
 * by the listener; it never changes how the request is served, nor keeps the other observers from
 * being called.
 *
 * <p><b>Lifecycle:</b> callbacks start once {@link InterceptListener.Builder#start()} returns and
 * stop after the last connection the listener served has been answered or handed over.
 *
 * @since 0.1.0
 */
public interface InterceptObserver {

	/**
	 * An observer that ignores every callback.
	 * @return the observer
	 */
	static InterceptObserver noop() {
		return new InterceptObserver() {
		};
	}

	/**
	 * The listener read a well-formed request head and is about to offer the transaction to the
	 * hooks.
	 * <p><b>Threads:</b> called on the client connection's event thread, which goes on to serve
	 * other connections between this call and the end of the transaction: leave no thread-local
	 * state behind (a tracing scope opened here must be closed before returning).
	 * <p><b>Ownership:</b> {@code txn} is valid only during this call, like it is for hooks during
	 * theirs. The observer may read it (an incoming trace context from its headers, for example) and
	 * may change its headers (to pass a trace context on to the next hop), but must not claim it:
	 * {@link Transaction#intercept} and {@link Transaction#serverIntercept} throw
	 * {@link IllegalStateException} here.
	 * @param txn the transaction
	 * @return the observer of this transaction, told exactly once how it ended;
	 * {@link TransactionObserver#noop()} (the default) to follow nothing
	 * @since 0.1.0
	 */
	default TransactionObserver onTransactionStarted(Transaction txn) {
		return TransactionObserver.noop();
	}

	/**
	 * A hook claimed a transaction, or threw.
	 * @param hook the hook's {@link InterceptHook#name()}
	 * @param type how it claimed it ({@link InterceptType#INTERCEPT} when it threw before claiming)
	 * @param outcome what became of the transaction
	 */
	default void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
	}

	/**
	 * The listener finished a transaction: the response was relayed to the client, or the
	 * connection was handed over.
	 * @param path which way it was served
	 * @param status the response status sent to the client, or 0 when the connection was handed
	 * over and the listener never saw a response
	 */
	default void onTransactionCompleted(TransactionPath path, int status) {
	}

	/**
	 * The listener answered a client with an error status and closed the connection. A hook that
	 * threw is reported to {@link #onIntercept} instead.
	 * @param status the HTTP status sent, such as 400, 408, 431, 502 or 503
	 */
	default void onListenerRejection(int status) {
	}

	/**
	 * Chains an observer after this one: each callback is passed to this observer, then to
	 * {@code other}.
	 * @param other the observer to call second
	 * @return an observer that notifies both
	 */
	default InterceptObserver then(InterceptObserver other) {
		return composite(List.of(this, Objects.requireNonNull(other, "other")));
	}

	/**
	 * Combines observers; each callback is passed to each observer in order.
	 * @param observers the observers, copied
	 * @return an observer that notifies all of them, {@link #noop()} for none
	 */
	static InterceptObserver composite(List<? extends InterceptObserver> observers) {
		List<InterceptObserver> copy = List.copyOf(observers);
		if (copy.isEmpty()) {
			return noop();
		}
		if (copy.size() == 1) {
			return copy.get(0);
		}
		return new InterceptObserver() {

			@Override
			public TransactionObserver onTransactionStarted(Transaction txn) {
				List<TransactionObserver> started = null;
				for (InterceptObserver observer : copy) {
					TransactionObserver one = observer.onTransactionStarted(txn);
					if (one != TransactionObserver.noop()) {
						started = (started != null) ? started : new ArrayList<>(copy.size());
						started.add(one);
					}
				}
				if (started == null) {
					return TransactionObserver.noop();
				}
				List<TransactionObserver> each = started;
				return new TransactionObserver() {
					@Override
					public void onEnded(TransactionResult result) {
						each.forEach((o) -> o.onEnded(result));
					}
				};
			}

			@Override
			public void onIntercept(String hook, InterceptType type, InterceptOutcome outcome) {
				copy.forEach((o) -> o.onIntercept(hook, type, outcome));
			}

			@Override
			public void onTransactionCompleted(TransactionPath path, int status) {
				copy.forEach((o) -> o.onTransactionCompleted(path, status));
			}

			@Override
			public void onListenerRejection(int status) {
				copy.forEach((o) -> o.onListenerRejection(status));
			}

		};
	}

}
