package dev.vconn.internal.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.jspecify.annotations.Nullable;

/**
 * One response head as {@link ResponseScanner} read it from an origin's bytes: the status, what the
 * head says about the body's framing and the origin's connection, and where each field line lies,
 * so that the client's copy is written from the origin's bytes without decoding names and values
 * into strings.
 *
 * <p><b>Lifecycle:</b> one instance per scanner, refilled for every head; valid only during
 * {@link ResponseScanner.Sink#head}, since it points into the bytes being read.
 */
final class ResponseHead {

	/** How the end of the body is found (RFC 9112 section 6.3). */
	enum Framing {

		/** No body: a response to HEAD, 1xx, 204, 304. */
		NONE,

		/** {@code Content-Length} bytes. */
		LENGTH,

		/** Chunked transfer coding, ending with the last chunk and its trailer section. */
		CHUNKED,

		/** Everything until the origin closes the connection. */
		CLOSE

	}

	private static final byte[] VERSION = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);

	private static final byte[] CONNECTION = "Connection: ".getBytes(StandardCharsets.US_ASCII);

	private static final short CRLF = ('\r' << 8) | '\n';

	/** The bytes the positions below point into. */
	@Nullable ByteBuf source;

	int status;

	/** The origin's HTTP/1.x minor version. */
	int minorVersion;

	/** Start of the status code in the status line, whose text up to {@link #statusLineEnd} the client gets. */
	int statusStart;

	int statusLineEnd;

	Framing framing = Framing.NONE;

	long contentLength;

	/** Whether the origin keeps its connection open after this response. */
	boolean originKeepAlive;

	/**
	 * Field lines, two positions each: where the line starts and where it ends (before CR LF). Sized
	 * for a typical head, and grown for a larger one: a server intercept's exchange makes one per
	 * response.
	 */
	int[] lines = new int[32];

	/** Per field line: whether it stays out of the client's copy (hop-by-hop, or framing that changes). */
	boolean[] dropped = new boolean[16];

	/** Per field line: whether it is {@code Transfer-Encoding}, left out too when the body is de-chunked. */
	boolean[] transferEncodingLine = new boolean[16];

	int fieldCount;

	void reset(ByteBuf source) {
		this.source = source;
		this.status = 0;
		this.minorVersion = 1;
		this.framing = Framing.NONE;
		this.contentLength = -1;
		this.originKeepAlive = true;
		this.fieldCount = 0;
	}

	/** Adds a field line; returns its index. */
	int addField(int start, int end) {
		int index = this.fieldCount++;
		if (index == this.dropped.length) {
			this.lines = Arrays.copyOf(this.lines, index * 4);
			this.dropped = Arrays.copyOf(this.dropped, index * 2);
			this.transferEncodingLine = Arrays.copyOf(this.transferEncodingLine, index * 2);
		}
		this.lines[index * 2] = start;
		this.lines[index * 2 + 1] = end;
		this.dropped[index] = false;
		this.transferEncodingLine[index] = false;
		return index;
	}

	int status() {
		return this.status;
	}

	/** Whether this is an interim response (1xx other than 101), followed by the final one. */
	boolean isInterim() {
		return ResponseRelay.isInterim(this.status);
	}

	/** Whether the body is chunked, so that a client that does not know chunks needs it de-chunked. */
	boolean isChunked() {
		return this.framing == Framing.CHUNKED;
	}

	/** Whether the client can find the end of this response without the connection closing. */
	boolean isFramed() {
		return this.framing != Framing.CLOSE;
	}

	/**
	 * The client's copy of this head: the listener's HTTP version, the origin's status line text and
	 * its end-to-end fields as they came, then {@code connection} as the connection field.
	 * <p><b>Ownership:</b> the returned buffer is the caller's.
	 * @param connection the value of the {@code Connection} field to add, or null for none
	 * @param dechunked whether the body goes to the client de-chunked, without its {@code Transfer-Encoding}
	 */
	ByteBuf encode(ByteBufAllocator alloc, @Nullable String connection, boolean dechunked) {
		ByteBuf in = this.source;
		int size = VERSION.length + (this.statusLineEnd - this.statusStart) + 2;
		for (int i = 0; i < this.fieldCount; i++) {
			size += this.lines[i * 2 + 1] - this.lines[i * 2] + 2;
		}
		size += (connection != null) ? CONNECTION.length + connection.length() + 2 : 0;
		ByteBuf out = alloc.buffer(size + 2);
		out.writeBytes(VERSION);
		out.writeBytes(in, this.statusStart, this.statusLineEnd - this.statusStart);
		out.writeShort(CRLF);
		for (int i = 0; i < this.fieldCount; i++) {
			if (!this.dropped[i] && !(dechunked && this.transferEncodingLine[i])) {
				int start = this.lines[i * 2];
				out.writeBytes(in, start, this.lines[i * 2 + 1] - start);
				out.writeShort(CRLF);
			}
		}
		if (connection != null) {
			out.writeBytes(CONNECTION);
			out.writeCharSequence(connection, StandardCharsets.US_ASCII);
			out.writeShort(CRLF);
		}
		out.writeShort(CRLF);
		return out;
	}

}
