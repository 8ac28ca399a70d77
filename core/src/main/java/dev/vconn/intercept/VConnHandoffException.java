package dev.vconn.intercept;

import org.jspecify.annotations.Nullable;

/**
 * A takeover through {@link VConnHandoff} that failed, or a handoff socket that cannot be served.
 * The running instance keeps serving, and nothing received is left open.
 *
 * @since 0.1.0
 */
public class VConnHandoffException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** The reason tag, as counted on {@code vconn.handoffs}. */
	private final String reason;

	/**
	 * Creates an exception.
	 * @param message what failed
	 * @param reason the reason tag ({@code peer-uid}, {@code malformed}, {@code interrupted},
	 * {@code adoption}, {@code refused-by-peer}, {@code io})
	 * @param cause the cause, or {@code null}
	 */
	public VConnHandoffException(String message, String reason, @Nullable Throwable cause) {
		super(message, cause);
		this.reason = reason;
	}

	/**
	 * Why the takeover failed.
	 * @return the reason tag, as on the {@code vconn.handoffs} meter
	 */
	public String getReason() {
		return this.reason;
	}

}
