package dev.vconn.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.NettyLeakCheck;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The test support a user gets in {@code dev.vconn.test}, used as a user would: a continuation
 * under test served through {@link VConnPeer#serverIntercept}, events waited for with
 * {@link EventRecorder}, no socket anywhere.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(30)
class TestSupportTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).build();

	@AfterEach
	void closeRuntime() {
		this.runtime.close();
	}

	@Test
	void serverInterceptHandsThePassiveEndToTheContinuationAndThePeerReadsItsAnswerToTheEnd() throws Exception {
		try (VConnPeer client = VConnPeer.serverIntercept(this.runtime, new UpperCaser())) {
			assertThat(client.send("hello, ")).succeedsWithin(WAIT);
			client.send("peer");
			client.shutdownOutput();
			assertThat(client.receivedToEnd()).succeedsWithin(WAIT).isEqualTo("HELLO, PEER");
			assertThat(client.received()).asString(StandardCharsets.UTF_8).isEqualTo("HELLO, PEER");
		}
	}

	@Test
	void peerFailsItsFutureWhenTheOtherEndAborts() {
		VConnPair pair = VConnPair.create(this.runtime);
		try (VConnPeer peer = VConnPeer.on(pair.active())) {
			pair.passive().abort(0);
			assertThat(peer.bytesToEnd()).failsWithin(WAIT)
				.withThrowableOfType(java.util.concurrent.ExecutionException.class)
				.withCauseInstanceOf(IOException.class)
				.withMessageContaining("ERROR");
		}
	}

	@Test
	void closedPeerClosesItsVConnAndFailsWhatIsPending() {
		VConnPair pair = VConnPair.create(this.runtime);
		VConnPeer peer = VConnPeer.on(pair.active());
		peer.close();
		peer.close();
		assertThat(peer.vconn().isClosed()).isTrue();
		assertThat(peer.bytesToEnd()).isCompletedExceptionally();
		pair.passive().close();
	}

	@Test
	void recorderSeesEventsOnAnEventThreadWithItsMutexHeld() {
		VConnPair pair = VConnPair.create(this.runtime);
		IOBuffer in = IOBuffer.create();
		try {
			EventRecorder reader = EventRecorder.create();
			lockAndRun(reader, () -> pair.active().read(reader, in, Long.MAX_VALUE));
			pair.passive().close();
			EventRecorder.Event eos = reader.await(VConnEvent.VCONN_EOS, WAIT);
			assertThat(eos.mutexHeld()).isTrue();
			assertThat(eos.thread()).startsWith("vconn-");
			assertThat(reader.types()).containsExactly(VConnEvent.VCONN_EOS);
			assertThat(reader.count(VConnEvent.ERROR)).isZero();
		}
		finally {
			pair.active().close();
			in.close();
		}
	}

	@Test
	void recorderRunsItsBehaviourAfterRecording() {
		VConnPair pair = VConnPair.create(this.runtime);
		IOBuffer in = IOBuffer.create();
		try {
			EventRecorder reader = EventRecorder.create((event, data) -> {
				if (event == VConnEvent.VCONN_EOS) {
					pair.active().close();
				}
			});
			lockAndRun(reader, () -> pair.active().read(reader, in, Long.MAX_VALUE));
			pair.passive().close();
			reader.await(VConnEvent.VCONN_EOS, WAIT);
			assertThat(pair.active().isClosed()).isTrue();
		}
		finally {
			in.close();
		}
	}

	@Test
	void recorderWaitThatTimesOutFailsListingTheEventsSeen() {
		EventRecorder recorder = EventRecorder.create();
		recorder.handleEvent(VConnEvent.VCONN_READ_READY, null);
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> recorder.await(VConnEvent.VCONN_EOS, Duration.ofMillis(50)))
			.withMessage("No VCONN_EOS within PT0.05S; events so far: [VCONN_READ_READY]");
		assertThat(recorder.events().get(0).mutexHeld()).isFalse();
	}

	private static void lockAndRun(Continuation continuation, Runnable action) {
		continuation.mutex().lock();
		try {
			action.run();
		}
		finally {
			continuation.mutex().unlock();
		}
	}

	/** The continuation under test: answers what it reads in upper case, and closes at end of stream. */
	static final class UpperCaser implements Continuation {

		private final IOBuffer in = IOBuffer.create();

		private final IOBufferReader reader = this.in.allocReader();

		private final IOBuffer out = IOBuffer.create();

		private final IOBufferReader toSend = this.out.allocReader();

		private @Nullable VConn vconn;

		private boolean ended;

		@Override
		public void handleEvent(VConnEvent event, @Nullable Object data) {
			VConn accepted = this.vconn;
			switch (event) {
				case NET_ACCEPT -> {
					this.vconn = (VConn) data;
					this.vconn.read(this, this.in, Long.MAX_VALUE);
				}
				case VCONN_READ_READY -> {
					String text = this.reader.readAll(StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
					this.out.write(text.getBytes(StandardCharsets.UTF_8));
					if (accepted != null) {
						accepted.write(this, this.toSend, this.toSend.avail());
					}
				}
				case VCONN_EOS -> {
					this.ended = true;
					if (this.toSend.avail() == 0) {
						close();
					}
				}
				case VCONN_WRITE_COMPLETE -> {
					if (this.ended) {
						close();
					}
				}
				case ERROR -> close();
				default -> {
				}
			}
		}

		private void close() {
			if (this.vconn != null && !this.vconn.isClosed()) {
				this.vconn.close();
				this.in.close();
				this.out.close();
			}
		}

	}

}
