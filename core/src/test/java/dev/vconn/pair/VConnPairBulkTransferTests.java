package dev.vconn.pair;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 64 MiB each way through a pair at once, each to a slow reader that consumes in small steps from
 * another thread: checksums equal, and memory bounded all along by the water marks.
 */
class VConnPairBulkTransferTests extends PairTestSupport {

	private static final long TOTAL = 64L * 1024 * 1024;

	private static final int READ_WATER_MARK = 64 * 1024;

	private static final int WRITE_WATER_MARK = 64 * 1024;

	private static final int CHUNK = 16 * 1024;

	private final ExecutorService slowReaders = Executors.newFixedThreadPool(2);

	private final AtomicLong maxAllocated = new AtomicLong();

	@AfterEach
	void stopReaders() {
		this.slowReaders.shutdownNow();
	}

	@Test
	@Timeout(180)
	void sixtyFourMebibytesEachWayArriveIntactToSlowReadersWithBoundedMemory() {
		VConnPair pair = VConnPair.create(this.runtime);
		OneWay toPassive = new OneWay(pair.active(), pair.passive(), 0x9E3779B97F4A7C15L);
		OneWay toActive = new OneWay(pair.passive(), pair.active(), 0xD1B54A32D192ED03L);
		toPassive.start();
		toActive.start();

		for (OneWay way : new OneWay[] { toPassive, toActive }) {
			way.writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
			way.reader.await(VConnEvent.VCONN_READ_COMPLETE);
			eventually().until(() -> way.consumed.get() == TOTAL);
			assertThat(way.receivedCrc.getValue()).as("checksum").isEqualTo(way.sentCrc.getValue());
			assertThat(way.to.bytesIn()).isEqualTo(TOTAL);
			assertThat(way.from.bytesOut()).isEqualTo(TOTAL);
			assertThat(way.maxReadAvail.get()).as("bytes waiting in the slow reader's buffer")
				.isLessThanOrEqualTo(READ_WATER_MARK);
			assertThat(way.maxHeldInPair.get()).as("bytes held in the pair")
				.isLessThanOrEqualTo(IOBuffer.DEFAULT_WATER_MARK);
			assertThat(way.maxWriteAvail.get()).as("bytes queued by the writer")
				.isLessThanOrEqualTo(WRITE_WATER_MARK + CHUNK);
			assertThat(way.reader.count(VConnEvent.VCONN_READ_READY)).as("read steps").isGreaterThan(1000);
		}
		assertThat(this.maxAllocated.get()).as("bytes allocated at once, both ways").isLessThanOrEqualTo(2 * 1024 * 1024);
		pair.active().close();
		pair.passive().close();
	}

	/** A writer on one end that tops its buffer up whenever asked, and a slow reader on the other. */
	private final class OneWay {

		final VConn from;

		final VConn to;

		final AtomicLong maxReadAvail = new AtomicLong();

		final AtomicLong maxHeldInPair = new AtomicLong();

		final AtomicLong maxWriteAvail = new AtomicLong();

		final CRC32 sentCrc = new CRC32();

		final CRC32 receivedCrc = new CRC32();

		final AtomicLong consumed = new AtomicLong();

		private final IOBuffer in = buffer(READ_WATER_MARK);

		private final IOBufferReader inReader = this.in.allocReader();

		private final IOBuffer out = buffer(WRITE_WATER_MARK);

		private final IOBufferReader outReader = this.out.allocReader();

		private final AtomicReference<VIO> readVio = new AtomicReference<>();

		private final AtomicBoolean stepQueued = new AtomicBoolean();

		private final byte[] step = new byte[CHUNK];

		private final byte[] chunk = new byte[CHUNK];

		private long generated;

		private long seed;

		final Recorder reader;

		final Recorder writer;

		OneWay(VConn from, VConn to, long seed) {
			this.from = from;
			this.to = to;
			this.seed = seed;
			// each READ_READY queues a step on another thread, which consumes at most CHUNK bytes
			// under the continuation's mutex and re-enables the read
			this.reader = recorder((event, data) -> {
				this.maxReadAvail.accumulateAndGet(this.in.maxReadAvail(), Math::max);
				this.maxHeldInPair.accumulateAndGet(from.bytesOut() - to.bytesIn(), Math::max);
				sampleAllocated();
				queueStep();
			});
			this.writer = recorder((event, data) -> {
				sampleAllocated();
				if (event == VConnEvent.VCONN_WRITE_READY) {
					topUp();
					((VIO) data).reenable();
				}
			});
		}

		void start() {
			this.reader.lock().lock();
			try {
				this.readVio.set(this.to.read(this.reader, this.in, TOTAL));
			}
			finally {
				this.reader.lock().unlock();
			}
			this.writer.lock().lock();
			try {
				topUp();
				this.from.write(this.writer, this.outReader, TOTAL);
			}
			finally {
				this.writer.lock().unlock();
			}
		}

		private void queueStep() {
			if (this.inReader.avail() > 0 && this.stepQueued.compareAndSet(false, true)) {
				VConnPairBulkTransferTests.this.slowReaders.execute(this::consumeStep);
			}
		}

		private void consumeStep() {
			this.reader.lock().lock();
			try {
				this.stepQueued.set(false);
				int n = this.inReader.read(this.step, 0, this.step.length);
				this.receivedCrc.update(this.step, 0, n);
				this.consumed.addAndGet(n);
				this.readVio.get().reenable();
				queueStep();
			}
			finally {
				this.reader.lock().unlock();
			}
		}

		/** Under the writer's mutex. */
		private void topUp() {
			while (!this.out.isHighWater() && this.generated < TOTAL) {
				for (int i = 0; i < CHUNK; i += 8) {
					long x = this.seed;
					x ^= x << 13;
					x ^= x >>> 7;
					x ^= x << 17;
					this.seed = x;
					for (int b = 0; b < 8; b++) {
						this.chunk[i + b] = (byte) (x >>> (8 * b));
					}
				}
				this.sentCrc.update(this.chunk);
				this.out.write(this.chunk);
				this.generated += CHUNK;
			}
			this.maxWriteAvail.accumulateAndGet(this.outReader.avail(), Math::max);
		}

		private void sampleAllocated() {
			VConnPairBulkTransferTests.this.maxAllocated
				.accumulateAndGet(VConnPairBulkTransferTests.this.allocator.metric().usedHeapMemory(), Math::max);
		}

	}

}
