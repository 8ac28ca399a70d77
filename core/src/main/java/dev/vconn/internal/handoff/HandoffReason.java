package dev.vconn.internal.handoff;

/** Why a handoff step did not succeed; {@link #tag()} is the {@code reason} tag of the meter. */
public enum HandoffReason {

	/** Succeeded: nothing went wrong. */
	NONE("none"),

	/** The peer runs as a uid that is neither this process's nor among the allowed ones. */
	PEER_UID("peer-uid"),

	/** The peer sent a message this protocol does not allow at that point, or a socket that is not one. */
	MALFORMED("malformed"),

	/** The peer went away or fell silent for longer than the timeout. */
	INTERRUPTED("interrupted"),

	/** The receiver could not serve or adopt what it received. */
	ADOPTION("adoption"),

	/** The other side refused the takeover (it said why in its log). */
	REFUSED_BY_PEER("refused-by-peer"),

	/** A local system call failed (socket path, permissions). */
	IO("io");

	private final String tag;

	HandoffReason(String tag) {
		this.tag = tag;
	}

	public String tag() {
		return this.tag;
	}

}
