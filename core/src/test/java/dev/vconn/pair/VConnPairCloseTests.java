package dev.vconn.pair;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnState;
import dev.vconn.VIO;
import dev.vconn.testing.RecordingListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How close, abort and shutdown of one end show on the other, and that nothing follows a close. */
class VConnPairCloseTests extends PairTestSupport {

	@Test
	void closeDeliversTheBytesAlreadyMovedThenEosToTheOtherRead() {
		VConnPair pair = pair();
		Recorder writer = recorder();
		pair.active().write(writer, bufferWith("moved before close"), 18);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		pair.active().close();
		eventually().until(() -> !this.listener.closedOf(pair.active()).isEmpty());

		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		Recorder reader = draining(in.allocReader(), received);
		pair.passive().read(reader, in, Long.MAX_VALUE);
		reader.await(VConnEvent.VCONN_EOS);
		assertThat(text(received)).isEqualTo("moved before close");
		assertThat(reader.types()).endsWith(VConnEvent.VCONN_READ_READY, VConnEvent.VCONN_EOS);
		pair.passive().close();
		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(this.listener.closedOf(pair.active())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.CLOSE);
		assertThat(this.listener.closedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.EOS);
		assertThat(this.listener.aborts()).isEmpty();
	}

	@Test
	void closeEndsAPendingReadOfTheOtherEndWithEos() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		in.allocReader();
		Recorder reader = recorder();
		VIO readVio = pair.passive().read(reader, in, Long.MAX_VALUE);
		pair.active().close();
		reader.await(VConnEvent.VCONN_EOS);
		assertThat(reader.types()).containsExactly(VConnEvent.VCONN_EOS);
		assertThat(reader.last().data()).isSameAs(readVio);
		assertThat(readVio.isActive()).isFalse();

		Recorder again = recorder();
		pair.passive().read(again, in, Long.MAX_VALUE);
		again.await(VConnEvent.VCONN_EOS);
		pair.passive().close();
	}

	@Test
	void closeFailsTheOtherEndsWritesWithError() {
		VConnPair pair = pair();
		Recorder writer = recorder();
		IOBuffer out = buffer();
		VIO writeVio = pair.passive().write(writer, out.allocReader(), Long.MAX_VALUE);
		writer.await(VConnEvent.VCONN_WRITE_READY);

		pair.active().close();
		writer.await(VConnEvent.ERROR);
		assertThat(writer.last().data()).isSameAs(writeVio);
		assertThat(writeVio.isActive()).isFalse();

		Recorder later = recorder();
		pair.passive().write(later, bufferWith("too late"), 8);
		later.await(VConnEvent.ERROR);
		assertThat(later.types()).containsExactly(VConnEvent.ERROR);
		pair.passive().close();
		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(this.listener.closedOf(pair.passive()).get(0).how()).isEqualTo(CloseKind.ERROR);
	}

	@Test
	void bytesNotYetMovedIntoThePairWhenAnEndClosesAreLost() {
		VConnPair pair = VConnPair.create(this.runtime, 4096);
		Recorder writer = recorder();
		VIO writeVio = pair.active().write(writer, bufferWith("z".repeat(10_000)), 10_000);
		eventually().until(() -> writeVio.ndone() == 4096);
		pair.active().close();

		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		Recorder reader = draining(in.allocReader(), received);
		pair.passive().read(reader, in, Long.MAX_VALUE);
		reader.await(VConnEvent.VCONN_EOS);
		assertThat(received.size()).isEqualTo(4096);
		assertThat(writer.types()).doesNotContain(VConnEvent.VCONN_WRITE_COMPLETE, VConnEvent.ERROR);
		pair.passive().close();
	}

	@Test
	void abortFailsBothDirectionsOfTheOtherEndAndDropsTheBytesInThePair() {
		VConnPair pair = pair();
		Recorder writer = recorder();
		pair.active().write(writer, bufferWith("dropped"), 7);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		Recorder otherWriter = recorder();
		pair.passive().write(otherWriter, buffer().allocReader(), Long.MAX_VALUE);
		otherWriter.await(VConnEvent.VCONN_WRITE_READY);

		pair.active().abort(42);
		otherWriter.await(VConnEvent.ERROR);
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder reader = recorder();
		pair.passive().read(reader, in, Long.MAX_VALUE);
		reader.await(VConnEvent.ERROR);
		assertThat(reader.types()).containsExactly(VConnEvent.ERROR);
		assertThat(inReader.avail()).isZero();
		assertThat(pair.active().isClosed()).isTrue();
		assertThat(pair.active().state()).isEqualTo(VConnState.CLOSED);

		pair.passive().close();
		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(this.listener.abortedOf(pair.active())).singleElement()
			.isEqualTo(new RecordingListener.Aborted(pair.active(), CloseKind.API, 42));
		assertThat(this.listener.closedOf(pair.active()).get(0).how()).isEqualTo(CloseKind.API);
		assertThat(this.listener.abortedOf(pair.passive())).singleElement()
			.isEqualTo(new RecordingListener.Aborted(pair.passive(), CloseKind.PEER, 0));
		assertThat(this.listener.closedOf(pair.passive()).get(0).how()).isEqualTo(CloseKind.PEER);
	}

	@Test
	void abortEndsAPendingReadOfTheOtherEndWithErrorNotEos() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		in.allocReader();
		Recorder reader = recorder();
		pair.passive().read(reader, in, Long.MAX_VALUE);
		pair.active().abort(0);
		reader.await(VConnEvent.ERROR);
		fence();
		assertThat(reader.types()).containsExactly(VConnEvent.ERROR);
		pair.passive().close();
	}

	@Test
	void shutdownOfTheWriteSideGivesTheOtherReadEosAfterTheBytesAndKeepsTheReadSide() {
		VConnPair pair = pair();
		Recorder writer = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				((VIO) data).vconn().shutdown(false, true);
			}
		});
		pair.active().write(writer, bufferWith("half"), 4);
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		Recorder reader = draining(in.allocReader(), received);
		pair.passive().read(reader, in, Long.MAX_VALUE);
		reader.await(VConnEvent.VCONN_EOS);
		assertThat(text(received)).isEqualTo("half");
		assertThat(pair.active().state()).isEqualTo(VConnState.WRITE_SHUT_DOWN);
		assertThat(pair.active().write(recorder(), bufferWith("no"), 2).isActive()).isFalse();

		IOBuffer back = buffer();
		IOBufferReader backReader = back.allocReader();
		Recorder activeReader = recorder();
		pair.active().read(activeReader, back, 5);
		pair.passive().write(recorder(), bufferWith("reply"), 5);
		activeReader.await(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(backReader.readAll(StandardCharsets.US_ASCII)).isEqualTo("reply");
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void shutdownOfTheReadSideFailsTheOtherWritesAndKeepsTheWriteSide() {
		VConnPair pair = pair();
		Recorder otherWriter = recorder();
		VIO pending = pair.active().write(otherWriter, buffer().allocReader(), Long.MAX_VALUE);
		otherWriter.await(VConnEvent.VCONN_WRITE_READY);
		Recorder ownReader = recorder();
		IOBuffer ignored = buffer();
		pair.passive().read(ownReader, ignored, Long.MAX_VALUE);

		pair.passive().shutdown(true, false);
		otherWriter.await(VConnEvent.ERROR);
		assertThat(pending.isActive()).isFalse();
		assertThat(pair.passive().state()).isEqualTo(VConnState.READ_SHUT_DOWN);
		assertThat(pair.passive().read(recorder(), ignored, 1).isActive()).isFalse();

		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder activeReader = recorder();
		pair.active().read(activeReader, in, 3);
		pair.passive().write(recorder(), bufferWith("still"), 3);
		activeReader.await(VConnEvent.VCONN_READ_COMPLETE);
		assertThat(inReader.readAll(StandardCharsets.US_ASCII)).isEqualTo("sti");
		fence();
		assertThat(ownReader.events()).isEmpty();

		pair.passive().shutdown(false, true);
		assertThat(pair.passive().state()).isEqualTo(VConnState.SHUT_DOWN);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void bytesInThePairAreDroppedWhenTheOtherEndShutsDownItsReadSide() {
		VConnPair pair = pair();
		Recorder writer = recorder();
		pair.active().write(writer, bufferWith("never read"), 10);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		pair.passive().shutdown(true, false);
		// the pair no longer holds them: the allocator check after the test sees every block released
		Recorder next = recorder();
		pair.active().write(next, bufferWith("more"), 4);
		next.await(VConnEvent.ERROR);
		pair.active().close();
		pair.passive().close();
	}

	@Test
	void closeAndAbortAreIdempotent() {
		VConnPair pair = pair();
		pair.active().close();
		pair.active().close();
		pair.active().abort(1);
		pair.passive().abort(2);
		pair.passive().abort(3);
		pair.passive().close();
		eventually().until(() -> this.runtime.activeCount() == 0);
		fence();
		assertThat(this.listener.closedOf(pair.active())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.CLOSE);
		assertThat(this.listener.closedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.API);
		assertThat(this.listener.abortedOf(pair.active())).isEmpty();
		assertThat(this.listener.abortedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Aborted::error).isEqualTo(2);
		assertThat(pair.active().isClosed()).isTrue();
		assertThat(pair.passive().isClosed()).isTrue();
	}

	@Test
	void aHandlerMayCloseItsEndInsideAnEventAndGetsNoEventAfterwards() {
		VConnPair pair = VConnPair.create(this.runtime, 16);
		IOBuffer in = buffer(16);
		in.allocReader();
		Recorder reader = recorder((event, data) -> ((VIO) data).vconn().close());
		VIO readVio = pair.passive().read(reader, in, Long.MAX_VALUE);
		Recorder writer = recorder();
		pair.passive().write(writer, buffer().allocReader(), Long.MAX_VALUE);
		writer.await(VConnEvent.VCONN_WRITE_READY);
		pair.passive().setActiveTimeout(Duration.ofMillis(20));
		pair.passive().setInactivityTimeout(Duration.ofMillis(20));
		Recorder otherWriter = recorder();
		pair.active().write(otherWriter, bufferWith("x".repeat(1000)), 1000);

		reader.await(VConnEvent.VCONN_READ_READY);
		otherWriter.await(VConnEvent.ERROR);
		// a later timer on the same loop: once it fired, the closed end's timers would have too
		pair.active().setInactivityTimeout(Duration.ofMillis(60));
		eventually().until(() -> !this.listener.abortedOf(pair.active()).isEmpty());
		fence();
		assertThat(this.listener.abortedOf(pair.active()).get(0).cause()).isEqualTo(CloseKind.TIMEOUT);
		assertThat(reader.types()).containsExactly(VConnEvent.VCONN_READ_READY);
		assertThat(readVio.isActive()).isFalse();
		assertThat(writer.types()).containsExactly(VConnEvent.VCONN_WRITE_READY);
		assertThat(this.listener.closedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Closed::how).isEqualTo(CloseKind.CLOSE);
	}

	@Test
	void aHandlerMayCloseBothEndsInsideAnEvent() {
		VConnPair pair = pair();
		Recorder writer = recorder((event, data) -> {
			pair.active().close();
			pair.passive().close();
		});
		pair.active().write(writer, bufferWith("bye"), 3);
		writer.await(VConnEvent.VCONN_WRITE_COMPLETE);
		eventually().until(() -> this.runtime.activeCount() == 0);
		assertThat(writer.types()).containsExactly(VConnEvent.VCONN_WRITE_COMPLETE);
	}

	@Test
	void readAndWriteOnAClosedEndReturnInactiveViosThatNeverDeliverEvents() {
		VConnPair pair = pair();
		pair.active().close();
		Recorder recorder = recorder();
		VIO read = pair.active().read(recorder, buffer(), 10);
		VIO write = pair.active().write(recorder, bufferWith("x"), 1);
		assertThat(read.isActive()).isFalse();
		assertThat(write.isActive()).isFalse();
		read.reenable();
		write.setNBytes(5);
		pair.active().shutdown(true, true);
		pair.active().setInactivityTimeout(Duration.ofMillis(1));
		fence();
		assertThat(recorder.events()).isEmpty();
		assertThat(pair.active().state()).isEqualTo(VConnState.CLOSED);
		pair.passive().close();
	}

	@Test
	void aHandlerThatThrowsAbortsItsEnd() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		in.allocReader();
		Recorder thrower = recorder((event, data) -> {
			throw new IllegalStateException("handler bug");
		});
		pair.passive().read(thrower, in, Long.MAX_VALUE);
		Recorder otherReader = recorder();
		IOBuffer back = buffer();
		pair.active().read(otherReader, back, Long.MAX_VALUE);
		pair.active().write(recorder(), bufferWith("boom"), 4);

		otherReader.await(VConnEvent.ERROR);
		assertThat(pair.passive().isClosed()).isTrue();
		eventually().until(() -> this.listener.abortedOf(pair.passive()).size() == 1);
		assertThat(this.listener.abortedOf(pair.passive()).get(0).cause()).isEqualTo(CloseKind.API);
		assertThat(thrower.types()).containsExactly(VConnEvent.VCONN_READ_READY);
		pair.active().close();
	}

}
