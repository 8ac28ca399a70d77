package dev.vconn.autoconfigure;

import java.time.Duration;
import java.util.Objects;

import dev.vconn.Transport;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration properties of the auto-configured {@link dev.vconn.VConnRuntime}, under the
 * {@code vconn} prefix.
 *
 * <p><b>Validation:</b> each setter rejects a value that is invalid on its own (a negative
 * timeout, zero event threads), and {@link #validate} rejects combinations (a low water mark
 * above the high one), so a bad value fails start-up naming the property.
 *
 * @since 0.1.0
 */
@ConfigurationProperties("vconn")
public class VConnProperties implements Validator {

	/**
	 * Whether to auto-configure the VConn runtime, its factory and the intercept hook registry.
	 */
	private boolean enabled = true;

	/**
	 * Network transport of the runtime. 'auto' uses epoll where the Linux native transport is
	 * available and NIO otherwise; 'epoll' fails start-up where it is not available.
	 */
	private Transport transport = Transport.AUTO;

	/**
	 * Number of event threads of the main transport. Defaults to the number of available
	 * processors.
	 */
	private @Nullable Integer eventThreads;

	/**
	 * Maximum number of VConns alive at once; adoptions and connects beyond it fail with reason
	 * 'limit_reached'. 0 means no limit.
	 */
	private int maxConnections;

	/**
	 * Inactivity timeout every new VConn starts with: fired when no byte moves in either
	 * direction for this long. Unset or 0 means none.
	 */
	private @Nullable Duration inactivityTimeout;

	/**
	 * Active timeout every new VConn starts with: fired this long after creation, whatever the
	 * traffic. Unset or 0 means none.
	 */
	private @Nullable Duration activeTimeout;

	private final WriteBuffer writeBuffer = new WriteBuffer();

	private final Shutdown shutdown = new Shutdown();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Transport getTransport() {
		return this.transport;
	}

	public void setTransport(Transport transport) {
		this.transport = Objects.requireNonNull(transport, "vconn.transport must not be null");
	}

	public @Nullable Integer getEventThreads() {
		return this.eventThreads;
	}

	public void setEventThreads(@Nullable Integer eventThreads) {
		if (eventThreads != null && eventThreads < 1) {
			throw new IllegalArgumentException("vconn.event-threads must be at least 1, was " + eventThreads);
		}
		this.eventThreads = eventThreads;
	}

	public int getMaxConnections() {
		return this.maxConnections;
	}

	public void setMaxConnections(int maxConnections) {
		if (maxConnections < 0) {
			throw new IllegalArgumentException(
					"vconn.max-connections must not be negative (0 means no limit), was " + maxConnections);
		}
		this.maxConnections = maxConnections;
	}

	public @Nullable Duration getInactivityTimeout() {
		return this.inactivityTimeout;
	}

	public void setInactivityTimeout(@Nullable Duration inactivityTimeout) {
		this.inactivityTimeout = requireNotNegative(inactivityTimeout, "vconn.inactivity-timeout");
	}

	public @Nullable Duration getActiveTimeout() {
		return this.activeTimeout;
	}

	public void setActiveTimeout(@Nullable Duration activeTimeout) {
		this.activeTimeout = requireNotNegative(activeTimeout, "vconn.active-timeout");
	}

	public WriteBuffer getWriteBuffer() {
		return this.writeBuffer;
	}

	public Shutdown getShutdown() {
		return this.shutdown;
	}

	@Override
	public boolean supports(Class<?> type) {
		return VConnProperties.class.isAssignableFrom(type);
	}

	@Override
	public void validate(Object target, Errors errors) {
		VConnProperties properties = (VConnProperties) target;
		DataSize low = properties.getWriteBuffer().getLowWaterMark();
		DataSize high = properties.getWriteBuffer().getHighWaterMark();
		if (high.compareTo(low) < 0) {
			errors.rejectValue("write-buffer.high-water-mark", "vconn.write-buffer.high-below-low",
					"must be at least vconn.write-buffer.low-water-mark (" + low + ")");
		}
	}

	private static @Nullable Duration requireNotNegative(@Nullable Duration value, String name) {
		if (value != null && value.isNegative()) {
			throw new IllegalArgumentException(name + " must not be negative, was " + value);
		}
		return value;
	}

	private static DataSize requireWaterMark(@Nullable DataSize value, String name) {
		if (value == null) {
			throw new IllegalArgumentException(name + " must not be empty");
		}
		if (value.toBytes() < 1 || value.toBytes() > Integer.MAX_VALUE) {
			throw new IllegalArgumentException(
					name + " must be between 1B and " + Integer.MAX_VALUE + "B, was " + value);
		}
		return value;
	}

	/**
	 * Water marks of each connection's outbound queue ({@code vconn.write-buffer.*}).
	 */
	public static class WriteBuffer {

		/**
		 * Low water mark of each connection's outbound queue: once a full queue drains below it,
		 * the connection is writable again. Must not exceed the high water mark.
		 */
		private DataSize lowWaterMark = DataSize.ofKilobytes(32);

		/**
		 * High water mark of each connection's outbound queue: a write hands at most this many
		 * bytes to the socket per transfer, and the connection stops being writable above it.
		 */
		private DataSize highWaterMark = DataSize.ofKilobytes(64);

		public DataSize getLowWaterMark() {
			return this.lowWaterMark;
		}

		public void setLowWaterMark(DataSize lowWaterMark) {
			this.lowWaterMark = requireWaterMark(lowWaterMark, "vconn.write-buffer.low-water-mark");
		}

		public DataSize getHighWaterMark() {
			return this.highWaterMark;
		}

		public void setHighWaterMark(DataSize highWaterMark) {
			this.highWaterMark = requireWaterMark(highWaterMark, "vconn.write-buffer.high-water-mark");
		}

	}

	/**
	 * Graceful shutdown of the runtime ({@code vconn.shutdown.*}).
	 */
	public static class Shutdown {

		/**
		 * How long the runtime lets live VConns finish when the application stops, after it
		 * stopped taking new ones. VConns still alive then are aborted (abort cause 'shutdown').
		 */
		private Duration timeout = Duration.ofSeconds(30);

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			if (timeout == null || timeout.isNegative()) {
				throw new IllegalArgumentException("vconn.shutdown.timeout must not be negative, was " + timeout);
			}
			this.timeout = timeout;
		}

	}

}
