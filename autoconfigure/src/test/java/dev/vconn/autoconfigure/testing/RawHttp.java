package dev.vconn.autoconfigure.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Talks HTTP over a plain blocking socket, for requests no HTTP client would send (garbage,
 * oversized heads) and for reading exactly what a server sent.
 */
public final class RawHttp {

	/** How long a read may block before the test fails. */
	private static final int READ_TIMEOUT_MILLIS = 10_000;

	private RawHttp() {
	}

	/**
	 * Opens a connection to a port on 127.0.0.1 with a read timeout.
	 * @param port the port
	 * @return the connected socket
	 */
	public static Socket connect(int port) {
		try {
			Socket socket = new Socket(InetAddress.getByAddress(new byte[] { 127, 0, 0, 1 }), port);
			socket.setSoTimeout(READ_TIMEOUT_MILLIS);
			return socket;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Sends bytes on a fresh connection and reads everything the server sends until it closes.
	 * @param port the port on 127.0.0.1
	 * @param request the bytes to send
	 * @return what the server sent, as ISO-8859-1 text
	 */
	public static String exchange(int port, byte[] request) {
		try (Socket socket = connect(port)) {
			socket.getOutputStream().write(request);
			return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Sends text on a fresh connection and reads everything the server sends until it closes.
	 * @param port the port on 127.0.0.1
	 * @param request the request, as ISO-8859-1 text
	 * @return what the server sent
	 */
	public static String exchange(int port, String request) {
		return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
	}

	/**
	 * Whether nothing listens on a port any more.
	 * @param port the port on 127.0.0.1
	 * @return {@code true} when a connection is refused
	 */
	public static boolean refuses(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getByAddress(new byte[] { 127, 0, 0, 1 }), port), 5000);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
