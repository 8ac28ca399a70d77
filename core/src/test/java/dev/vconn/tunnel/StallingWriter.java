package dev.vconn.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import dev.vconn.testing.Payload;

/**
 * Writes a payload without blocking until the receiving side stops taking it: a write returns 0
 * and the socket then stays unwritable for a second. That is backpressure reaching the sender.
 */
final class StallingWriter {

	private final SplittableRandom random;

	private final CRC32C crc = new CRC32C();

	private final byte[] chunk = new byte[64 * 1024];

	private ByteBuffer pending = ByteBuffer.allocate(0);

	private long written;

	StallingWriter(long seed) {
		this.random = new SplittableRandom(seed);
	}

	/**
	 * Writes until stalled, or until {@code bound} bytes were written.
	 * @return whether the writer stalled before the bound
	 */
	boolean writeUntilStalled(SocketChannel channel, long bound) throws IOException {
		channel.configureBlocking(false);
		try (Selector selector = Selector.open()) {
			SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
			try {
				while (this.written < bound) {
					if (!this.pending.hasRemaining()) {
						Payload.fill(this.random, this.chunk, this.chunk.length);
						this.crc.update(this.chunk, 0, this.chunk.length);
						this.pending = ByteBuffer.wrap(this.chunk);
					}
					int n = channel.write(this.pending);
					this.written += n;
					if (n == 0) {
						int ready = selector.select(1000);
						selector.selectedKeys().clear();
						if (ready == 0) {
							return true;
						}
					}
				}
				return false;
			}
			finally {
				key.cancel();
				selector.selectNow();
			}
		}
	}

	/** Writes the rest of the chunk in hand, blocking, so the checksum covers whole chunks. */
	void finish(SocketChannel channel) throws IOException {
		channel.configureBlocking(true);
		while (this.pending.hasRemaining()) {
			this.written += channel.write(this.pending);
		}
	}

	long written() {
		return this.written;
	}

	long checksum() {
		return this.crc.getValue();
	}

}
