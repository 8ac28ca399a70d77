package dev.vconn;

import org.jspecify.annotations.Nullable;

/**
 * A socket or VConn that {@link VConnSender} did not hand over, or a {@link VConnSender} or
 * {@link VConnReceiver} that could not be set up. Whatever was being sent is still the sender's,
 * usable as before: a VConn is attached to its event thread again, a listening descriptor was only
 * ever copied.
 *
 * @since 0.1.0
 */
public class VConnTransferException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** The reason tag (part of the serialized form). */
	private final String reason;

	/**
	 * Creates an exception.
	 * @param message what failed
	 * @param reason the reason tag, see {@link #reason()}
	 * @param cause the cause, or {@code null}
	 */
	public VConnTransferException(String message, String reason, @Nullable Throwable cause) {
		super(message, cause);
		this.reason = reason;
	}

	/**
	 * Why nothing was handed over.
	 * <ul>
	 * <li>{@code declined}: the receiver did not take this socket (its handler said no, it is
	 * closed); the exchange goes on, the next send may succeed.</li>
	 * <li>{@code adoption}: the receiver's runtime could not adopt the VConn (connection limit,
	 * shutting down, not epoll); the exchange goes on.</li>
	 * <li>{@code busy}: the VConn cannot go now (a read or write in progress, bytes still on their
	 * way to the socket, closed, shut down, in a tunnel); nothing was sent.</li>
	 * <li>{@code unsupported}: not a socket VConn on the epoll transport (an in-memory pair end, a
	 * NIO VConn), not a listening socket, or not Linux; nothing was sent.</li>
	 * <li>{@code peer-uid}: the other side runs as a uid that is neither this process's nor an
	 * allowed one; {@code refused-by-peer}: the other side refused this process.</li>
	 * <li>{@code interrupted}: the other side went away or was silent for longer than the timeout;
	 * {@code malformed}: it broke the protocol; {@code io}: a local call failed, or nothing serves
	 * the path. These end the exchange: open a new {@link VConnSender}.</li>
	 * </ul>
	 * @return the reason tag
	 */
	public String reason() {
		return this.reason;
	}

}
