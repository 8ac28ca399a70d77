package dev.vconn.internal.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.jspecify.annotations.Nullable;

/**
 * Reads the responses of a next hop from its bytes, as the listener relays them (those of an origin
 * connection for a pass-through, the one a server intercept writes into its pair): each
 * head is scanned once into a {@link ResponseHead} (status, framing, hop-by-hop fields), and the
 * body goes on as slices of the bytes read, chunked bodies with their chunk framing, so that nothing
 * is decoded into message objects and encoded again.
 *
 * <p>What it refuses, reported through {@link Sink#malformed} so that the client gets 502, or a
 * reset once its response started (RFC 9112): a head over {@link HttpLimits#MAX_RESPONSE_HEAD_SIZE};
 * a status line that is not {@code HTTP/1.0} or {@code HTTP/1.1} with a status from 100 to 599;
 * a field line folded onto the previous one (obs-fold), without a colon, with a name that is not a
 * token or whitespace before the colon; a field value with a control character (NUL, a bare CR);
 * an invalid or repeated {@code Content-Length}; {@code Transfer-Encoding} in an HTTP/1.0 response;
 * a malformed chunk. A response with both {@code Transfer-Encoding} and {@code Content-Length} is
 * framed by the former, its {@code Content-Length} removed, and the origin connection not reused
 * (RFC 9112 section 6.3). Transfer codings other than a final {@code chunked} leave the body
 * delimited by the connection's close.
 *
 * <p><b>Threads:</b> the next hop's event loop only (the client connection's).
 * <p><b>Ownership:</b> {@link #read} takes the buffer it is given; body slices handed to the sink
 * are the sink's.
 */
final class ResponseScanner {

	/** Where the responses go. */
	interface Sink {

		/**
		 * A response head; interim ones (1xx other than 101) come before the final one. The head is
		 * valid only during this call.
		 * @return whether a chunked body is to be delivered de-chunked (data only, no trailers)
		 */
		boolean head(ResponseHead head);

		/**
		 * Body bytes, owned by the callee; {@code last} when the response is complete (then the
		 * bytes may be empty).
		 */
		void body(ByteBuf bytes, boolean last);

		/** The next hop broke HTTP/1.1; nothing more is read from it. */
		void malformed(String reason);

	}

	/** Longest chunk-size line accepted, extensions included. */
	private static final int MAX_CHUNK_LINE = 4096;

	private enum State {

		/** No response expected: bytes from the origin are a fault. */
		IDLE, HEAD, LENGTH, CHUNK_SIZE, CHUNK_EXTENSION, CHUNK_DATA, CHUNK_DATA_END, TRAILER, CLOSE_DELIMITED, BROKEN

	}

	private final ResponseHead head = new ResponseHead();

	private final ResponseHeadRules rules = new ResponseHeadRules(this.head);

	private final ByteBufAllocator alloc;

	private State state = State.IDLE;

	private boolean headRequest;

	private boolean dechunk;

	/** Body bytes left of a Content-Length body or of the current chunk. */
	private long remaining;

	/** Bytes of the current chunk-size or trailer line so far, CR not counted. */
	private int lineLength;

	private int trailerSize;

	/** Whether a chunk-size line had a digit. */
	private boolean sizeDigits;

	/** A head that has not all arrived yet; null when none. */
	private @Nullable ByteBuf cumulation;

	/** How far into {@link #cumulation} the search for the head's end got. */
	private int searched;

	ResponseScanner(ByteBufAllocator alloc) {
		this.alloc = alloc;
	}

	/** A request was sent: its response is next. */
	void expect(boolean headRequest) {
		this.headRequest = headRequest;
		if (this.state == State.IDLE) {
			this.state = State.HEAD;
		}
	}

	/** Whether the response in progress ends with the connection's close. */
	boolean closeDelimited() {
		return this.state == State.CLOSE_DELIMITED;
	}

	/** Whether part of a response head came and the rest has not. */
	boolean insideHead() {
		return this.state == State.HEAD && this.cumulation != null;
	}

	/**
	 * Reads bytes from the origin, telling {@code sink} what they are; releases {@code in}.
	 * @return false if bytes came that no response explains (after a response's end, or before a
	 * request): the connection is not to be used further
	 */
	boolean read(ByteBuf in, Sink sink) {
		ByteBuf bytes = in;
		boolean cumulated = this.cumulation != null;
		if (cumulated) {
			bytes = this.cumulation;
			this.cumulation = null;
			bytes.writeBytes(in);
			in.release();
		}
		try {
			while (bytes.isReadable()) {
				switch (this.state) {
					case HEAD -> {
						if (!readHead(bytes, cumulated, sink)) {
							return true;
						}
					}
					case LENGTH -> readLength(bytes, sink);
					case CLOSE_DELIMITED -> sink.body(bytes.readRetainedSlice(bytes.readableBytes()), false);
					case IDLE -> {
						return false;
					}
					case BROKEN -> {
						return true;
					}
					default -> readChunked(bytes, sink);
				}
			}
			return true;
		}
		finally {
			if (this.cumulation != bytes) {
				bytes.release();
			}
		}
	}

	/** Releases what is held; the connection is gone. */
	void release() {
		if (this.cumulation != null) {
			this.cumulation.release();
			this.cumulation = null;
		}
		this.state = State.BROKEN;
	}

	private void fail(Sink sink, String reason) {
		this.state = State.BROKEN;
		sink.malformed(reason);
	}

	// ---- the head ----

	/** Reads a head if it is all there; otherwise keeps what came, and returns false. */
	private boolean readHead(ByteBuf bytes, boolean cumulated, Sink sink) {
		int start = bytes.readerIndex();
		int limit = bytes.writerIndex();
		while (start < limit && isLineEnd(bytes.getByte(start)) && this.searched == 0) {
			start++; // empty lines before a status line are ignored (RFC 9112 section 2.2)
		}
		bytes.readerIndex(start);
		int end = headEnd(bytes, start + this.searched, limit);
		if (end < 0) {
			if (limit - start > HttpLimits.MAX_RESPONSE_HEAD_SIZE) {
				fail(sink, "response head larger than " + HttpLimits.MAX_RESPONSE_HEAD_SIZE + " bytes");
				return false;
			}
			// the search goes on from the last line break that may begin the empty line
			this.searched = Math.max(0, limit - start - 2);
			if (cumulated) {
				this.cumulation = bytes; // kept, not released by read
			}
			else {
				ByteBuf held = this.alloc.buffer(Math.max(1024, (limit - start) * 2));
				held.writeBytes(bytes, start, limit - start);
				bytes.readerIndex(limit);
				this.cumulation = held;
			}
			return false;
		}
		this.searched = 0;
		if (end - start > HttpLimits.MAX_RESPONSE_HEAD_SIZE) {
			fail(sink, "response head larger than " + HttpLimits.MAX_RESPONSE_HEAD_SIZE + " bytes");
			return false;
		}
		String problem = parseHead(bytes, start, end);
		if (problem != null) {
			fail(sink, problem);
			return false;
		}
		bytes.readerIndex(end);
		ResponseHead parsed = this.head;
		boolean interim = parsed.isInterim();
		this.dechunk = sink.head(parsed);
		parsed.source = null;
		if (this.state != State.HEAD) {
			return true; // the sink let go of the connection
		}
		if (interim) {
			return true; // the final response follows
		}
		switch (parsed.framing) {
			case NONE -> end(sink, Unpooled.EMPTY_BUFFER);
			case LENGTH -> {
				this.remaining = parsed.contentLength;
				if (this.remaining == 0) {
					end(sink, Unpooled.EMPTY_BUFFER);
				}
				else {
					this.state = State.LENGTH;
				}
			}
			case CHUNKED -> startChunk();
			case CLOSE -> this.state = State.CLOSE_DELIMITED;
		}
		return true;
	}

	/** Index just past the empty line that ends a head within [from, limit), or -1. */
	private static int headEnd(ByteBuf bytes, int from, int limit) {
		int index = from;
		while (index < limit) {
			int lf = bytes.indexOf(index, limit, (byte) '\n');
			if (lf < 0 || lf + 1 >= limit) {
				return -1;
			}
			byte next = bytes.getByte(lf + 1);
			if (next == '\n') {
				return lf + 2;
			}
			if (next == '\r') {
				if (lf + 2 >= limit) {
					return -1;
				}
				if (bytes.getByte(lf + 2) == '\n') {
					return lf + 3;
				}
			}
			index = lf + 1;
		}
		return -1;
	}

	/** Fills {@link #head} from the head in [start, end); returns what is wrong with it, or null. */
	private @Nullable String parseHead(ByteBuf bytes, int start, int end) {
		this.head.reset(bytes);
		return this.rules.read(bytes, start, end, this.headRequest);
	}

	private static boolean isLineEnd(byte b) {
		return b == '\r' || b == '\n';
	}

	// ---- bodies ----

	private void readLength(ByteBuf bytes, Sink sink) {
		int n = (int) Math.min(this.remaining, bytes.readableBytes());
		this.remaining -= n;
		ByteBuf slice = bytes.readRetainedSlice(n);
		if (this.remaining == 0) {
			end(sink, slice);
		}
		else {
			sink.body(slice, false);
		}
	}

	/** The response ends with {@code bytes}. */
	private void end(Sink sink, ByteBuf bytes) {
		this.state = State.IDLE;
		sink.body(bytes, true);
	}

	private void startChunk() {
		this.state = State.CHUNK_SIZE;
		this.remaining = 0;
		this.lineLength = 0;
		this.sizeDigits = false;
	}

	/**
	 * Reads chunked framing and data. Passed through, the bytes go on as they came, one slice per
	 * read; de-chunked, only the data goes on.
	 */
	private void readChunked(ByteBuf bytes, Sink sink) {
		int from = bytes.readerIndex();
		int limit = bytes.writerIndex();
		int index = from;
		while (index < limit) {
			if (this.state == State.CHUNK_DATA) {
				int n = (int) Math.min(this.remaining, limit - index);
				if (this.dechunk) {
					sink.body(bytes.retainedSlice(index, n), false);
				}
				index += n;
				this.remaining -= n;
				if (this.remaining == 0) {
					this.state = State.CHUNK_DATA_END;
					this.lineLength = 0;
				}
				continue;
			}
			byte b = bytes.getByte(index++);
			String problem = chunkByte(b);
			if (problem != null) {
				bytes.readerIndex(limit);
				fail(sink, problem);
				return;
			}
			if (this.state == State.IDLE) {
				break; // the trailer section ended: the response is complete
			}
		}
		bytes.readerIndex(index);
		boolean last = this.state == State.IDLE;
		if (this.dechunk) {
			if (last) {
				sink.body(Unpooled.EMPTY_BUFFER, true);
			}
		}
		else {
			sink.body(bytes.retainedSlice(from, index - from), last);
		}
	}

	/** Advances the chunk framing by one byte outside chunk data; returns what is wrong, or null. */
	private @Nullable String chunkByte(byte b) {
		switch (this.state) {
			case CHUNK_SIZE -> {
				int digit = Character.digit(b, 16);
				if (digit >= 0) {
					if (this.remaining > (Long.MAX_VALUE >> 5)) {
						return "chunk size too large";
					}
					this.remaining = (this.remaining << 4) | digit;
					this.sizeDigits = true;
				}
				else if (!this.sizeDigits) {
					return "chunk size missing";
				}
				else if (b == ';' || b == ' ' || b == '\t' || b == '\r') {
					this.state = State.CHUNK_EXTENSION;
				}
				else if (b == '\n') {
					chunkSizeRead();
				}
				else {
					return "invalid chunk size";
				}
			}
			case CHUNK_EXTENSION -> {
				if (b == '\n') {
					chunkSizeRead();
				}
				else if (++this.lineLength > MAX_CHUNK_LINE) {
					return "chunk extension too long";
				}
			}
			case CHUNK_DATA_END -> {
				if (b == '\n') {
					startChunk();
				}
				else if (b != '\r' || this.lineLength++ > 0) {
					return "chunk data not followed by CRLF";
				}
			}
			case TRAILER -> {
				if (b == '\n') {
					if (this.lineLength == 0) {
						this.state = State.IDLE;
					}
					this.lineLength = 0;
				}
				else if (b != '\r') {
					this.lineLength++;
					if (++this.trailerSize > HttpLimits.MAX_RESPONSE_HEAD_SIZE) {
						return "trailer section too large";
					}
				}
			}
			default -> throw new IllegalStateException(this.state.name());
		}
		return null;
	}

	private void chunkSizeRead() {
		this.lineLength = 0;
		if (this.remaining == 0) {
			this.state = State.TRAILER;
			this.trailerSize = 0;
		}
		else {
			this.state = State.CHUNK_DATA;
		}
	}

}
