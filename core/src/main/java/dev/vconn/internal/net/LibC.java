package dev.vconn.internal.net;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls Netty does not expose: {@code fcntl}, {@code getsockopt}, {@code getpeername},
 * {@code getsockname}, {@code poll}, {@code close}, {@code unsetenv}, and {@code pipe2}, {@code splice} and
 * {@code read} for splicing (Netty's own splice cannot tell end of stream from "no data yet"). Linux only; constants are those of Linux on
 * x86_64 and aarch64. Each call leaves its {@code errno} in {@link Native#getLastError()}.
 */
final class LibC {

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

	static final int SOCK_STREAM = 1;

	static final int SOCK_DGRAM = 2;

	static final int AF_UNIX = 1;

	static final int AF_INET = 2;

	static final int AF_INET6 = 10;

	static final int EAGAIN = 11;

	static final int ECONNRESET = 104;

	static final int O_CLOEXEC = 02000000;

	static final int SPLICE_F_MOVE = 1;

	static final int SPLICE_F_NONBLOCK = 2;

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

	static int errno() {
		return Native.getLastError();
	}

	static native int fcntl(int fd, int cmd, int arg);

	static native int getsockopt(int fd, int level, int name, int[] value, int[] length);

	static native int setsockopt(int fd, int level, int name, int[] value, int length);

	static native int getpeername(int fd, byte[] address, int[] length);

	static native int getsockname(int fd, byte[] address, int[] length);

	/** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes, passed as two ints. */
	static native int poll(int[] fds, long count, int timeout);

	static native int close(int fd);

	static native int pipe2(int[] fds, int flags);

	/** {@code splice(2)} without offsets (both ends are sockets or pipes). */
	static native long splice(int in, com.sun.jna.Pointer inOffset, int out, com.sun.jna.Pointer outOffset, long length,
			int flags);

	static native long read(int fd, byte[] buffer, long count);

	/** Removes a variable from the process environment, the one children inherit. */
	static native int unsetenv(String name);

}
