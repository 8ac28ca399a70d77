package dev.vconn;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The result of {@link VConnFactory#adopt(int)} or {@link VConnFactory#adopt(java.nio.channels.SocketChannel)}:
 * either the new {@link VConn}, or the {@link AdoptionFailureReason} and a message.
 *
 * <p><b>Ownership:</b> on success the VConn owns the socket and the caller must not use or close it
 * again. On failure the socket is exactly as it was and still the caller's to close.
 *
 * @since 0.1.0
 */
public final class Adoption {

	private final @Nullable VConn vconn;

	private final @Nullable AdoptionFailureReason reason;

	private final String message;

	private Adoption(@Nullable VConn vconn, @Nullable AdoptionFailureReason reason, String message) {
		this.vconn = vconn;
		this.reason = reason;
		this.message = message;
	}

	/**
	 * A successful adoption.
	 * @param vconn the new VConn
	 * @return the result
	 */
	public static Adoption success(VConn vconn) {
		return new Adoption(Objects.requireNonNull(vconn, "vconn"), null, "adopted");
	}

	/**
	 * A failed adoption.
	 * @param reason why it failed
	 * @param message a human-readable explanation
	 * @return the result
	 */
	public static Adoption failure(AdoptionFailureReason reason, String message) {
		return new Adoption(null, Objects.requireNonNull(reason, "reason"), Objects.requireNonNull(message, "message"));
	}

	/**
	 * Whether the socket was adopted.
	 * @return {@code true} on success
	 */
	public boolean isSuccess() {
		return this.vconn != null;
	}

	/**
	 * The new VConn.
	 * @return the VConn, or {@code null} on failure
	 */
	public @Nullable VConn vconn() {
		return this.vconn;
	}

	/**
	 * Why the adoption failed.
	 * @return the reason, or {@code null} on success
	 */
	public @Nullable AdoptionFailureReason failureReason() {
		return this.reason;
	}

	/**
	 * What happened, for logs and error messages.
	 * @return the message
	 */
	public String message() {
		return this.message;
	}

	/**
	 * The VConn, or an exception carrying the failure.
	 * @return the VConn
	 * @throws AdoptionException if the adoption failed
	 */
	public VConn orElseThrow() {
		if (this.vconn == null) {
			throw new AdoptionException(Objects.requireNonNull(this.reason), this.message);
		}
		return this.vconn;
	}

	@Override
	public String toString() {
		return isSuccess() ? "Adoption[success, vconn=" + this.vconn + "]"
				: "Adoption[failure, reason=" + this.reason + ", message=" + this.message + "]";
	}

}
