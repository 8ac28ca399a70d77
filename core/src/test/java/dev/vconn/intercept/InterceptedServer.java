package dev.vconn.intercept;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import dev.vconn.testing.Payload;
import dev.vconn.testing.StreamingRoutes;
import org.jspecify.annotations.Nullable;

/**
 * What a hook hands an intercepted connection to: a tiny HTTP server written against the VIO
 * model. It records the bytes its first reads deliver, reads one request (head and Content-Length
 * body, checksummed), then answers: {@code /x/download?n=N&seed=S} streams N payload bytes (filling
 * its write buffer only up to the water mark, on WRITE_READY), anything else gets
 * "count checksum" of the body. It closes after WRITE_COMPLETE.
 */
final class InterceptedServer implements Continuation {

	private static final int CAPTURE = 64 * 1024;

	final CompletableFuture<VConn> accepted = new CompletableFuture<>();

	final CompletableFuture<Void> acceptFailed = new CompletableFuture<>();

	/** Completed with the request head once read. */
	final CompletableFuture<String> head = new CompletableFuture<>();

	/** Completed once the response was handed to the kernel and the connection closed, or failed. */
	final CompletableFuture<String> done = new CompletableFuture<>();

	private final ByteArrayOutputStream firstBytes = new ByteArrayOutputStream();

	private final ByteArrayOutputStream headBytes = new ByteArrayOutputStream();

	private final CRC32C bodyCrc = new CRC32C();

	private final byte[] chunk = new byte[64 * 1024];

	private @Nullable VConn vconn;

	private @Nullable IOBuffer in;

	private @Nullable IOBufferReader inReader;

	private @Nullable IOBuffer out;

	private @Nullable VIO writeVio;

	private int headMatched;

	private boolean headDone;

	private long bodyExpected;

	private long bodyRead;

	private boolean responding;

	private long payloadLeft;

	private @Nullable SplittableRandom payload;

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case NET_ACCEPT:
				this.vconn = (VConn) data;
				this.in = IOBuffer.create();
				this.inReader = this.in.allocReader();
				this.vconn.read(this, this.in, Long.MAX_VALUE);
				this.accepted.complete(this.vconn);
				break;
			case NET_ACCEPT_FAILED:
				this.acceptFailed.complete(null);
				break;
			case VCONN_READ_READY:
				consume();
				((VIO) data).reenable();
				break;
			case VCONN_EOS:
				consume();
				if (!this.responding) {
					finish(new IllegalStateException("end of stream before the whole request"));
				}
				break;
			case VCONN_WRITE_READY:
				fill();
				break;
			case VCONN_WRITE_COMPLETE:
				finish(null);
				break;
			default:
				finish(new IllegalStateException("unexpected " + event));
				break;
		}
	}

	/** Every byte the first reads delivered (up to 64 KiB), in order. */
	synchronized byte[] firstBytes() {
		return this.firstBytes.toByteArray();
	}

	private void consume() {
		IOBufferReader reader = this.inReader;
		byte[] buf = new byte[(int) Math.min(reader.avail(), 1 << 20)];
		while (reader.avail() > 0) {
			int n = reader.read(buf, 0, (int) Math.min(buf.length, reader.avail()));
			synchronized (this) {
				this.firstBytes.write(buf, 0, Math.min(n, Math.max(0, CAPTURE - this.firstBytes.size())));
			}
			int i = 0;
			while (!this.headDone && i < n) {
				int b = buf[i++];
				this.headBytes.write(b);
				this.headMatched = (b == ((this.headMatched % 2 == 0) ? '\r' : '\n')) ? this.headMatched + 1
						: ((b == '\r') ? 1 : 0);
				if (this.headMatched == 4) {
					this.headDone = true;
					String text = this.headBytes.toString(StandardCharsets.ISO_8859_1);
					this.bodyExpected = StreamingRoutes.contentLength(text);
					this.head.complete(text);
				}
			}
			if (this.headDone && i < n) {
				this.bodyCrc.update(buf, i, n - i);
				this.bodyRead += n - i;
			}
		}
		if (this.headDone && !this.responding && this.bodyRead >= this.bodyExpected) {
			respond();
		}
	}

	private void respond() {
		this.responding = true;
		String text = this.head.join();
		String target = text.substring(text.indexOf(' ') + 1, text.indexOf(' ', text.indexOf(' ') + 1));
		byte[] responseHead;
		byte[] body = new byte[0];
		if (target.startsWith("/x/download")) {
			this.payloadLeft = Long.parseLong(StreamingRoutes.query(target, "n"));
			this.payload = new SplittableRandom(Long.parseLong(StreamingRoutes.query(target, "seed")));
			responseHead = StreamingRoutes.responseHead(this.payloadLeft);
		}
		else {
			body = (this.bodyRead + " " + this.bodyCrc.getValue()).getBytes(StandardCharsets.US_ASCII);
			responseHead = StreamingRoutes.responseHead(body.length);
		}
		this.out = IOBuffer.create();
		this.out.write(responseHead);
		this.out.write(body);
		long total = responseHead.length + body.length + this.payloadLeft;
		this.writeVio = this.vconn.write(this, this.out.allocReader(), total);
		fill();
	}

	private void fill() {
		IOBuffer buffer = this.out;
		if (buffer == null || this.payloadLeft == 0) {
			return;
		}
		boolean added = false;
		while (this.payloadLeft > 0 && !buffer.isHighWater()) {
			int n = (int) Math.min(this.chunk.length, this.payloadLeft);
			Payload.fill(this.payload, this.chunk, n);
			buffer.write(this.chunk, 0, n);
			this.payloadLeft -= n;
			added = true;
		}
		if (added) {
			this.writeVio.reenable();
		}
	}

	private void finish(@Nullable Throwable failure) {
		if (this.vconn != null) {
			if (failure == null) {
				this.vconn.close();
			}
			else {
				this.vconn.abort(0);
			}
		}
		if (this.in != null) {
			this.in.close();
		}
		if (this.out != null) {
			this.out.close();
		}
		if (failure == null) {
			this.done.complete(this.head.getNow(""));
		}
		else {
			this.done.completeExceptionally(failure);
		}
	}

}
