package dev.vconn.internal;

import dev.vconn.VConn;

/** What the engine needs of every VConn it makes, beyond the public interface. */
interface ManagedVConn extends VConn {

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

}
