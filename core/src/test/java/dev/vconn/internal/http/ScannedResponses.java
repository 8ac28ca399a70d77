package dev.vconn.internal.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.jspecify.annotations.Nullable;

/**
 * Feeds origin bytes to a {@link ResponseScanner} in given pieces and records what it made of them:
 * every head as the client would get it (no connection field added), the body bytes, whether the
 * last response ended, and a refusal.
 */
final class ScannedResponses implements ResponseScanner.Sink {

	private static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

	/** A head the scanner reported, with what it decided about it. */
	record Head(String clientCopy, int status, ResponseHead.Framing framing, boolean originKeepAlive) {
	}

	final List<Head> heads = new ArrayList<>();

	final ByteArrayOutputStream body = new ByteArrayOutputStream();

	int completed;

	@Nullable String malformed;

	/** Whether the scanner reported bytes after the end of a response. */
	boolean unsolicited;

	private final boolean dechunk;

	private ScannedResponses(boolean dechunk) {
		this.dechunk = dechunk;
	}

	/** A sink that records what a scanner of the test's own reports, passing chunked bodies on as they are. */
	static ScannedResponses sink() {
		return new ScannedResponses(false);
	}

	/** Scans {@code response} to a request ({@code HEAD} when {@code headRequest}), cut after each offset of {@code cuts}. */
	static ScannedResponses scan(byte[] response, boolean headRequest, boolean dechunk, int... cuts) {
		ScannedResponses sink = new ScannedResponses(dechunk);
		ResponseScanner scanner = new ResponseScanner(ALLOC);
		scanner.expect(headRequest);
		int from = 0;
		for (int cut : cuts) {
			if (cut > from && cut < response.length) {
				sink.feed(scanner, response, from, cut);
				from = cut;
			}
		}
		sink.feed(scanner, response, from, response.length);
		scanner.release();
		return sink;
	}

	static ScannedResponses scan(String response, int... cuts) {
		return scan(response.getBytes(StandardCharsets.ISO_8859_1), false, false, cuts);
	}

	private void feed(ResponseScanner scanner, byte[] response, int from, int to) {
		ByteBuf piece = ALLOC.buffer(to - from);
		piece.writeBytes(response, from, to - from);
		if (!scanner.read(piece, this)) {
			this.unsolicited = true;
		}
	}

	@Override
	public boolean head(ResponseHead head) {
		ByteBuf copy = head.encode(ALLOC, null, this.dechunk && head.isChunked());
		try {
			this.heads.add(new Head(copy.toString(StandardCharsets.ISO_8859_1), head.status(), head.framing,
					head.originKeepAlive));
		}
		finally {
			copy.release();
		}
		return this.dechunk;
	}

	@Override
	public void body(ByteBuf bytes, boolean last) {
		try {
			byte[] array = new byte[bytes.readableBytes()];
			bytes.readBytes(array);
			this.body.writeBytes(array);
			if (last) {
				this.completed++;
			}
		}
		finally {
			bytes.release();
		}
	}

	@Override
	public void malformed(String reason) {
		this.malformed = reason;
	}

	String bodyText() {
		return this.body.toString(StandardCharsets.ISO_8859_1);
	}

	Head lastHead() {
		return this.heads.get(this.heads.size() - 1);
	}

	/** A fresh buffer, for tests that check the scanner releases what it is given. */
	static ByteBuf bytes(String text) {
		return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
	}

}
