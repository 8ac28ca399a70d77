package dev.vconn.internal.vconn;

import dev.vconn.VConnListener;

/**
 * What a VConn, and a tunnel between two VConns, need of the runtime they live in: whether it
 * still runs, and where to report. The runtime implements it, so that this package needs nothing
 * from the runtime's.
 */
public interface VConnHost {

	/**
	 * Whether the runtime takes new work; false once its shutdown began.
	 * @return whether it runs
	 */
	boolean isRunning();

	/**
	 * The runtime's listeners, composed; never throws.
	 * @return the listener
	 */
	VConnListener listener();

}
