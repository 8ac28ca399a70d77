package dev.vconn.demo.intercept;

import java.net.URI;
import java.util.List;

import dev.vconn.Continuation;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.Transaction;

/**
 * The intercept example: serves every transaction from the origin through a server intercept
 * (Traffic Server's {@code TSHttpTxnServerIntercept}), except those whose path starts with one of
 * the prefixes it is told to leave alone, which pass through the listener to its own origin.
 *
 * <p>Each intercepted transaction gets its own continuation: a {@link VioIntercept} (the seed
 * plugin's VIO handlers) or a {@link TunnelIntercept} (the same with a {@code Tunnel}), as chosen
 * by {@code demo.intercept.style}.
 */
public final class InterceptExample implements InterceptHook {

	/** The hook's name, as shown in metrics and the actuator. */
	public static final String NAME = "intercept";

	private final InterceptSettings settings;

	private final Style style;

	private final List<String> passThrough;

	/**
	 * Creates the hook.
	 * @param settings what every intercept shares
	 * @param style how intercepts move bytes
	 * @param passThrough path prefixes to leave alone
	 */
	public InterceptExample(InterceptSettings settings, Style style, List<String> passThrough) {
		this.settings = settings;
		this.style = style;
		this.passThrough = List.copyOf(passThrough);
	}

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public void onTransaction(Transaction txn) {
		String path = path(txn.target());
		for (String prefix : this.passThrough) {
			if (matches(path, prefix)) {
				return;
			}
		}
		txn.serverIntercept(newIntercept());
	}

	/**
	 * The style in use.
	 * @return vio or tunnel
	 */
	public Style style() {
		return this.style;
	}

	private Continuation newIntercept() {
		return switch (this.style) {
			case VIO -> new VioIntercept(this.settings);
			case TUNNEL -> new TunnelIntercept(this.settings);
		};
	}

	/** {@code /a/b} for {@code /a/b?q} and {@code http://host/a/b?q}. */
	static String path(String target) {
		if (!target.startsWith("/")) {
			try {
				String path = URI.create(target).getRawPath();
				return (path == null || path.isEmpty()) ? "/" : path;
			}
			catch (IllegalArgumentException ex) {
				return target;
			}
		}
		int query = target.indexOf('?');
		return (query >= 0) ? target.substring(0, query) : target;
	}

	/** Whole segments only: {@code /actuator} matches {@code /actuator/health}, not {@code /actuators}. */
	static boolean matches(String path, String prefix) {
		if (prefix.endsWith("/")) {
			return path.startsWith(prefix);
		}
		return path.equals(prefix) || path.startsWith(prefix + "/");
	}

}
