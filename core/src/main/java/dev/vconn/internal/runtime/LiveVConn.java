package dev.vconn.internal.runtime;

import dev.vconn.CloseKind;
import dev.vconn.VConn;

/** What the runtime needs of each live VConn it tracks, whatever its kind. */
public interface LiveVConn extends VConn {

	/**
	 * Aborts with the given cause, as {@link VConn#abort(int)} does with {@link CloseKind#API}.
	 * Idempotent, callable from any thread.
	 * @param cause why, as reported to the listener
	 * @param error the error code reported with the abort
	 * @return whether this call started the abort (false if it was already closed or aborted)
	 */
	boolean abort(CloseKind cause, int error);

}
