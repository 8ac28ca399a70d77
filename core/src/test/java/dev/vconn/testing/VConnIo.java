package dev.vconn.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;

/**
 * Moves a few bytes through a {@link VConn} with the public VIO API, and through the Java peers of
 * the test sockets, so that a test can check that a connection works end to end.
 */
public final class VConnIo {

	private VConnIo() {
	}

	/**
	 * Reads exactly {@code n} bytes from a VConn.
	 * @param vconn the VConn
	 * @param n how many bytes
	 * @return completed with the bytes, or exceptionally on EOS or ERROR before {@code n} bytes
	 */
	public static CompletableFuture<byte[]> read(VConn vconn, int n) {
		CompletableFuture<byte[]> result = new CompletableFuture<>();
		IOBuffer buffer = IOBuffer.create();
		IOBufferReader reader = buffer.allocReader();
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		Continuation cont = (event, data) -> {
			if (result.isDone()) {
				return;
			}
			switch (event) {
				case VCONN_READ_READY, VCONN_READ_COMPLETE -> {
					drain(reader, received);
					if (event == VConnEvent.VCONN_READ_COMPLETE || received.size() >= n) {
						buffer.close();
						result.complete(received.toByteArray());
					}
					else {
						((VIO) data).reenable();
					}
				}
				case VCONN_EOS, ERROR -> {
					drain(reader, received);
					buffer.close();
					result.completeExceptionally(
							new IllegalStateException(event + " after " + received.size() + " of " + n + " bytes"));
				}
				default -> {
				}
			}
		};
		cont.mutex().lock();
		try {
			vconn.read(cont, buffer, n);
		}
		finally {
			cont.mutex().unlock();
		}
		return result;
	}

	/**
	 * Writes all of {@code bytes} to a VConn.
	 * @param vconn the VConn
	 * @param bytes the bytes
	 * @return completed on WRITE_COMPLETE, or exceptionally on ERROR
	 */
	public static CompletableFuture<Void> write(VConn vconn, byte[] bytes) {
		CompletableFuture<Void> result = new CompletableFuture<>();
		IOBuffer buffer = IOBuffer.create();
		IOBufferReader reader = buffer.allocReader();
		buffer.write(bytes);
		Continuation cont = (event, data) -> {
			if (result.isDone()) {
				return;
			}
			switch (event) {
				case VCONN_WRITE_COMPLETE -> {
					buffer.close();
					result.complete(null);
				}
				case ERROR -> {
					buffer.close();
					result.completeExceptionally(new IllegalStateException("ERROR while writing"));
				}
				default -> {
				}
			}
		};
		cont.mutex().lock();
		try {
			vconn.write(cont, reader, bytes.length);
		}
		finally {
			cont.mutex().unlock();
		}
		return result;
	}

	/**
	 * Reads exactly {@code n} bytes from a Java socket.
	 * @param socket the socket (its SO_TIMEOUT bounds the wait)
	 * @param n how many bytes
	 * @return the bytes
	 * @throws IOException on end of stream, timeout or error
	 */
	public static byte[] readFully(Socket socket, int n) throws IOException {
		socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
		return socket.getInputStream().readNBytes(n);
	}

	/**
	 * Reads from a Java socket until end of stream.
	 * @param socket the socket (its SO_TIMEOUT bounds the wait)
	 * @return the bytes before end of stream
	 * @throws IOException on timeout or error (a reset is a {@link java.net.SocketException})
	 */
	public static byte[] readToEof(Socket socket) throws IOException {
		socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
		InputStream in = socket.getInputStream();
		return in.readAllBytes();
	}

	/**
	 * Reads exactly {@code n} bytes from a blocking JDK channel.
	 * @param channel the channel, in blocking mode
	 * @param n how many bytes
	 * @return the bytes
	 * @throws IOException on end of stream or error
	 */
	public static byte[] readFully(SocketChannel channel, int n) throws IOException {
		ByteBuffer buffer = ByteBuffer.allocate(n);
		while (buffer.hasRemaining()) {
			if (channel.read(buffer) < 0) {
				throw new IOException("end of stream after " + buffer.position() + " of " + n + " bytes");
			}
		}
		return buffer.array();
	}

	/**
	 * Writes all of {@code bytes} to a blocking JDK channel.
	 * @param channel the channel, in blocking mode
	 * @param bytes the bytes
	 * @throws IOException on error
	 */
	public static void writeFully(SocketChannel channel, byte[] bytes) throws IOException {
		ByteBuffer buffer = ByteBuffer.wrap(bytes);
		while (buffer.hasRemaining()) {
			channel.write(buffer);
		}
	}

	/**
	 * The path of a Unix domain socket address, whichever class represents it (the JDK's or
	 * Netty's).
	 * @param address the address
	 * @return the path, empty for an unnamed socket, {@code null} if not a Unix address
	 */
	public static String unixPath(SocketAddress address) {
		if (address instanceof UnixDomainSocketAddress unix) {
			return unix.getPath().toString();
		}
		if (address instanceof io.netty.channel.unix.DomainSocketAddress netty) {
			return netty.path();
		}
		return null;
	}

	private static void drain(IOBufferReader reader, ByteArrayOutputStream out) {
		byte[] chunk = new byte[(int) reader.avail()];
		int n = reader.read(chunk, 0, chunk.length);
		out.write(chunk, 0, n);
	}

}
