package dev.vconn.internal.handoff;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.sun.jna.Memory;
import com.sun.jna.Platform;
import dev.vconn.internal.net.LibC;
import org.jspecify.annotations.Nullable;

/**
 * One end of a {@code SOCK_SEQPACKET} Unix domain socket, made and used through libc with JNA:
 * each message keeps its boundaries and may carry descriptors ({@code SCM_RIGHTS}) in the same
 * {@code sendmsg}, so a frame and the sockets it describes arrive together or not at all. Sends and
 * receives block for at most the socket's timeout; descriptors received are close-on-exec.
 *
 * <p>Linux only (the layouts of {@code msghdr}, {@code cmsghdr} and {@code sockaddr_un} are those
 * of Linux on 64-bit x86 and ARM). Not thread-safe: one thread uses a connected socket at a time.
 */
final class HandoffSocket implements AutoCloseable {

	static final int SOCK_SEQPACKET = 5;

	private static final int SOCK_CLOEXEC = 02000000;

	private static final int SO_PEERCRED = 17;

	private static final int SO_RCVTIMEO = 20;

	private static final int SO_SNDTIMEO = 21;

	private static final int SCM_RIGHTS = 1;

	private static final int MSG_CTRUNC = 0x8;

	private static final int MSG_TRUNC = 0x20;

	private static final int MSG_NOSIGNAL = 0x4000;

	private static final int MSG_CMSG_CLOEXEC = 0x40000000;

	/** {@code sun_path} holds 108 bytes, the terminating NUL included. */
	private static final int MAX_PATH = 107;

	/** The largest frame either side sends or accepts. */
	static final int MAX_FRAME = 64 * 1024;

	/** The most descriptors one frame carries. */
	static final int MAX_FDS = 4;

	private static final @Nullable Throwable UNAVAILABILITY_CAUSE;

	static {
		Throwable cause = LibC.isAvailable() ? null : LibC.unavailabilityCause();
		if (cause == null && !Platform.is64Bit()) {
			cause = new UnsupportedOperationException("handing sockets over needs 64-bit Linux");
		}
		UNAVAILABILITY_CAUSE = cause;
	}

	private final int fd;

	private boolean closed;

	private HandoffSocket(int fd) {
		this.fd = fd;
	}

	/**
	 * Why sockets cannot be handed over in this process, or {@code null} if they can.
	 * @return the cause
	 */
	static @Nullable Throwable unavailabilityCause() {
		return UNAVAILABILITY_CAUSE;
	}

	/**
	 * Listens at {@code path}, replacing whatever socket file is there in one step: the socket is
	 * bound at a temporary name in the same directory, given mode 0600, then renamed over
	 * {@code path}, so the path never names a socket others may connect to.
	 * @param path the socket's path; its directory must exist and belong to this process's user
	 * @return the listening socket
	 * @throws HandoffException if the directory is not the user's, or a call fails
	 */
	static HandoffSocket listen(Path path) {
		requireAvailable();
		Path directory = path.toAbsolutePath().getParent();
		checkDirectory(path, directory);
		Path temporary = directory.resolve("." + path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
		byte[] address = address(temporary);
		int fd = check(LibC.socket(LibC.AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), "socket");
		HandoffSocket socket = new HandoffSocket(fd);
		try {
			LibC.unlink(temporary.toString());
			check(LibC.bind(fd, address, address.length), "bind " + temporary);
			check(LibC.chmod(temporary.toString(), 0600), "chmod 0600 " + temporary);
			check(LibC.listen(fd, 8), "listen");
			Files.move(temporary, path.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING,
					StandardCopyOption.ATOMIC_MOVE);
			return socket;
		}
		catch (Exception ex) {
			socket.close();
			LibC.unlink(temporary.toString());
			throw (ex instanceof HandoffException) ? (HandoffException) ex
					: new HandoffException(HandoffReason.IO, "cannot listen at " + path + ": " + ex, ex);
		}
	}

	private static void checkDirectory(Path path, @Nullable Path directory) {
		try {
			if (directory == null || !Files.isDirectory(directory)) {
				throw new HandoffException(HandoffReason.IO, "the directory of " + path + " does not exist");
			}
			int owner = (Integer) Files.getAttribute(directory, "unix:uid");
			if (owner != HandoffPeer.ownUid()) {
				throw new HandoffException(HandoffReason.IO, "the directory of " + path + " belongs to uid " + owner
						+ ", not to this process's uid " + HandoffPeer.ownUid());
			}
		}
		catch (java.io.IOException ex) {
			throw new HandoffException(HandoffReason.IO, "cannot read the owner of " + directory + ": " + ex, ex);
		}
	}

	/**
	 * Connects to the socket at {@code path}.
	 * @param path the socket's path
	 * @return the connected socket, or {@code null} when nothing listens there (no file, or a file
	 * nobody serves)
	 * @throws HandoffException if the connect fails for another reason
	 */
	static @Nullable HandoffSocket connect(Path path) {
		requireAvailable();
		byte[] address = address(path.toAbsolutePath());
		int fd = check(LibC.socket(LibC.AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), "socket");
		if (LibC.connect(fd, address, address.length) == 0) {
			return new HandoffSocket(fd);
		}
		int errno = LibC.errno();
		LibC.close(fd);
		if (errno == LibC.ENOENT || errno == LibC.ECONNREFUSED) {
			return null;
		}
		throw new HandoffException(HandoffReason.IO, "cannot connect to " + path + ": errno " + errno);
	}

	/**
	 * Waits up to {@code timeoutMillis} for a peer.
	 * @return the connected peer, or {@code null} if none came in time
	 */
	@Nullable HandoffSocket accept(int timeoutMillis) {
		int[] poll = { this.fd, LibC.POLLIN };
		int ready = LibC.poll(poll, 1, timeoutMillis);
		if (ready <= 0) {
			return null;
		}
		int peer = LibC.accept4(this.fd, null, null, SOCK_CLOEXEC);
		return (peer >= 0) ? new HandoffSocket(peer) : null;
	}

	/** The peer's {@code pid}, {@code uid} and {@code gid} as the kernel recorded them at connect. */
	int[] peerCredentials() {
		int[] credentials = new int[3];
		check(LibC.getsockopt(this.fd, LibC.SOL_SOCKET, SO_PEERCRED, credentials, new int[] { 12 }), "getsockopt(SO_PEERCRED)");
		return credentials;
	}

	/** Bounds each later send and receive. */
	void timeout(long millis) {
		long[] timeval = { millis / 1000, (millis % 1000) * 1000 };
		check(LibC.setsockopt(this.fd, LibC.SOL_SOCKET, SO_RCVTIMEO, timeval, 16), "setsockopt(SO_RCVTIMEO)");
		check(LibC.setsockopt(this.fd, LibC.SOL_SOCKET, SO_SNDTIMEO, timeval, 16), "setsockopt(SO_SNDTIMEO)");
	}

	/**
	 * Sends one message with descriptors; the descriptors stay the caller's (the peer gets copies).
	 * @throws HandoffException with {@link HandoffReason#INTERRUPTED} if the peer is gone or the send times out
	 */
	void send(byte[] frame, int... fds) {
		if (frame.length == 0 || frame.length > MAX_FRAME || fds.length > MAX_FDS) {
			throw new IllegalArgumentException("frame of " + frame.length + " bytes with " + fds.length + " fds");
		}
		try (Memory data = new Memory(frame.length); Memory header = new Memory(56); Memory iov = new Memory(16)) {
			data.write(0, frame, 0, frame.length);
			iov.setPointer(0, data);
			iov.setLong(8, frame.length);
			header.clear();
			header.setPointer(16, iov);
			header.setLong(24, 1);
			Memory control = null;
			if (fds.length > 0) {
				control = new Memory(controlSpace(fds.length));
				control.clear();
				control.setLong(0, 16 + 4L * fds.length);
				control.setInt(8, LibC.SOL_SOCKET);
				control.setInt(12, SCM_RIGHTS);
				control.write(16, fds, 0, fds.length);
				header.setPointer(32, control);
				header.setLong(40, control.size());
			}
			try {
				long sent;
				do {
					sent = LibC.sendmsg(this.fd, header, MSG_NOSIGNAL);
				}
				while (sent < 0 && LibC.errno() == LibC.EINTR);
				if (sent != frame.length) {
					int errno = LibC.errno();
					throw new HandoffException(HandoffReason.INTERRUPTED, (errno == LibC.EAGAIN) ? "the peer took no message in time"
							: "the peer is gone (sendmsg: errno " + errno + ")");
				}
			}
			finally {
				if (control != null) {
					control.close();
				}
			}
		}
	}

	/**
	 * Receives one message. Descriptors that arrive with a message that is then found malformed
	 * (truncated) are closed before this throws.
	 * @return the message, or {@code null} at the end of the stream (the peer closed or exited)
	 * @throws HandoffException with {@link HandoffReason#INTERRUPTED} on a timeout, or
	 * {@link HandoffReason#MALFORMED} for a message too large or with too many descriptors
	 */
	@Nullable Received receive() {
		try (Memory data = new Memory(MAX_FRAME + 1); Memory header = new Memory(56); Memory iov = new Memory(16);
				Memory control = new Memory(controlSpace(MAX_FDS))) {
			iov.setPointer(0, data);
			iov.setLong(8, data.size());
			header.clear();
			header.setPointer(16, iov);
			header.setLong(24, 1);
			control.clear();
			header.setPointer(32, control);
			header.setLong(40, control.size());
			long read;
			do {
				read = LibC.recvmsg(this.fd, header, MSG_CMSG_CLOEXEC);
			}
			while (read < 0 && LibC.errno() == LibC.EINTR);
			if (read < 0) {
				int errno = LibC.errno();
				throw new HandoffException(HandoffReason.INTERRUPTED, (errno == LibC.EAGAIN) ? "the peer sent nothing in time"
						: "the peer is gone (recvmsg: errno " + errno + ")");
			}
			int[] fds = receivedFds(header, control);
			int flags = header.getInt(48);
			if (read > MAX_FRAME || (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
				closeAll(fds);
				throw new HandoffException(HandoffReason.MALFORMED, "a message over " + MAX_FRAME + " bytes or "
						+ MAX_FDS + " descriptors");
			}
			if (read == 0) {
				closeAll(fds);
				return null;
			}
			return new Received(data.getByteArray(0, (int) read), fds);
		}
	}

	private static int[] receivedFds(Memory header, Memory control) {
		long length = header.getLong(40);
		List<Integer> fds = new ArrayList<>();
		long offset = 0;
		while (offset + 16 <= length) {
			long cmsgLength = control.getLong(offset);
			if (cmsgLength < 16 || offset + cmsgLength > length) {
				break;
			}
			if (control.getInt(offset + 8) == LibC.SOL_SOCKET && control.getInt(offset + 12) == SCM_RIGHTS) {
				for (long at = offset + 16; at + 4 <= offset + cmsgLength; at += 4) {
					fds.add(control.getInt(at));
				}
			}
			offset += (cmsgLength + 7) & ~7L;
		}
		return fds.stream().mapToInt(Integer::intValue).toArray();
	}

	private static long controlSpace(int fds) {
		return 16 + ((4L * fds + 7) & ~7L);
	}

	/** A message as received: its bytes and the descriptors that came with it, now the receiver's. */
	record Received(byte[] frame, int[] fds) {

		@Override
		public String toString() {
			return "Received[" + this.frame.length + " bytes, fds " + Arrays.toString(this.fds) + "]";
		}

	}

	/** Closes descriptors this process received and will not use. */
	static void closeAll(int... fds) {
		for (int received : fds) {
			LibC.close(received);
		}
	}

	/**
	 * A copy of a descriptor, close-on-exec, for the caller to own.
	 * @return the copy, or -1 if the descriptor is not open
	 */
	static int duplicate(int fd) {
		return LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, 0);
	}

	/**
	 * The inode of the file at {@code path}: tells a socket file this process made from one another
	 * process put there since.
	 * @return the inode, or {@code null} if nothing is there
	 */
	static @Nullable Object inode(Path path) {
		try {
			return Files.getAttribute(path, "unix:ino");
		}
		catch (Exception ex) {
			return null;
		}
	}

	/** Removes the socket file at {@code path} if it is there. */
	static void unlink(Path path) {
		LibC.unlink(path.toAbsolutePath().toString());
	}

	@Override
	public void close() {
		if (!this.closed) {
			this.closed = true;
			LibC.close(this.fd);
		}
	}

	private static byte[] address(Path path) {
		byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
		if (name.length > MAX_PATH) {
			throw new HandoffException(HandoffReason.IO, "the socket path " + path + " is longer than " + MAX_PATH + " bytes");
		}
		byte[] address = new byte[2 + name.length + 1];
		address[0] = LibC.AF_UNIX;
		System.arraycopy(name, 0, address, 2, name.length);
		return address;
	}

	private static void requireAvailable() {
		if (UNAVAILABILITY_CAUSE != null) {
			throw new HandoffException(HandoffReason.IO, "handing sockets over is unavailable: " + UNAVAILABILITY_CAUSE,
					UNAVAILABILITY_CAUSE);
		}
	}

	private static int check(int result, String call) {
		if (result < 0) {
			throw new HandoffException(HandoffReason.IO, call + " failed: errno " + LibC.errno());
		}
		return result;
	}

}
