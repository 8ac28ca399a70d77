package dev.vconn.contract;

import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;

/**
 * The buffer a read VIO fills, with one reader, and what a test consumed from it: the bytes
 * themselves (small transfers) and always their count and CRC32. {@link #drain()} runs where the
 * buffer may be touched: inside the read continuation, or holding its mutex.
 */
final class ReadSink {

	final IOBuffer buffer;

	final IOBufferReader reader;

	private final boolean keepBytes;

	private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

	private final CRC32 crc = new CRC32();

	private final byte[] chunk = new byte[64 * 1024];

	private volatile long consumed;

	ReadSink(IOBuffer buffer, boolean keepBytes) {
		this.buffer = buffer;
		this.reader = buffer.allocReader();
		this.keepBytes = keepBytes;
	}

	/** Consumes everything readable now. */
	synchronized long drain() {
		long total = 0;
		int n;
		while ((n = this.reader.read(this.chunk, 0, this.chunk.length)) > 0) {
			this.crc.update(this.chunk, 0, n);
			if (this.keepBytes) {
				this.bytes.write(this.chunk, 0, n);
			}
			total += n;
		}
		this.consumed += total;
		return total;
	}

	long consumed() {
		return this.consumed;
	}

	synchronized long crc() {
		return this.crc.getValue();
	}

	synchronized byte[] bytes() {
		return this.bytes.toByteArray();
	}

}
