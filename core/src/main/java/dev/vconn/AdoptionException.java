package dev.vconn;

import org.jspecify.annotations.Nullable;

/**
 * Reports a failed adoption or connect as an exception: thrown by {@link Adoption#orElseThrow()}
 * and used to complete the future of {@link VConnFactory#connect(java.net.SocketAddress)}
 * exceptionally.
 *
 * @since 0.1.0
 */
public class AdoptionException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** Why the adoption or connect failed (part of the serialized form). */
	private final AdoptionFailureReason reason;

	/**
	 * Creates an exception for a failure.
	 * @param reason why it failed
	 * @param message what happened
	 */
	public AdoptionException(AdoptionFailureReason reason, String message) {
		this(reason, message, null);
	}

	/**
	 * Creates an exception for a failure with an underlying cause.
	 * @param reason why it failed
	 * @param message what happened
	 * @param cause the underlying exception
	 */
	public AdoptionException(AdoptionFailureReason reason, String message, @Nullable Throwable cause) {
		super(reason + ": " + message, cause);
		this.reason = reason;
	}

	/**
	 * Why the adoption or connect failed.
	 * @return the reason
	 */
	public AdoptionFailureReason reason() {
		return this.reason;
	}

}
