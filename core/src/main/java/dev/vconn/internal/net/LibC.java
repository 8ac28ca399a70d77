package dev.vconn.internal.net;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.jspecify.annotations.Nullable;

/**
 * The runtime's one binding to libc, for the calls Netty does not expose: {@code fcntl},
 * {@code getsockopt}, {@code getpeername}, {@code getsockname}, {@code poll}, {@code close},
 * {@code unsetenv}; {@code pipe2}, {@code splice} and {@code read} for splicing (reading into a
 * pipe: Netty's own splice, used for writing out of one, cannot tell end of stream from "no data
 * yet"); and the Unix domain socket calls of a takeover ({@code socket}, {@code bind},
 * {@code listen}, {@code accept4}, {@code connect}, {@code sendmsg}, {@code recvmsg},
 * {@code setsockopt}, {@code chmod}, {@code unlink}). Linux only; constants are those of Linux on
 * x86_64 and aarch64. Each call leaves its {@code errno} in {@link #errno()}.
 */
public final class LibC {

	static final int EBADF = 9;

	public static final int EINTR = 4;

	public static final int ENOENT = 2;

	public static final int ECONNREFUSED = 111;

	static final int ENOTSOCK = 88;

	static final int ENOTCONN = 107;

	static final int F_GETFD = 1;

	static final int F_SETFD = 2;

	static final int FD_CLOEXEC = 1;

	static final int F_GETFL = 3;

	static final int F_SETFL = 4;

	public static final int F_DUPFD_CLOEXEC = 1030;

	static final int O_NONBLOCK = 04000;

	static final int F_SETPIPE_SZ = 1031;

	static final int F_GETPIPE_SZ = 1032;

	public static final int SOL_SOCKET = 1;

	static final int SO_TYPE = 3;

	static final int SO_ACCEPTCONN = 30;

	static final int SO_DOMAIN = 39;

	static final int IPPROTO_TCP = 6;

	static final int TCP_NODELAY = 1;

	static final int SOCK_STREAM = 1;

	static final int SOCK_DGRAM = 2;

	public static final int AF_UNIX = 1;

	static final int AF_INET = 2;

	static final int AF_INET6 = 10;

	public static final int EAGAIN = 11;

	static final int ECONNRESET = 104;

	static final int EPERM = 1;

	static final int ENOMEM = 12;

	static final int O_CLOEXEC = 02000000;

	static final int SPLICE_F_MOVE = 1;

	static final int SPLICE_F_NONBLOCK = 2;

	public static final short POLLIN = 0x1;

	static final short POLLOUT = 0x4;

	static final short POLLERR = 0x8;

	static final short POLLHUP = 0x10;

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

	public static boolean isAvailable() {
		return UNAVAILABILITY_CAUSE == null;
	}

	public static Throwable unavailabilityCause() {
		return UNAVAILABILITY_CAUSE;
	}

	public static int errno() {
		return Native.getLastError();
	}

	/**
	 * Whether {@code fd} is a listening socket ({@code SO_ACCEPTCONN} set).
	 * @return false for any other descriptor, or one that is not open
	 */
	public static boolean isListening(int fd) {
		int[] listening = new int[1];
		return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, listening, new int[] { 4 }) == 0 && listening[0] == 1;
	}

	public static native int fcntl(int fd, int cmd, int arg);

	public static native int getsockopt(int fd, int level, int name, int[] value, int[] length);

	static native int setsockopt(int fd, int level, int name, int[] value, int length);

	// The same calls with out-parameters in native memory the caller keeps (addresses as longs):
	// JNA passes primitives as they are, where each Java array costs a copy in and out.

	static native int getsockopt(int fd, int level, int name, long value, long length);

	static native int getpeername(int fd, long address, long length);

	static native int getsockname(int fd, long address, long length);

	static native int poll(long fds, long count, int timeout);

	static native int getsockname(int fd, byte[] address, int[] length);

	/** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes, passed as two ints. */
	public static native int poll(int[] fds, long count, int timeout);

	public static native int close(int fd);

	static native int pipe2(int[] fds, int flags);

	/** {@code splice(2)} without offsets (both ends are sockets or pipes). */
	static native long splice(int in, Pointer inOffset, int out, Pointer outOffset, long length,
			int flags);

	static native long read(int fd, byte[] buffer, long count);

	/** Removes a variable from the process environment, the one children inherit. */
	static native int unsetenv(String name);

	public static native int socket(int domain, int type, int protocol);

	public static native int bind(int fd, byte[] address, int length);

	public static native int listen(int fd, int backlog);

	public static native int accept4(int fd, @Nullable Pointer address, @Nullable Pointer length, int flags);

	public static native int connect(int fd, byte[] address, int length);

	public static native long sendmsg(int fd, Pointer message, int flags);

	public static native long recvmsg(int fd, Pointer message, int flags);

	/** For options whose value is a {@code struct timeval} (two longs on 64-bit Linux). */
	public static native int setsockopt(int fd, int level, int name, long[] value, int length);

	public static native int chmod(String path, int mode);

	public static native int unlink(String path);

}
