package dev.vconn.testing;

/**
 * The connected stream sockets adoption must accept.
 */
public enum SocketKind {

	/** AF_INET, connected to {@code 127.0.0.1}. */
	TCP,

	/** AF_INET6, connected to {@code ::1} (tests using it are skipped where there is no IPv6 loopback). */
	TCP6,

	/** AF_UNIX, one end of {@code socketpair(2)} (unnamed on both sides). */
	UNIX_PAIR,

	/** AF_UNIX, connected to a server bound to a path. */
	UNIX_PATH

}
