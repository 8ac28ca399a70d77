package dev.vconn.internal.vconn;

import dev.vconn.internal.runtime.LiveVConn;
import dev.vconn.internal.runtime.RuntimeCore;

/**
 * What the engine needs of every VConn it makes, beyond the public interface: a socket VConn or
 * one end of an in-memory pair, both {@link AbstractVConn}s. Their {@link NetVIO}s, the
 * {@link RuntimeCore} and tunnels rely on it.
 */
public interface ManagedVConn extends LiveVConn {

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

}
