package dev.vconn;

/**
 * Where a VConn came from, as reported to {@link VConnListener}s and tagged on metrics.
 *
 * @since 0.1.0
 */
public enum AdoptionSource {

	/** A raw file descriptor: {@link VConnFactory#fdCreate(int)} or {@link VConnFactory#adopt(int)}. */
	FD,

	/** A JDK {@link java.nio.channels.SocketChannel}. */
	CHANNEL,

	/** An outgoing connection made by {@link VConnFactory#connect(java.net.SocketAddress)}. */
	CONNECT,

	/** A connection taken over by an intercept, or an end of an in-memory {@link VConnPair}. */
	INTERCEPT,

	/** A connection handed over by another process. */
	HANDOFF

}
