package dev.vconn.internal.handoff;

import org.jspecify.annotations.Nullable;

/** A handoff that cannot go on, with the reason counted on the meter. */
public final class HandoffException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** Not serialized with the exception's state beyond its name. */
	private final HandoffReason reason;

	public HandoffException(HandoffReason reason, String message) {
		this(reason, message, null);
	}

	public HandoffException(HandoffReason reason, String message, @Nullable Throwable cause) {
		super(message, cause);
		this.reason = reason;
	}

	public HandoffReason reason() {
		return this.reason;
	}

}
