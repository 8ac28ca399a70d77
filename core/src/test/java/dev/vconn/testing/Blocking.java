package dev.vconn.testing;

/**
 * The mode a caller leaves its descriptor in before handing it over: adoption must restore it
 * exactly on failure, whichever it was.
 */
public enum Blocking {

	/** {@code O_NONBLOCK} clear, as sockets are created. */
	BLOCKING,

	/** {@code O_NONBLOCK} set by the caller beforehand. */
	NON_BLOCKING;

	/**
	 * Puts a descriptor in this mode.
	 * @param fd the descriptor
	 * @return {@code fd}
	 */
	public int apply(int fd) {
		NativeFds.setNonBlocking(fd, this == NON_BLOCKING);
		return fd;
	}

}
