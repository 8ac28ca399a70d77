package dev.vconn.pair;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 64 MiB through a pair to a slow reader that consumes in small steps from another thread:
 * checksum equal, and memory bounded all along by the water marks.
 */
class VConnPairBulkTransferTests extends PairTestSupport {

	private static final long TOTAL = 64L * 1024 * 1024;

	private static final int READ_WATER_MARK = 64 * 1024;

	private static final int WRITE_WATER_MARK = 64 * 1024;

	private static final int CHUNK = 16 * 1024;

	private final ExecutorService slowReader = Executors.newSingleThreadExecutor();

	@AfterEach
	void stopReader() {
		this.slowReader.shutdownNow();
	}

	@Test
	@Timeout(120)
	void sixtyFourMebibytesArriveIntactToASlowReaderWithBoundedMemory() {
		VConnPair pair = VConnPair.create(this.runtime);
		AtomicLong maxReadAvail = new AtomicLong();
		AtomicLong maxHeldInPair = new AtomicLong();
		AtomicLong maxWriteAvail = new AtomicLong();
		AtomicLong maxAllocated = new AtomicLong();

		// the reader: each READ_READY queues a step on another thread, which consumes at most CHUNK
		// bytes under the continuation's mutex and re-enables the read
		IOBuffer in = buffer(READ_WATER_MARK);
		IOBufferReader inReader = in.allocReader();
		CRC32 receivedCrc = new CRC32();
		AtomicLong consumed = new AtomicLong();
		AtomicReference<VIO> readVio = new AtomicReference<>();
		AtomicBoolean stepQueued = new AtomicBoolean();
		byte[] step = new byte[CHUNK];
		Runnable consumeStep = new Runnable() {
			@Override
			public void run() {
				Recorder reader = (Recorder) readVio.get().continuation();
				reader.lock().lock();
				try {
					stepQueued.set(false);
					int n = inReader.read(step, 0, step.length);
					receivedCrc.update(step, 0, n);
					consumed.addAndGet(n);
					readVio.get().reenable();
					if (inReader.avail() > 0 && stepQueued.compareAndSet(false, true)) {
						VConnPairBulkTransferTests.this.slowReader.execute(this);
					}
				}
				finally {
					reader.lock().unlock();
				}
			}
		};
		Recorder reader = recorder((event, data) -> {
			maxReadAvail.accumulateAndGet(in.maxReadAvail(), Math::max);
			maxHeldInPair.accumulateAndGet(pair.active().bytesOut() - pair.passive().bytesIn(), Math::max);
			maxAllocated.accumulateAndGet(this.allocator.metric().usedHeapMemory(), Math::max);
			if (inReader.avail() > 0 && stepQueued.compareAndSet(false, true)) {
				this.slowReader.execute(consumeStep);
			}
		});

		// the writer: tops its buffer up to its water mark whenever asked
		IOBuffer out = buffer(WRITE_WATER_MARK);
		IOBufferReader outReader = out.allocReader();
		CRC32 sentCrc = new CRC32();
		long[] generated = { 0 };
		long[] seed = { 0x9E3779B97F4A7C15L };
		byte[] chunk = new byte[CHUNK];
		Runnable topUp = () -> {
			while (!out.isHighWater() && generated[0] < TOTAL) {
				for (int i = 0; i < CHUNK; i += 8) {
					long x = seed[0];
					x ^= x << 13;
					x ^= x >>> 7;
					x ^= x << 17;
					seed[0] = x;
					for (int b = 0; b < 8; b++) {
						chunk[i + b] = (byte) (x >>> (8 * b));
					}
				}
				sentCrc.update(chunk);
				out.write(chunk);
				generated[0] += CHUNK;
			}
			maxWriteAvail.accumulateAndGet(outReader.avail(), Math::max);
		};
		Recorder writer = recorder((event, data) -> {
			maxAllocated.accumulateAndGet(this.allocator.metric().usedHeapMemory(), Math::max);
			if (event == VConnEvent.VCONN_WRITE_READY) {
				topUp.run();
				((VIO) data).reenable();
			}
		});

		reader.lock().lock();
		try {
			readVio.set(pair.passive().read(reader, in, TOTAL));
		}
		finally {
			reader.lock().unlock();
		}
		writer.lock().lock();
		try {
			topUp.run();
			pair.active().write(writer, outReader, TOTAL);
		}
		finally {
			writer.lock().unlock();
		}

		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		eventually().until(() -> consumed.get() == TOTAL);

		assertThat(receivedCrc.getValue()).isEqualTo(sentCrc.getValue());
		assertThat(pair.passive().bytesIn()).isEqualTo(TOTAL);
		assertThat(pair.active().bytesOut()).isEqualTo(TOTAL);
		assertThat(maxReadAvail.get()).as("bytes waiting in the slow reader's buffer").isLessThanOrEqualTo(READ_WATER_MARK);
		assertThat(maxHeldInPair.get()).as("bytes held in the pair").isLessThanOrEqualTo(IOBuffer.DEFAULT_WATER_MARK);
		assertThat(maxWriteAvail.get()).as("bytes queued by the writer").isLessThanOrEqualTo(WRITE_WATER_MARK + CHUNK);
		assertThat(maxAllocated.get()).as("bytes allocated at once").isLessThanOrEqualTo(1024 * 1024);
		assertThat(reader.count(VConnEvent.VCONN_READ_READY)).isGreaterThan(1000);
		pair.active().close();
		pair.passive().close();
	}

}
