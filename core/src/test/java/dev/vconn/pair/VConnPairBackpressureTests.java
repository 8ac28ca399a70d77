package dev.vconn.pair;

import java.io.ByteArrayOutputStream;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VIO;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Water marks: a read stops at its buffer's water mark, a write stops when the pair is full. */
class VConnPairBackpressureTests extends PairTestSupport {

	@Test
	void readPausesAtItsBufferWaterMarkAndResumesOnReenable() {
		VConnPair pair = pair();
		IOBuffer in = buffer(1000);
		IOBufferReader inReader = in.allocReader();
		Recorder reader = recorder();
		VIO readVio = pair.passive().read(reader, in, Long.MAX_VALUE);
		Recorder writer = recorder();
		pair.active().write(writer, bufferWith("x".repeat(2500)), 2500);

		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		eventually().until(() -> readVio.ndone() == 1000);
		fence();
		assertThat(readVio.ndone()).isEqualTo(1000);
		assertThat(reader.types()).containsExactly(VConnEvent.VCONN_READ_READY);

		reader.lock().lock();
		try {
			assertThat(in.maxReadAvail()).isEqualTo(1000);
			inReader.consume(600);
			readVio.reenable();
		}
		finally {
			reader.lock().unlock();
		}
		eventually().until(() -> readVio.ndone() == 1600);
		fence();
		assertThat(readVio.ndone()).isEqualTo(1600);
		assertThat(in.maxReadAvail()).isEqualTo(1000);

		reader.lock().lock();
		try {
			inReader.consume(1000);
			readVio.reenable();
		}
		finally {
			reader.lock().unlock();
		}
		eventually().until(() -> readVio.ndone() == 2500);
		assertThat(pair.passive().bytesIn()).isEqualTo(2500);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void writeStallsWhenThePairIsFullAndResumesAsTheReaderDrains() {
		VConnPair pair = VConnPair.create(this.runtime, 4096);
		IOBuffer in = buffer(1000);
		Recorder stalledReader = recorder();
		pair.passive().read(stalledReader, in, Long.MAX_VALUE);
		int total = 100_000;
		Recorder writer = recorder();
		VIO writeVio = pair.active().write(writer, bufferWith("y".repeat(total)), total);

		// 4096 bytes held in the pair, 1000 in the reader's buffer: nothing more moves
		eventually().until(() -> writeVio.ndone() == 5096);
		fence();
		assertThat(writeVio.ndone()).isEqualTo(5096);
		assertThat(pair.active().bytesOut()).isEqualTo(5096);
		assertThat(pair.passive().bytesIn()).isEqualTo(1000);
		assertThat(writer.types()).doesNotContain(VConnEvent.VCONN_WRITE_COMPLETE);

		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer drained = buffer(1000);
		Recorder reader = draining(drained.allocReader(), received);
		pair.passive().read(reader, drained, total - 1000);
		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		assertThat(received.size()).isEqualTo(total - 1000);
		assertThat(writer.count(VConnEvent.VCONN_WRITE_READY)).isGreaterThan(1);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void aReaderThatNeverConsumesKeepsMemoryBounded() {
		VConnPair pair = VConnPair.create(this.runtime, 8192);
		IOBuffer in = buffer(16 * 1024);
		in.allocReader();
		pair.passive().read(recorder(), in, Long.MAX_VALUE);
		IOBuffer out = buffer(64 * 1024);
		IOBufferReader outReader = out.allocReader();
		byte[] chunk = new byte[16 * 1024];
		// a producer that adds whenever asked, as a careless relay would
		Recorder producer = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_READY && !out.isHighWater()) {
				out.write(chunk);
				((VIO) data).reenable();
			}
		});
		VIO writeVio = pair.active().write(producer, outReader, Long.MAX_VALUE);

		eventually().until(() -> writeVio.ndone() == 8192 + 16 * 1024);
		fence();
		assertThat(writeVio.ndone()).isEqualTo(8192 + 16 * 1024);
		assertThat(in.maxReadAvail()).isEqualTo(16 * 1024);
		assertThat(this.allocator.metric().usedHeapMemory()).isLessThanOrEqualTo(256 * 1024);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void bufferWaterMarkMustBePositive() {
		assertThatIllegalArgumentException().isThrownBy(() -> VConnPair.create(this.runtime, 0));
		assertThat(this.runtime.activeCount()).isZero();
	}

}
