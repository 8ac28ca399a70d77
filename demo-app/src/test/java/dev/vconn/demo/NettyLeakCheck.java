package dev.vconn.demo;

import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fails a test class when Netty's leak detector (paranoid in this build) reports a buffer that
 * was garbage-collected without being released. Leaks are noticed when a new buffer is tracked
 * after the leaked one was collected, so the check collects garbage and allocates a few buffers
 * before looking (direct buffers: heap buffers of an unpooled allocator are not tracked).
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

	private final Logger detector = (Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector");

	private final ListAppender<ILoggingEvent> reports = new ListAppender<>();

	@Override
	public void beforeAll(ExtensionContext context) {
		this.reports.start();
		this.detector.addAppender(this.reports);
	}

	@Override
	public void afterAll(ExtensionContext context) {
		try {
			UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true);
			for (int round = 0; round < 5 && leaks().isEmpty(); round++) {
				System.gc();
				for (int i = 0; i < 100; i++) {
					allocator.directBuffer(16).release();
				}
			}
			assertThat(leaks()).as("Netty leak reports").isEmpty();
		}
		finally {
			this.detector.detachAppender(this.reports);
			this.reports.stop();
		}
	}

	private List<String> leaks() {
		return this.reports.list.stream()
			.map(ILoggingEvent::getFormattedMessage)
			.filter((message) -> message.contains("LEAK"))
			.toList();
	}

}
