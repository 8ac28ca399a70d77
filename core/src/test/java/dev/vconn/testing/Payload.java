package dev.vconn.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * Pseudo-random payloads, generated on the fly from a seed, with their checksum: a test can send
 * 100 MiB and check it arrived intact and in order without holding it in memory.
 */
public final class Payload {

	private static final int CHUNK = 64 * 1024;

	private Payload() {
	}

	/** Fills {@code buf} with the next {@code length} bytes of the stream of {@code random}. */
	public static void fill(SplittableRandom random, byte[] buf, int length) {
		int i = 0;
		while (i + 8 <= length) {
			long v = random.nextLong();
			for (int k = 0; k < 8; k++) {
				buf[i++] = (byte) (v >>> (k * 8));
			}
		}
		while (i < length) {
			buf[i++] = (byte) random.nextInt();
		}
	}

	/** The checksum of the first {@code length} bytes of the payload of {@code seed}. */
	public static long checksum(long seed, long length) {
		SplittableRandom random = new SplittableRandom(seed);
		CRC32C crc = new CRC32C();
		byte[] buf = new byte[CHUNK];
		long left = length;
		while (left > 0) {
			int n = (int) Math.min(CHUNK, left);
			fill(random, buf, n);
			crc.update(buf, 0, n);
			left -= n;
		}
		return crc.getValue();
	}

	/** Writes {@code length} bytes of the payload of {@code seed}; returns their checksum. */
	public static long write(WritableByteChannel out, long seed, long length) throws IOException {
		SplittableRandom random = new SplittableRandom(seed);
		CRC32C crc = new CRC32C();
		byte[] buf = new byte[CHUNK];
		long left = length;
		while (left > 0) {
			int n = (int) Math.min(CHUNK, left);
			fill(random, buf, n);
			crc.update(buf, 0, n);
			ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
			while (bb.hasRemaining()) {
				out.write(bb);
			}
			left -= n;
		}
		return crc.getValue();
	}

	/** Writes {@code length} bytes of the payload of {@code seed}; returns their checksum. */
	public static long write(OutputStream out, long seed, long length) throws IOException {
		SplittableRandom random = new SplittableRandom(seed);
		CRC32C crc = new CRC32C();
		byte[] buf = new byte[CHUNK];
		long left = length;
		while (left > 0) {
			int n = (int) Math.min(CHUNK, left);
			fill(random, buf, n);
			crc.update(buf, 0, n);
			out.write(buf, 0, n);
			left -= n;
		}
		out.flush();
		return crc.getValue();
	}

	/** Reads until end of stream (or {@code max} bytes); returns the count and checksum. */
	public static Received read(ReadableByteChannel in, long max) throws IOException {
		CRC32C crc = new CRC32C();
		ByteBuffer buf = ByteBuffer.allocate(CHUNK);
		long count = 0;
		while (count < max) {
			buf.clear();
			buf.limit((int) Math.min(CHUNK, max - count));
			int n = in.read(buf);
			if (n < 0) {
				break;
			}
			crc.update(buf.array(), 0, n);
			count += n;
		}
		return new Received(count, crc.getValue());
	}

	/** Reads until end of stream (or {@code max} bytes); returns the count and checksum. */
	public static Received read(InputStream in, long max) throws IOException {
		CRC32C crc = new CRC32C();
		byte[] buf = new byte[CHUNK];
		long count = 0;
		while (count < max) {
			int n = in.read(buf, 0, (int) Math.min(CHUNK, max - count));
			if (n < 0) {
				break;
			}
			crc.update(buf, 0, n);
			count += n;
		}
		return new Received(count, crc.getValue());
	}

	/** An input stream of {@code length} bytes of the payload of {@code seed}. */
	public static InputStream stream(long seed, long length) {
		return new InputStream() {
			private final SplittableRandom random = new SplittableRandom(seed);

			private final byte[] chunk = new byte[CHUNK];

			private int pos;

			private int lim;

			private long left = length;

			@Override
			public int read() {
				byte[] one = new byte[1];
				return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xff);
			}

			@Override
			public int read(byte[] b, int off, int len) {
				if (this.pos == this.lim) {
					if (this.left == 0) {
						return -1;
					}
					this.lim = (int) Math.min(CHUNK, this.left);
					fill(this.random, this.chunk, this.lim);
					this.left -= this.lim;
					this.pos = 0;
				}
				int n = Math.min(len, this.lim - this.pos);
				System.arraycopy(this.chunk, this.pos, b, off, n);
				this.pos += n;
				return n;
			}
		};
	}

	/** What a reader got. */
	public record Received(long count, long checksum) {
	}

}
