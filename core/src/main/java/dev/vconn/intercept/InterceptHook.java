package dev.vconn.intercept;

/**
 * A hook that takes part in HTTP transaction intercepts, the counterpart of a Traffic Server
 * plugin's global hook continuation. Hooks are kept, in the order they run, by an
 * {@link InterceptHookRegistry}.
 *
 * <p><b>Evolution:</b> this interface declares only {@link #name()} for now. The callbacks that
 * receive transactions (for example {@code onTransaction(Transaction)}, from which a hook calls
 * {@code intercept} or {@code serverIntercept}) come with the HTTP intercept support and will be
 * added as default methods, so implementations written today keep compiling and simply do
 * nothing for transactions until they override them.
 *
 * <p><b>Threads:</b> {@link #name()} may be called from any thread, as often as monitoring likes;
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

}
