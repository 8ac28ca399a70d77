package dev.vconn.intercept;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How one transaction of an {@link InterceptListener} ended, as given to
 * {@link TransactionObserver#onEnded}: its {@link TransactionOutcome}, which way it was served, the
 * hook that claimed it and the status the client got.
 *
 * <p><b>Threads:</b> immutable, so it may be kept and read from any thread after the callback.
 *
 * @since 0.1.0
 */
public final class TransactionResult {

	private final TransactionOutcome outcome;

	private final @Nullable TransactionPath path;

	private final @Nullable InterceptType interceptType;

	private final @Nullable String hook;

	private final int status;

	private TransactionResult(TransactionOutcome outcome, @Nullable TransactionPath path,
			@Nullable InterceptType interceptType, @Nullable String hook, int status) {
		this.outcome = Objects.requireNonNull(outcome, "outcome");
		this.path = path;
		this.interceptType = interceptType;
		this.hook = hook;
		this.status = status;
	}

	/**
	 * Creates a result, for example to test an observer.
	 * @param outcome how the transaction ended
	 * @param path which way it was routed, or {@code null} if it ended before (a hook threw)
	 * @param interceptType how a hook claimed it, or {@code null} if none did
	 * @param hook the name of the hook that claimed it or threw, or {@code null}
	 * @param status the final response status the client got, or 0 if none (handed over, abandoned)
	 * @return the result
	 */
	public static TransactionResult of(TransactionOutcome outcome, @Nullable TransactionPath path,
			@Nullable InterceptType interceptType, @Nullable String hook, int status) {
		return new TransactionResult(outcome, path, interceptType, hook, status);
	}

	/**
	 * How the transaction ended.
	 * @return the outcome
	 */
	public TransactionOutcome outcome() {
		return this.outcome;
	}

	/**
	 * Which way the transaction was routed: to the origin, a server intercept, or a connection
	 * intercept. Set once the hooks have run, whether or not the route then succeeded (an
	 * unreachable origin gives {@link TransactionPath#PASS_THROUGH} with a {@link TransactionOutcome#REJECTED}
	 * outcome and status 502).
	 * @return the path, or {@code null} if the transaction ended while the hooks ran (one threw)
	 */
	public @Nullable TransactionPath path() {
		return this.path;
	}

	/**
	 * How a hook claimed the transaction.
	 * @return the intercept type, or {@code null} if no hook claimed it
	 */
	public @Nullable InterceptType interceptType() {
		return this.interceptType;
	}

	/**
	 * The hook that claimed the transaction, or that threw on it.
	 * @return the hook's {@link InterceptHook#name()}, or {@code null} if none claimed it or threw
	 */
	public @Nullable String hook() {
		return this.hook;
	}

	/**
	 * The status of the final response the client got, whether relayed from the next hop or the
	 * listener's own error; for an {@link TransactionOutcome#ABORTED} transaction, the status of the
	 * response that was cut off.
	 * @return the status, or 0 if the client got no final response (the connection was handed over,
	 * or the transaction was abandoned)
	 */
	public int status() {
		return this.status;
	}

	@Override
	public String toString() {
		return "TransactionResult[outcome=" + this.outcome + ", path=" + this.path + ", interceptType="
				+ this.interceptType + ", hook=" + this.hook + ", status=" + this.status + "]";
	}

}
