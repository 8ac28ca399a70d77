package dev.vconn.internal.net;

/**
 * Reads how many bytes a TCP socket has received from its peer and how many wait unread, from the
 * kernel: the only way to count bytes that {@code splice(2)} moves without the JVM seeing them.
 */
final class SocketCounters {

	private SocketCounters() {
	}

	/** {@code tcpi_state} of a socket that has received the peer's FIN and not sent its own. */
	private static final int TCP_CLOSE_WAIT = 8;

	/**
	 * Bytes received from the peer so far ({@code tcpi_bytes_received}), or -1 if unknown.
	 */
	static long bytesReceived(int fd) {
		return bytesReceived(fd, false);
	}

	/**
	 * Data bytes received from the peer so far: {@code tcpi_bytes_received}, which counts the peer's
	 * FIN like a byte, less that FIN if the same snapshot says it has arrived; -1 if unknown. Exact
	 * only while this side has not shut down its own output (the state then no longer tells).
	 */
	static long dataReceived(int fd) {
		return bytesReceived(fd, true);
	}

	private static long bytesReceived(int fd, boolean lessFin) {
		if (!LibC.isAvailable()) {
			return -1;
		}
		int[] info = new int[64]; // struct tcp_info is under 256 bytes
		int[] length = { info.length * 4 };
		if (LibC.getsockopt(fd, LibC.IPPROTO_TCP, LibC.TCP_INFO, info, length) == -1
				|| length[0] < LibC.TCPI_BYTES_RECEIVED_OFFSET + 8) {
			return -1;
		}
		int index = LibC.TCPI_BYTES_RECEIVED_OFFSET / 4;
		// little-endian u64
		long received = (info[index] & 0xffffffffL) | ((long) info[index + 1] << 32);
		// tcpi_state is the first byte of the struct
		boolean fin = (info[0] & 0xff) == TCP_CLOSE_WAIT;
		return (lessFin && fin) ? received - 1 : received;
	}

	/**
	 * Bytes received and not yet read ({@code SIOCINQ}), or -1 if unknown.
	 */
	static long unread(int fd) {
		if (!LibC.isAvailable()) {
			return -1;
		}
		int[] value = { 0 };
		return (LibC.ioctl(fd, LibC.SIOCINQ, value) == -1) ? -1 : value[0];
	}

}
