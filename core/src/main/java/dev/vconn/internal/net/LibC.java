package dev.vconn.internal.net;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls Netty does not expose: {@code fcntl}, {@code getsockopt}, {@code getpeername},
 * {@code getsockname}, {@code poll}, {@code close}, {@code unsetenv}. Linux only; constants are those of Linux on
 * x86_64 and aarch64. Each call leaves its {@code errno} in {@link Native#getLastError()}.
 */
public final class LibC {

	static final int EBADF = 9;

	static final int EINTR = 4;

	static final int ENOTSOCK = 88;

	static final int ENOTCONN = 107;

	static final int F_GETFD = 1;

	static final int F_SETFD = 2;

	static final int FD_CLOEXEC = 1;

	static final int F_GETFL = 3;

	static final int F_SETFL = 4;

	static final int F_DUPFD_CLOEXEC = 1030;

	static final int O_NONBLOCK = 04000;

	static final int SOL_SOCKET = 1;

	static final int SO_TYPE = 3;

	static final int SO_ACCEPTCONN = 30;

	static final int SO_DOMAIN = 39;

	static final int IPPROTO_TCP = 6;

	static final int TCP_NODELAY = 1;

	static final int TCP_INFO = 11;

	/** Offset of {@code tcpi_bytes_received} (u64, Linux 4.1+) in {@code struct tcp_info}. */
	static final int TCPI_BYTES_RECEIVED_OFFSET = 128;

	static final long SIOCINQ = 0x541B;

	static final int SOCK_STREAM = 1;

	static final int SOCK_DGRAM = 2;

	static final int AF_UNIX = 1;

	static final int AF_INET = 2;

	static final int AF_INET6 = 10;

	static final short POLLIN = 0x1;

	static final short POLLERR = 0x8;

	static final short POLLNVAL = 0x20;

	private static final Throwable UNAVAILABILITY_CAUSE;

	static {
		Throwable cause = null;
		try {
			if (!Platform.isLinux()) {
				throw new UnsupportedOperationException("raw descriptors are supported on Linux only");
			}
			Native.register(LibC.class, Platform.C_LIBRARY_NAME);
		}
		catch (Throwable ex) {
			cause = ex;
		}
		UNAVAILABILITY_CAUSE = cause;
	}

	private LibC() {
	}

	static boolean isAvailable() {
		return UNAVAILABILITY_CAUSE == null;
	}

	static Throwable unavailabilityCause() {
		return UNAVAILABILITY_CAUSE;
	}

	public static int errno() {
		return Native.getLastError();
	}

	static native int fcntl(int fd, int cmd, int arg);

	static native int getsockopt(int fd, int level, int name, int[] value, int[] length);

	static native int setsockopt(int fd, int level, int name, int[] value, int length);

	static native int getpeername(int fd, byte[] address, int[] length);

	static native int getsockname(int fd, byte[] address, int[] length);

	/** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes, passed as two ints. */
	static native int poll(int[] fds, long count, int timeout);

	public static native int close(int fd);

	/** Removes a variable from the process environment, the one children inherit. */
	static native int unsetenv(String name);

	static native int ioctl(int fd, long request, int[] argument);

}
