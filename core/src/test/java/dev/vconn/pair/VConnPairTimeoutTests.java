package dev.vconn.pair;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.vconn.CloseKind;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VIO;
import dev.vconn.testing.RecordingListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Inactivity and active timeouts of each end, and the abort of an end whose timeout is ignored. */
class VConnPairTimeoutTests extends PairTestSupport {

	@Test
	void inactivityTimeoutGoesToTheReadContinuationWhichMayClose() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		Recorder reader = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_INACTIVITY_TIMEOUT) {
				((VIO) data).vconn().close();
			}
		});
		VIO readVio = pair.passive().read(reader, in, Long.MAX_VALUE);
		pair.passive().setInactivityTimeout(Duration.ofMillis(30));

		assertThat(reader.await(VConnEvent.VCONN_INACTIVITY_TIMEOUT).data()).isSameAs(readVio);
		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(this.listener.closedOf(pair.passive()).get(0).how()).isEqualTo(CloseKind.CLOSE);
		assertThat(this.listener.abortedOf(pair.passive())).isEmpty();
		assertThat(pair.active().isClosed()).isFalse();
		pair.active().close();
	}

	@Test
	void activeTimeoutFiresWhateverTheTraffic() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		Recorder reader = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_READ_READY) {
				inReader.consume(inReader.avail());
				((VIO) data).reenable();
			}
			else if (event == VConnEvent.VCONN_ACTIVE_TIMEOUT) {
				((VIO) data).vconn().close();
			}
		});
		pair.passive().read(reader, in, Long.MAX_VALUE);
		IOBuffer out = buffer();
		IOBufferReader outReader = out.allocReader();
		// a writer that keeps traffic flowing until the reader's end goes away
		Recorder writer = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_READY && outReader.avail() == 0) {
				out.write(new byte[64]);
				((VIO) data).reenable();
			}
		});
		long start = System.nanoTime();
		pair.passive().setActiveTimeout(Duration.ofMillis(50));
		pair.active().write(writer, outReader, Long.MAX_VALUE);

		reader.await(VConnEvent.VCONN_ACTIVE_TIMEOUT);
		assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
		assertThat(reader.count(VConnEvent.VCONN_READ_READY)).isPositive();
		writer.await(VConnEvent.ERROR);
		pair.active().close();
	}

	@Test
	void anIgnoredTimeoutAbortsTheEndWithCauseTimeoutAndTheOtherEndSeesAnAbort() {
		VConnPair pair = pair();
		Recorder ignoring = recorder();
		pair.passive().read(ignoring, buffer(), Long.MAX_VALUE);
		Recorder otherReader = recorder();
		pair.active().read(otherReader, buffer(), Long.MAX_VALUE);
		pair.passive().setInactivityTimeout(Duration.ofMillis(20));

		ignoring.await(VConnEvent.VCONN_INACTIVITY_TIMEOUT);
		otherReader.await(VConnEvent.ERROR);
		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(pair.passive().isClosed()).isTrue();
		assertThat(this.listener.abortedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Aborted::cause).isEqualTo(CloseKind.TIMEOUT);
		assertThat(this.listener.closedOf(pair.passive()).get(0).how()).isEqualTo(CloseKind.TIMEOUT);
		assertThat(ignoring.types()).containsExactly(VConnEvent.VCONN_INACTIVITY_TIMEOUT);
		pair.active().close();
	}

	@Test
	void aTimeoutWithNoOperationInProgressAbortsTheEnd() {
		VConnPair pair = pair();
		pair.active().setActiveTimeout(Duration.ofMillis(20));
		eventually().until(() -> this.listener.closedOf(pair.active()).size() == 1);
		assertThat(this.listener.abortedOf(pair.active())).singleElement()
			.extracting(RecordingListener.Aborted::cause).isEqualTo(CloseKind.TIMEOUT);
		assertThat(pair.passive().isClosed()).isFalse();
		pair.passive().close();
	}

	@Test
	void reArmingInTheHandlerKeepsTheEndOpenAndTheTimeoutFiresAgain() {
		VConnPair pair = pair();
		AtomicLong fired = new AtomicLong();
		Recorder reader = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_INACTIVITY_TIMEOUT) {
				if (fired.incrementAndGet() == 1) {
					((VIO) data).vconn().setInactivityTimeout(Duration.ofMillis(20));
				}
				else {
					((VIO) data).vconn().close();
				}
			}
		});
		pair.passive().read(reader, buffer(), Long.MAX_VALUE);
		pair.passive().setInactivityTimeout(Duration.ofMillis(20));

		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(reader.count(VConnEvent.VCONN_INACTIVITY_TIMEOUT)).isEqualTo(2);
		assertThat(this.listener.abortedOf(pair.passive())).isEmpty();
		pair.active().close();
	}

	@Test
	void aTimeoutGoesToTheWriteContinuationTooWhenItIsADifferentOneAndTheReaderIgnoredIt() {
		VConnPair pair = pair();
		Recorder reader = recorder();
		Recorder writer = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_ACTIVE_TIMEOUT) {
				((VIO) data).vconn().abort(7);
			}
		});
		pair.passive().read(reader, buffer(), Long.MAX_VALUE);
		VIO writeVio = pair.passive().write(writer, buffer().allocReader(), Long.MAX_VALUE);
		pair.passive().setActiveTimeout(Duration.ofMillis(20));

		assertThat(writer.await(VConnEvent.VCONN_ACTIVE_TIMEOUT).data()).isSameAs(writeVio);
		assertThat(reader.types()).containsExactly(VConnEvent.VCONN_ACTIVE_TIMEOUT);
		eventually().until(() -> this.listener.closedOf(pair.passive()).size() == 1);
		assertThat(this.listener.abortedOf(pair.passive())).singleElement()
			.isEqualTo(new RecordingListener.Aborted(pair.passive(), CloseKind.API, 7));
		pair.active().close();
	}

	@Test
	void aZeroDurationCancelsATimeout() {
		VConnPair pair = pair();
		Recorder reader = recorder();
		pair.passive().read(reader, buffer(), Long.MAX_VALUE);
		pair.passive().setInactivityTimeout(Duration.ofMillis(20));
		pair.passive().setActiveTimeout(Duration.ofMillis(20));
		pair.passive().setInactivityTimeout(Duration.ZERO);
		pair.passive().setActiveTimeout(Duration.ZERO);
		// a later timer on the same loop: once it fired, the cancelled ones would have too
		pair.active().setActiveTimeout(Duration.ofMillis(60));

		eventually().until(() -> this.listener.closedOf(pair.active()).size() == 1);
		fence();
		assertThat(reader.types()).doesNotContain(VConnEvent.VCONN_INACTIVITY_TIMEOUT, VConnEvent.VCONN_ACTIVE_TIMEOUT);
		assertThat(this.listener.abortedOf(pair.passive())).isEmpty();
		pair.passive().close();
	}

	@Test
	void trafficPostponesTheInactivityTimeout() {
		VConnPair pair = pair();
		IOBuffer in = buffer();
		IOBufferReader inReader = in.allocReader();
		AtomicLong timedOutAt = new AtomicLong();
		AtomicLong lastMove = new AtomicLong();
		Recorder reader = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_READ_READY) {
				lastMove.set(System.nanoTime());
				inReader.consume(inReader.avail());
				((VIO) data).reenable();
			}
			else if (event == VConnEvent.VCONN_INACTIVITY_TIMEOUT) {
				timedOutAt.set(System.nanoTime());
				((VIO) data).vconn().close();
			}
		});
		VIO readVio = pair.passive().read(reader, in, Long.MAX_VALUE);
		IOBuffer out = buffer();
		IOBufferReader outReader = out.allocReader();
		Recorder writer = recorder();
		VIO writeVio = pair.active().write(writer, outReader, Long.MAX_VALUE);
		long timeout = TimeUnit.MILLISECONDS.toNanos(80);
		long armedAt = System.nanoTime();
		pair.passive().setInactivityTimeout(Duration.ofNanos(timeout));

		// one byte at a time, each once the previous one arrived, for twice the timeout
		while (System.nanoTime() - armedAt < 2 * timeout) {
			long before = readVio.ndone();
			writer.lock().lock();
			try {
				out.write(new byte[1]);
				writeVio.reenable();
			}
			finally {
				writer.lock().unlock();
			}
			eventually().until(() -> readVio.ndone() > before);
		}

		reader.await(VConnEvent.VCONN_INACTIVITY_TIMEOUT);
		assertThat(timedOutAt.get() - armedAt).isGreaterThanOrEqualTo(2 * timeout);
		// measured on the event thread just after the move, so within a hair of the activity itself
		assertThat(timedOutAt.get() - lastMove.get()).isGreaterThanOrEqualTo(timeout - TimeUnit.MILLISECONDS.toNanos(1));
		assertThat(reader.count(VConnEvent.VCONN_INACTIVITY_TIMEOUT)).isEqualTo(1);
		pair.active().close();
	}

}
