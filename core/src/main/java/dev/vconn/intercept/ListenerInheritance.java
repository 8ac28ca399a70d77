package dev.vconn.intercept;

/**
 * Whether an {@link InterceptListener} serves on a listening socket passed by its parent process
 * through systemd's socket activation protocol ({@code LISTEN_PID}, {@code LISTEN_FDS},
 * {@code LISTEN_FDNAMES}) instead of binding its address and port.
 *
 * <p>A socket is passed when {@code LISTEN_PID} is this process's id and {@code LISTEN_FDS} is at
 * least 1; the passed descriptors start at fd 3. The listener takes the one named
 * {@code vconn-listener} in {@code LISTEN_FDNAMES}, else the first. Inheriting needs the epoll
 * transport: the JDK can adopt only fd 0 as a listening channel.
 *
 * @since 0.1.0
 * @see InterceptListener.Builder#inherit(ListenerInheritance)
 */
public enum ListenerInheritance {

	/**
	 * Serve on a passed socket if there is one, else bind. On the NIO transport a passed socket is
	 * left unused (a warning is logged) and the listener binds.
	 */
	AUTO,

	/** Always bind; the socket activation variables are ignored and left as they are. */
	NEVER,

	/**
	 * Serve on a passed socket; start fails with a {@link ListenerInheritanceException} when none is
	 * passed or the transport is NIO.
	 */
	REQUIRED

}
