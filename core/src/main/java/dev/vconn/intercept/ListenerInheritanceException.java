package dev.vconn.intercept;

/**
 * Thrown by {@link InterceptListener.Builder#start()} when the listener cannot serve on an inherited
 * listening socket: the passed descriptor is not an open, listening TCP stream socket, none was
 * passed under {@link ListenerInheritance#REQUIRED}, or the transport cannot adopt one (NIO).
 * A descriptor that fails the checks is left open and otherwise unchanged, apart from being marked
 * close-on-exec.
 *
 * @since 0.1.0
 */
public class ListenerInheritanceException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	/** The inheritance asked for (part of the serialized form). */
	private final ListenerInheritance inheritance;

	/** The descriptor that failed the checks, or -1 (part of the serialized form). */
	private final int fd;

	/**
	 * Creates an exception.
	 * @param message what is wrong, naming the descriptor and the variables read
	 * @param inheritance the inheritance asked for
	 * @param fd the descriptor that failed the checks, or -1 when none was usable
	 */
	public ListenerInheritanceException(String message, ListenerInheritance inheritance, int fd) {
		super(message);
		this.inheritance = inheritance;
		this.fd = fd;
	}

	/**
	 * The inheritance asked for.
	 * @return {@link ListenerInheritance#AUTO} or {@link ListenerInheritance#REQUIRED}
	 */
	public ListenerInheritance getInheritance() {
		return this.inheritance;
	}

	/**
	 * The descriptor that failed the checks.
	 * @return its number, or -1 when no passed descriptor was usable at all
	 */
	public int getFd() {
		return this.fd;
	}

}
