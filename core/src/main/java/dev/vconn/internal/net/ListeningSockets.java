package dev.vconn.internal.net;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the descriptor behind a JDK {@code ServerSocketChannel}, which the JDK keeps to itself:
 * the one socket of this process that listens at the channel's local address. Nothing is changed
 * on it; the caller gets a duplicate.
 */
public final class ListeningSockets {

	private static final int SOCKADDR_CAPACITY = 128;

	private ListeningSockets() {
	}

	/**
	 * A close-on-exec duplicate of the socket of this process listening at {@code address}, for
	 * the caller to close.
	 * @param address a TCP address a socket of this process is bound to and listens at
	 * @return the duplicate
	 * @throws IllegalArgumentException if no socket of this process, or more than one (port
	 * sharing), listens there
	 */
	public static int duplicateOf(SocketAddress address) {
		List<Integer> found = new ArrayList<>();
		try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
			for (Path entry : fds) {
				String name = entry.getFileName().toString();
				if (name.chars().allMatch(Character::isDigit) && listensAt(Integer.parseInt(name), address)) {
					found.add(Integer.parseInt(name));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalArgumentException("cannot list this process's descriptors: " + ex, ex);
		}
		if (found.size() != 1) {
			throw new IllegalArgumentException((found.isEmpty() ? "no socket" : found.size() + " sockets")
					+ " of this process listen at " + address);
		}
		int duplicate = LibC.fcntl(found.get(0), LibC.F_DUPFD_CLOEXEC, 0);
		if (duplicate < 0 || !listensAt(duplicate, address)) {
			if (duplicate >= 0) {
				LibC.close(duplicate); // the number was closed and reused meanwhile: not the socket looked for
			}
			throw new IllegalArgumentException("the socket listening at " + address + " was closed meanwhile");
		}
		return duplicate;
	}

	private static boolean listensAt(int fd, SocketAddress address) {
		if (!LibC.isListening(fd)) {
			return false;
		}
		byte[] local = new byte[SOCKADDR_CAPACITY];
		int[] length = { local.length };
		return LibC.getsockname(fd, local, length) == 0 && address.equals(FdProbe.decode(local, length[0]));
	}

}
