package dev.vconn.pair;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicReference;

import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnState;
import dev.vconn.VIO;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Bytes and events through a pair: READ_READY/COMPLETE, WRITE_READY/COMPLETE, nbytes, replacement, no copies. */
class VConnPairDataTests extends PairTestSupport {

	@Test
	void endsHaveIdsButNoDescriptorNorAddresses() {
		VConnPair pair = pair();
		assertThat(pair.active().id()).isPositive().isNotEqualTo(pair.passive().id());
		assertThat(pair.active().fd()).isEqualTo(-1);
		assertThat(pair.passive().fd()).isEqualTo(-1);
		assertThat(pair.active().remoteAddress()).isNull();
		assertThat(pair.active().localAddress()).isNull();
		assertThat(pair.passive().remoteAddress()).isNull();
		assertThat(pair.passive().localAddress()).isNull();
		assertThat(pair.active().state()).isEqualTo(VConnState.OPEN);
		assertThat(pair.active().isClosed()).isFalse();
		assertThat(pair.active().createdAt()).isNotNull();
		assertThat(pair.active()).isSameAs(pair.active());
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void writeOnOneEndIsReadOnTheOtherWithCompleteEvents() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder reader = recorder();
		Recorder writer = recorder();
		VIO readVio = pair.passive().read(reader, in, 11);
		VIO writeVio = pair.active().write(writer, bufferWith("hello world"), 11);

		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		fence();
		assertThat(reader.types()).containsExactly(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(writer.types()).containsExactly(VConnEvent.VCONN_WRITE_COMPLETE);
		assertThat(reader.last().data()).isSameAs(readVio);
		assertThat(writer.last().data()).isSameAs(writeVio);
		assertThat(readVio.ndone()).isEqualTo(11);
		assertThat(readVio.ntodo()).isZero();
		assertThat(readVio.isActive()).isFalse();
		assertThat(writeVio.ndone()).isEqualTo(11);
		assertThat(writeVio.isActive()).isFalse();
		assertThat(readVio.vconn()).isSameAs(pair.passive());
		assertThat(writeVio.vconn()).isSameAs(pair.active());
		assertThat(readVio.continuation()).isSameAs(reader);
		assertThat(inReader.readAll(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hello world");
		assertThat(pair.active().bytesOut()).isEqualTo(11);
		assertThat(pair.passive().bytesIn()).isEqualTo(11);
		assertThat(pair.active().bytesIn()).isZero();
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void readReadyFiresWhenBytesArriveAndTheReadIsNotDone() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder reader = recorder();
		VIO readVio = pair.passive().read(reader, in, 100);
		pair.active().write(recorder(), bufferWith("abcde"), 5);

		reader.await(VConnEvent.VCONN_READ_READY);
		fence();
		assertThat(reader.types()).containsExactly(VConnEvent.VCONN_READ_READY);
		assertThat(readVio.ndone()).isEqualTo(5);
		assertThat(readVio.isActive()).isTrue();
		assertThat(inReader.avail()).isEqualTo(5);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void readUntilEndOfStreamNeverCompletesAndEndsWithEosAfterTheBytes() {
		VConnPair pair = pair();
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		Recorder reader = draining(in.allocReader(), received);
		pair.passive().read(reader, in, Long.MAX_VALUE);
		Recorder writer = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				((VIO) data).vconn().close();
			}
		});
		pair.active().write(writer, bufferWith("all of it"), 9);

		reader.await(VConnEvent.VCONN_EOS);
		assertThat(text(received)).isEqualTo("all of it");
		assertThat(reader.types()).doesNotContain(VConnEvent.VCONN_READ_COMPLETE).endsWith(VConnEvent.VCONN_EOS);
		pair.passive().close();
	}

	@Test
	void writeAsksForDataWithWriteReadyAndCompletesOnceFed() {
		VConnPair pair = pair();
		IOBuffer out = buffer();
		IOBufferReader outReader = out.allocReader();
		Recorder writer = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_READY && outReader.avail() == 0) {
				out.write(ascii("0123456789"));
				((VIO) data).reenable();
			}
		});
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		pair.passive().read(draining(in.allocReader(), received), in, 10);
		pair.active().write(writer, outReader, 10);

		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		assertThat(writer.types()).startsWith(VConnEvent.VCONN_WRITE_READY).endsWith(VConnEvent.VCONN_WRITE_COMPLETE);
		eventually().until(() -> received.size() == 10);
		assertThat(text(received)).isEqualTo("0123456789");
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void writeStalledOnAnEmptyReaderResumesOnReenableFromAnotherThread() {
		VConnPair pair = pair();
		IOBuffer out = buffer();
		IOBufferReader outReader = out.allocReader();
		Recorder writer = recorder();
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		pair.passive().read(draining(in.allocReader(), received), in, Long.MAX_VALUE);
		VIO writeVio = pair.active().write(writer, outReader, Long.MAX_VALUE);
		writer.await(VConnEvent.VCONN_WRITE_READY);

		writer.lock().lock();
		try {
			out.write(ascii("later"));
			writeVio.reenable();
		}
		finally {
			writer.lock().unlock();
		}
		eventually().until(() -> received.size() == 5);
		assertThat(text(received)).isEqualTo("later");
		assertThat(writeVio.ndone()).isEqualTo(5);
		assertThat(writer.types()).doesNotContain(VConnEvent.VCONN_WRITE_COMPLETE);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void setNBytesAtOrBelowNdoneCompletesTheRead() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		in.allocReader();
		Recorder reader = recorder();
		VIO readVio = pair.passive().read(reader, in, Long.MAX_VALUE);
		pair.active().write(recorder(), bufferWith("12345"), 5);
		reader.await(VConnEvent.VCONN_READ_READY);

		readVio.setNBytes(readVio.ndone());
		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(readVio.nbytes()).isEqualTo(5);
		assertThat(readVio.isActive()).isFalse();
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void zeroNbytesDisablesADirectionAndTheBytesWaitForTheNextRead() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder idle = recorder();
		VIO disabled = pair.passive().read(idle, in, 0);
		VIO noWrite = pair.passive().write(idle, bufferWith("x"), 0);
		assertThat(disabled.isActive()).isFalse();
		assertThat(noWrite.isActive()).isFalse();
		Recorder writer = recorder();
		pair.active().write(writer, bufferWith("kept"), 4);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		fence();
		assertThat(idle.events()).isEmpty();
		assertThat(inReader.avail()).isZero();

		Recorder reader = recorder();
		pair.passive().read(reader, in, 4);
		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(inReader.readAll(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("kept");
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void aNewReadReplacesThePreviousOneAndGetsTheBytesNotYetDelivered() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder replaced = recorder();
		VIO first = pair.passive().read(replaced, in, 100);
		Recorder current = recorder();
		VIO second = pair.passive().read(current, in, 3);
		assertThat(first.isActive()).isFalse();
		pair.active().write(recorder(), bufferWith("abcdef"), 6);

		current.await(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(second.ndone()).isEqualTo(3);
		assertThat(inReader.readAll(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("abc");
		Recorder next = recorder();
		pair.passive().read(next, in, Long.MAX_VALUE);
		next.await(VConnEvent.VCONN_READ_READY);
		assertThat(inReader.readAll(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("def");
		fence();
		assertThat(replaced.events()).isEmpty();
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void bothDirectionsAtOnceEchoThroughThePassiveEnd() {
		VConnPair pair = pair();
		int total = 200_000;
		IOBuffer echo = buffer(4096);
		IOBufferReader echoReader = echo.allocReader();
		AtomicReference<VIO> echoRead = new AtomicReference<>();
		AtomicReference<VIO> echoWrite = new AtomicReference<>();
		Recorder server = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_READ_READY || event == VConnEvent.VCONN_READ_COMPLETE) {
				echoWrite.get().reenable();
			}
			else if (event == VConnEvent.VCONN_WRITE_READY) {
				echoRead.get().reenable();
			}
		});
		server.lock().lock();
		try {
			echoRead.set(pair.passive().read(server, echo, total));
			echoWrite.set(pair.passive().write(server, echoReader, total));
		}
		finally {
			server.lock().unlock();
		}
		byte[] payload = new byte[total];
		for (int i = 0; i < total; i++) {
			payload[i] = (byte) (i * 31 + 7);
		}
		IOBuffer out = buffer();
		IOBufferReader outReader = out.allocReader();
		out.write(payload);
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		Recorder client = draining(in.allocReader(), received);
		client.lock().lock();
		try {
			pair.active().read(client, in, total);
			pair.active().write(client, outReader, total);
		}
		finally {
			client.lock().unlock();
		}

		client.await(VConnEvent.VCONN_READ_COMPLETE);
		server.await(VConnEvent.VCONN_WRITE_COMPLETE);
		assertThat(received.toByteArray()).isEqualTo(payload);
		assertThat(client.types()).contains(VConnEvent.VCONN_WRITE_COMPLETE);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void bytesAreHandedOverByReferenceWithoutCopying() {
		VConnPair pair = pair();
		IOBuffer out = buffer();
		IOBufferReader outReader = out.allocReader();
		ByteBuf block = this.allocator.heapBuffer(16);
		block.writeBytes(ascii("original"));
		// retained for this test to look at the block after handing it over; released below
		out.write(block.retain());
		UnpooledByteBufAllocator readSide = new UnpooledByteBufAllocator(false);
		IOBuffer in = IOBuffer.create(readSide, IOBuffer.DEFAULT_WATER_MARK);
		IOBufferReader inReader = in.allocReader();
		Recorder reader = recorder();
		Recorder writer = recorder();
		try {
			pair.passive().read(reader, in, 8);
			pair.active().write(writer, outReader, 8);
			reader.await(VConnEvent.VCONN_READ_COMPLETE);
			writer.await(VConnEvent.VCONN_WRITE_COMPLETE);

			block.setBytes(0, ascii("ORIGINAL"));
			reader.lock().lock();
			try {
				assertThat(inReader.readAll(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ORIGINAL");
			}
			finally {
				reader.lock().unlock();
			}
			assertThat(readSide.metric().usedHeapMemory()).as("allocated by the reading side").isZero();
		}
		finally {
			block.release();
			pair.active().close();
			pair.passive().close();
			in.close();
		}
	}

	@Test
	void bytesInAndOutCountEveryMoveAndReachTheListener() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		in.allocReader();
		Recorder reader = recorder();
		pair.passive().read(reader, in, 7);
		pair.active().write(recorder(), bufferWith("counted"), 7);
		reader.await(VConnEvent.VCONN_READ_COMPLETE);

		assertThat(pair.active().bytesOut()).isEqualTo(7);
		assertThat(pair.passive().bytesIn()).isEqualTo(7);
		assertThat(pair.active().bytesIn()).isZero();
		assertThat(pair.passive().bytesOut()).isZero();
		assertThat(this.listener.bytesSent()).isEqualTo(7);
		assertThat(this.listener.bytesReceived()).isEqualTo(7);
		pair.active().close();
		pair.passive().close();
	}

}
