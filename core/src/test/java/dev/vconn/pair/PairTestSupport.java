package dev.vconn.pair;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;
import dev.vconn.VIO;
import dev.vconn.testing.NettyLeakCheck;
import dev.vconn.testing.RecordingListener;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A runtime with one event thread per test, buffers on an allocator whose usage must be back to
 * zero once everything is closed (so the pair provably released every block it shared), and
 * recorders whose events must all have arrived on an event thread holding their mutex.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(60)
abstract class PairTestSupport {

	protected final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);

	protected final RecordingListener listener = new RecordingListener();

	private final List<IOBuffer> buffers = new ArrayList<>();

	private final List<Recorder> recorders = new ArrayList<>();

	private final List<VConnRuntime> runtimes = new ArrayList<>();

	@SuppressWarnings("NullAway.Init")
	protected VConnRuntime runtime;

	@BeforeEach
	void startRuntime() {
		this.runtime = newRuntime(VConnRuntime.builder().eventThreads(1));
	}

	protected VConnRuntime newRuntime(VConnRuntime.Builder builder) {
		VConnRuntime created = builder.addListener(this.listener).shutdownTimeout(Duration.ZERO).build();
		this.runtimes.add(created);
		return created;
	}

	@AfterEach
	void stopRuntimeAndCheckBuffers() {
		for (VConnRuntime each : this.runtimes) {
			each.close(Duration.ZERO);
		}
		for (IOBuffer buffer : this.buffers) {
			buffer.close();
		}
		assertThat(this.allocator.metric().usedHeapMemory()).as("bytes still allocated after everything closed")
			.isZero();
		for (Recorder recorder : this.recorders) {
			for (Recorder.Event event : recorder.events()) {
				assertThat(event.thread().getName()).as("thread of %s", event).startsWith("vconn-");
				assertThat(event.mutexHeld()).as("mutex held for %s", event).isTrue();
			}
		}
	}

	protected VConnPair pair() {
		return VConnPair.create(this.runtime);
	}

	protected IOBuffer buffer() {
		return buffer(IOBuffer.DEFAULT_WATER_MARK);
	}

	protected IOBuffer buffer(int waterMark) {
		IOBuffer buffer = IOBuffer.create(this.allocator, waterMark);
		this.buffers.add(buffer);
		return buffer;
	}

	/** A buffer holding {@code text}, and a reader positioned at its start. */
	protected IOBufferReader bufferWith(String text) {
		IOBuffer buffer = buffer();
		IOBufferReader reader = buffer.allocReader();
		buffer.write(ascii(text));
		return reader;
	}

	protected Recorder recorder() {
		return recorder((event, data) -> {
		});
	}

	protected Recorder recorder(Continuation behaviour) {
		Recorder recorder = new Recorder(behaviour);
		this.recorders.add(recorder);
		return recorder;
	}

	/**
	 * A continuation that copies everything it reads out of {@code reader} into {@code sink} and
	 * re-enables its read.
	 */
	protected Recorder draining(IOBufferReader reader, ByteArrayOutputStream sink) {
		return recorder((event, data) -> {
			if (event == VConnEvent.VCONN_READ_READY || event == VConnEvent.VCONN_READ_COMPLETE
					|| event == VConnEvent.VCONN_EOS || event == VConnEvent.ERROR) {
				byte[] bytes = new byte[(int) reader.avail()];
				reader.read(bytes, 0, bytes.length);
				sink.write(bytes, 0, bytes.length);
			}
			if (event == VConnEvent.VCONN_READ_READY) {
				((VIO) data).reenable();
			}
		});
	}

	/**
	 * Returns once every task queued on the runtime's single event loop before the call has run:
	 * moves one byte through a throw-away pair on that loop.
	 */
	protected void fence() {
		VConnPair fence = pair();
		IOBuffer in = buffer();
		Recorder reader = recorder();
		Recorder writer = recorder();
		fence.passive().read(reader, in, 1);
		fence.active().write(writer, bufferWith("."), 1);
		reader.await(VConnEvent.VCONN_READ_COMPLETE);
		fence.active().close();
		fence.passive().close();
	}

	protected static ConditionFactory eventually() {
		return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2));
	}

	protected static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	protected static String text(ByteArrayOutputStream sink) {
		return sink.toString(StandardCharsets.US_ASCII);
	}

	protected static boolean isLive(VConnRuntime runtime, VConn vconn) {
		return runtime.find(vconn.id()).isPresent();
	}

}
