package dev.vconn.internal.vconn;

import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.pair.PairVConn;
import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.AbortCause;
import dev.vconn.VConn;

/**
 * What the engine needs of every VConn it makes, beyond the public interface: a socket VConn
 * ({@link NetVConn}) or one end of an in-memory pair ({@link PairVConn}). Their {@link NetVIO}s,
 * the {@link RuntimeCore} and tunnels rely on it.
 */
public interface ManagedVConn extends VConn {

	/**
	 * The runtime this VConn belongs to.
	 * @return the runtime
	 */
	RuntimeCore runtime();

	/**
	 * Runs {@code task} once this VConn has released its socket, on its event thread; at once if it
	 * already has.
	 * @param task what to run
	 */
	void whenReleased(Runnable task);

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
	 * @return whether this call started the abort (false if it was already closed or aborted)
	 */
	boolean abort(AbortCause cause, int error);

}
