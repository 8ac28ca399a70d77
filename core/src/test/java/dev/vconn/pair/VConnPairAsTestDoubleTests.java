package dev.vconn.pair;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VIO;
import dev.vconn.testing.RecordingListener;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pair as a test double: the continuation under test gets one end, the test plays the client on
 * the other. {@code docs/pairs.md} shows this code.
 */
class VConnPairAsTestDoubleTests extends PairTestSupport {

	/** The code under test: reads a request until end of stream, answers it upper-cased, closes. */
	static final class UpperCaser implements Continuation {

		private final VConn vconn;

		private final IOBuffer request = IOBuffer.create();

		private final IOBufferReader requestReader = this.request.allocReader();

		private final IOBuffer response = IOBuffer.create();

		private final IOBufferReader responseReader = this.response.allocReader();

		UpperCaser(VConn vconn) {
			this.vconn = vconn;
		}

		void start() {
			this.vconn.read(this, this.request, Long.MAX_VALUE);
		}

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			switch (event) {
				case VCONN_READ_READY -> {
					upperCaseWhatArrived();
					((VIO) data).reenable();
				}
				case VCONN_EOS -> {
					upperCaseWhatArrived();
					this.vconn.write(this, this.responseReader, this.responseReader.avail());
				}
				case VCONN_WRITE_READY -> {
					// everything to send is already in the response buffer
				}
				case VCONN_WRITE_COMPLETE -> end(false);
				default -> end(true); // ERROR or a timeout
			}
		}

		private void upperCaseWhatArrived() {
			String text = this.requestReader.readAll(StandardCharsets.UTF_8);
			this.response.write(text.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
		}

		private void end(boolean abort) {
			if (abort) {
				this.vconn.abort(0);
			}
			else {
				this.vconn.close();
			}
			this.request.close();
			this.response.close();
		}

	}

	@Test
	void theContinuationUnderTestIsDrivenFromTheOtherEnd() {
		VConnPair pair = VConnPair.create(this.runtime);
		new UpperCaser(pair.passive()).start();

		// the test plays the client on the active end: send, half-close, read the answer to the end
		ByteArrayOutputStream answer = new ByteArrayOutputStream();
		IOBuffer in = buffer();
		Recorder client = draining(in.allocReader(), answer);
		pair.active().read(client, in, Long.MAX_VALUE);
		Recorder sender = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				pair.active().shutdown(false, true);
			}
		});
		pair.active().write(sender, bufferWith("hello, pair"), 11);

		client.await(VConnEvent.VCONN_EOS);
		assertThat(text(answer)).isEqualTo("HELLO, PAIR");
		eventually().until(() -> pair.passive().isClosed());
		pair.active().close();
	}

	@Test
	void theContinuationUnderTestSeesAClientAbortAsAnError() {
		VConnPair pair = VConnPair.create(this.runtime);
		new UpperCaser(pair.passive()).start();
		Recorder sender = recorder((event, data) -> {
			if (event == VConnEvent.VCONN_WRITE_COMPLETE) {
				pair.active().abort(0);
			}
		});
		pair.active().write(sender, bufferWith("half a requ"), 11);

		eventually().until(() -> this.runtime.activeCount() == 0);
		assertThat(this.listener.abortedOf(pair.passive())).singleElement()
			.extracting(RecordingListener.Aborted::cause).isEqualTo(dev.vconn.CloseKind.API);
	}

}
