package dev.vconn.internal;

/**
 * Reads how many bytes a TCP socket has received from its peer and how many wait unread, from the
 * kernel: the only way to count bytes that {@code splice(2)} moves without the JVM seeing them.
 */
final class SocketCounters {

	private SocketCounters() {
	}

	/**
	 * Bytes received from the peer so far ({@code tcpi_bytes_received}), or -1 if unknown.
	 */
	static long bytesReceived(int fd) {
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
		return (info[index] & 0xffffffffL) | ((long) info[index + 1] << 32);
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
