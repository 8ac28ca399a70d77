package dev.vconn.internal;

import dev.vconn.AbortCause;
import dev.vconn.VConn;

/**
 * A VConn whose engine lives in this package: a socket VConn ({@link NetVConn}) or one end of an
 * in-memory pair ({@link PairVConn}). It is what a {@link NetVIO} and the {@link RuntimeCore} need
 * from a VConn beyond the public interface.
 */
interface ManagedVConn extends VConn {

	/**
	 * A VIO's buffer or target changed: look at that direction again, on the VConn's event loop.
	 * Callable from any thread; never delivers an event before returning.
	 * @param vio the VIO that changed, one of this VConn's
	 */
	void schedule(NetVIO vio);

	/**
	 * Aborts with the given cause, as {@link VConn#abort(int)} does with {@link AbortCause#API}.
	 * Idempotent, callable from any thread.
	 * @param cause why, as reported to the listener
	 * @param error the error code reported with the abort
	 */
	void abort(AbortCause cause, int error);

}
