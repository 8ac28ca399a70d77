package dev.vconn.internal.handoff;

/** Told the end of each handoff step, for the {@code vconn.handoffs} meter and logs. */
@FunctionalInterface
public interface HandoffEvents {

	/**
	 * One socket (or one takeover attempt) handed over, or not.
	 * @param incoming whether this process received ({@code true}) or sent
	 * @param kind {@code listener}, {@code connection} or {@code tunnel}
	 * @param outcome {@code success}, {@code refused} (a peer this side does not trust, or a peer
	 * that refused) or {@code failed}
	 * @param reason why, {@link HandoffReason#NONE} on success
	 */
	void counted(boolean incoming, String kind, String outcome, HandoffReason reason);

}
