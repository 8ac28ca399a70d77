package dev.vconn;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.Objects;

import io.netty.buffer.ByteBuf;

/**
 * A read position in an {@link IOBuffer} (Traffic Server's {@code TSIOBufferReader}). Each reader
 * consumes independently; the buffer releases bytes once every reader has consumed them.
 *
 * <p><b>Threads:</b> not thread-safe; the rules of its {@link IOBuffer} apply.
 *
 * @since 0.1.0
 */
public final class IOBufferReader {

	private final IOBuffer buffer;

	private long position;

	private boolean freed;

	IOBufferReader(IOBuffer buffer, long position) {
		this.buffer = buffer;
		this.position = position;
	}

	/**
	 * The buffer this reader reads.
	 * @return the buffer
	 */
	public IOBuffer buffer() {
		return this.buffer;
	}

	/**
	 * The bytes this reader can read now.
	 * @return readable bytes, 0 once the buffer or the reader is closed
	 */
	public long avail() {
		if (this.freed || this.buffer.isClosed()) {
			return 0;
		}
		return this.buffer.end() - this.position;
	}

	/**
	 * Skips {@code n} bytes.
	 * @param n bytes to skip, at most {@link #avail()}
	 */
	public void consume(long n) {
		if (n < 0 || n > avail()) {
			throw new IllegalArgumentException("cannot consume " + n + " bytes, " + avail() + " available");
		}
		this.position += n;
		this.buffer.trim();
	}

	/**
	 * Copies up to {@code length} bytes into {@code dst} and consumes them.
	 * @param dst destination
	 * @param offset where to start in {@code dst}
	 * @param length the most bytes to copy
	 * @return bytes copied
	 */
	public int read(byte[] dst, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, dst.length);
		int n = (int) Math.min(length, avail());
		int copied = this.buffer.copyOut(this.position, dst, offset, n);
		consume(copied);
		return copied;
	}

	/**
	 * Copies up to {@code dst.remaining()} bytes into {@code dst} and consumes them.
	 * @param dst destination, advanced by the bytes copied
	 * @return bytes copied
	 */
	public int read(ByteBuffer dst) {
		int limit = (int) Math.min(dst.remaining(), avail());
		ByteBuffer window = dst.slice();
		window.limit(limit);
		int copied = this.buffer.copyOut(this.position, window);
		dst.position(dst.position() + copied);
		consume(copied);
		return copied;
	}

	/**
	 * Takes the next bytes without copying: at most {@code maxLength}, and at most one internal
	 * block, so possibly fewer than {@link #avail()}. They are consumed from this reader.
	 * <p><b>Ownership:</b> the returned buffer is the caller's, who must release it.
	 * @param maxLength the most bytes to take, at least 1
	 * @return a retained slice, empty when nothing is available
	 */
	public ByteBuf readRetained(int maxLength) {
		if (maxLength < 1) {
			throw new IllegalArgumentException("maxLength must be at least 1");
		}
		if (avail() == 0) {
			return io.netty.buffer.Unpooled.EMPTY_BUFFER;
		}
		ByteBuf slice = this.buffer.retainedSliceAt(this.position, (int) Math.min(maxLength, avail()));
		consume(slice.readableBytes());
		return slice;
	}

	/**
	 * Decodes every available byte as text and consumes them. Meant for tests and small messages.
	 * @param charset the encoding
	 * @return the text
	 */
	public String readAll(Charset charset) {
		byte[] bytes = new byte[Math.toIntExact(avail())];
		read(bytes, 0, bytes.length);
		return new String(bytes, charset);
	}

	/**
	 * Detaches this reader from its buffer so that it no longer holds bytes back. Idempotent.
	 */
	public void free() {
		if (!this.freed) {
			this.freed = true;
			if (!this.buffer.isClosed()) {
				this.buffer.removeReader(this);
			}
		}
	}

	long position() {
		return this.position;
	}

}
