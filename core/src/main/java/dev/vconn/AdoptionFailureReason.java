package dev.vconn;

/**
 * Why an adoption ({@link VConnFactory#adopt(int)}, {@link VConnFactory#adopt(java.nio.channels.SocketChannel)})
 * or a connect ({@link VConnFactory#connect(java.net.SocketAddress)}) did not produce a VConn.
 *
 * <p>Whatever the reason, a failed adoption leaves the descriptor or channel exactly as it was:
 * open, same file status flags and socket options, nothing read or written, registered nowhere.
 * The caller still owns it and must close it.
 *
 * @since 0.1.0
 */
public enum AdoptionFailureReason {

	/** The descriptor number is negative, or a standard stream (0, 1, 2) that the runtime was not told to accept. */
	INVALID_FD,

	/** The descriptor is not open ({@code EBADF}). */
	BAD_FD,

	/** The descriptor is open but is not a socket (a file, a pipe, a device). */
	NOT_A_SOCKET,

	/** The socket is not a stream socket of a supported family (AF_INET, AF_INET6, AF_UNIX): UDP, raw, netlink... */
	NOT_A_STREAM_SOCKET,

	/** The socket is not connected: never connected, still connecting, already disconnected, or listening. */
	NOT_CONNECTED,

	/** The socket has a pending error ({@code SO_ERROR}), for example a reset received before adoption. */
	SOCKET_ERROR,

	/**
	 * The descriptor is owned or used by a VConn runtime of this process: a live VConn's descriptor
	 * or its duplicate, a listener socket, a connection a listener accepted or keeps to an origin, a
	 * splice pipe, or an event loop's epoll, event or timer descriptor. Or the channel is registered
	 * with a selector (adopted already, or used elsewhere). The descriptor is left as it was.
	 */
	ALREADY_ADOPTED,

	/** The runtime's maximum number of connections is reached (Traffic Server's connection throttle). */
	LIMIT_REACHED,

	/** The runtime is shutting down or closed and takes no new connections. */
	SHUTTING_DOWN,

	/** This platform or transport cannot adopt raw descriptors (no native transport). */
	UNSUPPORTED,

	/** An outgoing connection could not be established (refused, unreachable, timed out). */
	CONNECT_FAILED,

	/** An unexpected failure inside VConn; the message says what failed. */
	INTERNAL

}
