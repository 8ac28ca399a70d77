package dev.vconn.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

import dev.vconn.testing.HttpWire.Message;

/**
 * A blocking HTTP/1.1 client on a plain socket: writes exactly the bytes it is given (one write
 * per call, so several requests in one call are pipelined) and reads responses with the framing
 * they came with. Reads time out after 20 seconds so that a missing response fails the test
 * instead of hanging it.
 */
public final class RawClient implements AutoCloseable {

	private final Socket socket;

	private final InputStream in;

	private final OutputStream out;

	public RawClient(InetSocketAddress address) throws IOException {
		this.socket = new Socket();
		this.socket.setTcpNoDelay(true);
		this.socket.connect(address, 5_000);
		this.socket.setSoTimeout(20_000);
		this.in = new BufferedInputStream(this.socket.getInputStream());
		this.out = this.socket.getOutputStream();
	}

	public Socket socket() {
		return this.socket;
	}

	public InputStream in() {
		return this.in;
	}

	public RawClient send(byte[] bytes) throws IOException {
		this.out.write(bytes);
		this.out.flush();
		return this;
	}

	public RawClient send(String text) throws IOException {
		return send(HttpWire.ascii(text));
	}

	/**
	 * Waits until the head of the next response has arrived and returns it, leaving it unread: the
	 * next {@link #read} still sees the whole response.
	 */
	public String awaitHead() throws IOException {
		this.in.mark(1 << 20);
		StringBuilder head = new StringBuilder();
		while (!head.toString().endsWith("\r\n\r\n")) {
			int b = this.in.read();
			if (b < 0) {
				throw new IOException("the connection ended inside a head: " + head);
			}
			head.append((char) b);
		}
		this.in.reset();
		return head.toString();
	}

	/** Reads the next response, interim (1xx) or final. */
	public Message readAny(String method) throws IOException {
		Message response = HttpWire.readResponse(this.in, method);
		if (response == null) {
			throw new IOException("the connection ended before a response");
		}
		return response;
	}

	/** Reads the next final response, skipping interim ones. */
	public Message read(String method) throws IOException {
		while (true) {
			Message response = readAny(method);
			if (response.status() >= 200 || response.status() == 101) {
				return response;
			}
		}
	}

	/** Sends {@code request} and reads the final response. */
	public Message exchange(byte[] request, String method) throws IOException {
		send(request);
		return read(method);
	}

	/** How a connection ended, as the client saw it. */
	private enum End {
		FIN, RESET, NOT_YET
	}

	/** Reads the next byte, which must be the end of the connection (after any bytes still unread, which fail the check). */
	private End awaitEnd() throws IOException {
		try {
			int b = this.in.read();
			if (b >= 0) {
				throw new IOException("unexpected byte after the response: " + (char) b);
			}
			return End.FIN;
		}
		catch (SocketTimeoutException ex) {
			return End.NOT_YET;
		}
		catch (SocketException ex) {
			return End.RESET;
		}
	}

	/**
	 * Whether the server ended the connection: the next read sees end of stream or a reset
	 * (after any bytes still unread, which fail the check).
	 */
	public boolean isClosedByPeer() throws IOException {
		return awaitEnd() != End.NOT_YET;
	}

	/**
	 * Whether the server ended the connection gracefully: the next read sees end of stream (a FIN),
	 * not a reset. Fails if the connection is still open after the read timeout.
	 */
	public boolean isClosedGracefully() throws IOException {
		End end = awaitEnd();
		if (end == End.NOT_YET) {
			throw new SocketTimeoutException("the connection is still open");
		}
		return end == End.FIN;
	}

	/** Ends sending: the server sees end of stream, and can still answer. */
	public void shutdownOutput() throws IOException {
		this.socket.shutdownOutput();
	}

	@Override
	public void close() {
		TestOrigin.closeQuietly(this.socket);
	}

}
