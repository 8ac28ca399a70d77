package dev.vconn.contract;

import java.util.Random;
import java.util.zip.CRC32;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;

/**
 * Produces {@code total} pseudo-random bytes into the buffer a write VIO drains, a little ahead of
 * the VIO, keeping their CRC32. {@link #fill(int)} runs inside the write continuation or holding
 * its mutex.
 */
final class WriteSource {

	final IOBuffer buffer;

	final IOBufferReader reader;

	private final long total;

	private final Random random;

	private final CRC32 crc = new CRC32();

	private final byte[] chunk = new byte[32 * 1024];

	private volatile long produced;

	WriteSource(IOBuffer buffer, long total, long seed) {
		this.buffer = buffer;
		this.reader = buffer.allocReader();
		this.total = total;
		this.random = new Random(seed);
	}

	/** Adds bytes until {@code ahead} are readable or everything was produced. */
	synchronized void fill(int ahead) {
		while (this.produced < this.total && this.reader.avail() < ahead) {
			int n = (int) Math.min(this.chunk.length, this.total - this.produced);
			this.random.nextBytes(this.chunk);
			this.crc.update(this.chunk, 0, n);
			this.buffer.write(this.chunk, 0, n);
			this.produced += n;
		}
	}

	long produced() {
		return this.produced;
	}

	synchronized long crc() {
		return this.crc.getValue();
	}

}
