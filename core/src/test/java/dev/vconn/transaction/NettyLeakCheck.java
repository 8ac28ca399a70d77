package dev.vconn.transaction;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fails a test class when Netty's leak detector reports a {@link ByteBuf} that was garbage-collected
 * without being released. Netty logs leaks through java.util.logging here (no SLF4J on the test
 * class path); leaks are noticed when a collected buffer's tracker is polled, which happens when a
 * new buffer is tracked, so the check collects garbage and allocates a few buffers before looking.
 */
final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

	private static final Logger DETECTOR_LOGGER = Logger.getLogger("io.netty.util.ResourceLeakDetector");

	private final List<String> leaks = new CopyOnWriteArrayList<>();

	private final Handler handler = new Handler() {
		@Override
		public void publish(LogRecord record) {
			String message = record.getMessage();
			if (message != null && message.contains("LEAK")) {
				NettyLeakCheck.this.leaks.add(message);
			}
		}

		@Override
		public void flush() {
		}

		@Override
		public void close() {
		}
	};

	@Override
	public void beforeAll(ExtensionContext context) {
		DETECTOR_LOGGER.addHandler(this.handler);
	}

	@Override
	public void afterAll(ExtensionContext context) {
		try {
			UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);
			for (int round = 0; round < 5 && this.leaks.isEmpty(); round++) {
				System.gc();
				for (int i = 0; i < 100; i++) {
					allocator.heapBuffer(16).release();
				}
			}
			assertThat(this.leaks).as("Netty leak reports").isEmpty();
		}
		finally {
			DETECTOR_LOGGER.removeHandler(this.handler);
		}
	}

}
