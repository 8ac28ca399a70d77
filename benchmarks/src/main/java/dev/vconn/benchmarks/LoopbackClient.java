package dev.vconn.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The benchmark thread's end of a loopback connection: sends a message and waits for the answer,
 * writing and reading at once (so messages larger than the socket buffers cannot deadlock) and
 * allocating nothing per message, so that {@code -prof gc} sees the path under test.
 */
final class LoopbackClient implements AutoCloseable {

	private static final byte[] CONTENT_LENGTH = "\ncontent-length:".getBytes(StandardCharsets.US_ASCII);

	private final SocketChannel channel;

	private final Selector selector;

	private final SelectionKey key;

	private final ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);

	private final byte[] head = new byte[4096];

	private LoopbackClient(SocketChannel channel) throws IOException {
		this.channel = channel;
		channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
		channel.configureBlocking(false);
		this.selector = Selector.open();
		this.key = channel.register(this.selector, SelectionKey.OP_READ);
	}

	static LoopbackClient connect(InetSocketAddress address) {
		try {
			return new LoopbackClient(SocketChannel.open(address));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static LoopbackClient of(SocketChannel connected) {
		try {
			return new LoopbackClient(connected);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Sends {@code message} and reads as many bytes back (an echo through the path under test).
	 * @param message the bytes to send; its position and limit are left unchanged
	 * @return the last byte read, for a blackhole
	 */
	int echo(ByteBuffer message) throws IOException {
		ByteBuffer out = message.duplicate();
		long expected = out.remaining();
		long received = 0;
		int last = 0;
		while (received < expected) {
			int n = step(out, received);
			if (n > 0) {
				received += n;
				last = this.in.get(n - 1);
			}
		}
		return last;
	}

	/**
	 * Sends an HTTP/1.1 request and reads its whole response, framed by {@code Content-Length}.
	 * @param request the request bytes; its position and limit are left unchanged
	 * @return the response's length in bytes, head and body
	 */
	long exchange(ByteBuffer request) throws IOException {
		ByteBuffer out = request.duplicate();
		int headLength = 0;
		int headEnd = -1;
		long expected = Long.MAX_VALUE;
		long received = 0;
		while (received < expected) {
			int n = step(out, received);
			if (n > 0) {
				received += n;
				if (headEnd < 0) {
					int copy = Math.min(n, this.head.length - headLength);
					this.in.flip();
					this.in.get(this.head, headLength, copy);
					headLength += copy;
					headEnd = headEnd(this.head, headLength);
					if (headEnd >= 0) {
						expected = headEnd + contentLength(this.head, headEnd);
					}
					else if (headLength == this.head.length) {
						throw new IOException("response head over " + this.head.length + " bytes");
					}
				}
			}
		}
		if (received != expected) {
			throw new IOException("read " + received + " bytes, the response has " + expected);
		}
		return received;
	}

	/**
	 * Writes what the socket takes of {@code out} and reads what has arrived into {@link #in}
	 * (from its start); waits for the socket when neither moved a byte.
	 * @return the bytes read, possibly 0
	 */
	private int step(ByteBuffer out, long receivedSoFar) throws IOException {
		boolean wrote = out.hasRemaining() && this.channel.write(out) > 0;
		this.in.clear();
		int n = this.channel.read(this.in);
		if (n < 0) {
			throw new IOException("closed after " + receivedSoFar + " bytes of the answer");
		}
		if (n == 0 && !wrote) {
			await(out.hasRemaining());
		}
		return n;
	}

	private void await(boolean writing) throws IOException {
		this.key.interestOps(writing ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
		this.selector.select(1000);
		this.selector.selectedKeys().clear();
	}

	/** Index just past the blank line ending the head, or -1. */
	private static int headEnd(byte[] bytes, int length) {
		for (int i = 3; i < length; i++) {
			if (bytes[i] == '\n' && bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r') {
				return i + 1;
			}
		}
		return -1;
	}

	private static long contentLength(byte[] head, int length) throws IOException {
		byte[] name = CONTENT_LENGTH;
		outer: for (int i = 0; i + name.length < length; i++) {
			for (int j = 0; j < name.length; j++) {
				if (Character.toLowerCase(head[i + j]) != name[j]) {
					continue outer;
				}
			}
			long value = 0;
			for (int k = i + name.length; k < length && head[k] != '\r'; k++) {
				if (head[k] >= '0' && head[k] <= '9') {
					value = value * 10 + (head[k] - '0');
				}
			}
			return value;
		}
		throw new IOException("response without Content-Length");
	}

	@Override
	public void close() {
		LoopbackAcceptor.closeQuietly(this.selector);
		LoopbackAcceptor.closeQuietly(this.channel);
	}

}
