package dev.vconn.testing;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a {@link ByteBuf} that was garbage
 * collected without being released. Surefire runs with {@code io.netty.leakDetection.level=paranoid},
 * so every buffer is tracked; reports are produced when later allocations poll the detector, which
 * is what {@link #afterAll} provokes after a GC.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

	private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

	private static volatile boolean installed;

	@Override
	public void beforeAll(ExtensionContext context) {
		install();
		LEAKS.clear();
	}

	@Override
	public void afterAll(ExtensionContext context) {
		for (int i = 0; i < 5 && LEAKS.isEmpty(); i++) {
			System.gc();
			ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(1);
			direct.release();
			Unpooled.buffer(1).release();
		}
		if (!LEAKS.isEmpty()) {
			List<String> leaks = new ArrayList<>(LEAKS);
			LEAKS.clear();
			throw new AssertionError(leaks.size() + " ByteBuf leak(s) reported by Netty in "
					+ context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
		}
	}

	private static synchronized void install() {
		if (installed) {
			return;
		}
		try {
			Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
			field.setAccessible(true);
			ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) field.get(null);
			detector.setLeakListener((type, records) -> LEAKS.add(type + ": " + records));
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			// no access to the ByteBuf detector: fall back to what it logs (java.util.logging without SLF4J)
			Logger.getLogger(ResourceLeakDetector.class.getName()).addHandler(new Handler() {
				@Override
				public void publish(LogRecord record) {
					String message = record.getMessage();
					if (message != null && message.contains("LEAK")) {
						LEAKS.add(message);
					}
				}

				@Override
				public void flush() {
				}

				@Override
				public void close() {
				}
			});
		}
		installed = true;
	}

}
