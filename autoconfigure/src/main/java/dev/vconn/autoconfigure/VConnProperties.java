package dev.vconn.autoconfigure;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.vconn.Transport;
import dev.vconn.intercept.ListenerInheritance;
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
	 * Creates the properties, each with its default.
	 */
	public VConnProperties() {
	}

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
	 * Maximum number of pipes splicing tunnels hold at once. A tunnel direction borrows a pipe
	 * (two descriptors) only while it moves bytes and gives it back when it goes idle; with none
	 * left it copies instead. 0 turns splicing off.
	 */
	private int maxPipes = 256;

	/**
	 * Capacity asked of the kernel for each splicing pipe (HAProxy's tune.pipesize). Larger pipes
	 * move a bulk transfer in fewer splice calls. Linux charges each pipe's capacity to the user's
	 * pipe allowance (fs.pipe-user-pages-soft, 64 MiB unless privileged): keep max-pipes times this
	 * below it. A size the kernel refuses leaves the pipe at the size it gave. 0 keeps the kernel's
	 * default (64 KiB).
	 */
	private DataSize pipeSize = DataSize.ofKilobytes(256);

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

	private final Listener listener = new Listener();

	private final Observations observations = new Observations();

	private final Handoff handoff = new Handoff();

	/**
	 * Returns {@code vconn.enabled}.
	 * @return the configured value
	 */
	public boolean isEnabled() {
		return this.enabled;
	}

	/**
	 * Sets {@code vconn.enabled}.
	 * @param enabled the new value
	 */
	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	/**
	 * Returns {@code vconn.transport}.
	 * @return the configured value
	 */
	public Transport getTransport() {
		return this.transport;
	}

	/**
	 * Sets {@code vconn.transport}.
	 * @param transport the new value
	 */
	public void setTransport(Transport transport) {
		this.transport = Objects.requireNonNull(transport, "vconn.transport must not be null");
	}

	/**
	 * Returns {@code vconn.event-threads}.
	 * @return the configured value
	 */
	public @Nullable Integer getEventThreads() {
		return this.eventThreads;
	}

	/**
	 * Sets {@code vconn.event-threads}.
	 * @param eventThreads the new value
	 */
	public void setEventThreads(@Nullable Integer eventThreads) {
		if (eventThreads != null && eventThreads < 1) {
			throw new IllegalArgumentException("vconn.event-threads must be at least 1, was " + eventThreads);
		}
		this.eventThreads = eventThreads;
	}

	/**
	 * Returns {@code vconn.max-connections}.
	 * @return the configured value
	 */
	public int getMaxConnections() {
		return this.maxConnections;
	}

	/**
	 * Sets {@code vconn.max-connections}.
	 * @param maxConnections the new value
	 */
	public void setMaxConnections(int maxConnections) {
		if (maxConnections < 0) {
			throw new IllegalArgumentException(
					"vconn.max-connections must not be negative (0 means no limit), was " + maxConnections);
		}
		this.maxConnections = maxConnections;
	}

	/**
	 * Returns {@code vconn.pipe-size}.
	 * @return the configured value
	 */
	public DataSize getPipeSize() {
		return this.pipeSize;
	}

	/**
	 * Sets {@code vconn.pipe-size}.
	 * @param pipeSize the new value
	 */
	public void setPipeSize(DataSize pipeSize) {
		if (pipeSize.isNegative() || pipeSize.toBytes() > Integer.MAX_VALUE) {
			throw new IllegalArgumentException("vconn.pipe-size must be between 0 (the kernel's default) and 2GB, was "
					+ pipeSize);
		}
		this.pipeSize = pipeSize;
	}

	/**
	 * Returns {@code vconn.max-pipes}.
	 * @return the configured value
	 */
	public int getMaxPipes() {
		return this.maxPipes;
	}

	/**
	 * Sets {@code vconn.max-pipes}.
	 * @param maxPipes the new value
	 */
	public void setMaxPipes(int maxPipes) {
		if (maxPipes < 0) {
			throw new IllegalArgumentException("vconn.max-pipes must not be negative (0 turns splicing off), was " + maxPipes);
		}
		this.maxPipes = maxPipes;
	}

	/**
	 * Returns {@code vconn.inactivity-timeout}.
	 * @return the configured value
	 */
	public @Nullable Duration getInactivityTimeout() {
		return this.inactivityTimeout;
	}

	/**
	 * Sets {@code vconn.inactivity-timeout}.
	 * @param inactivityTimeout the new value
	 */
	public void setInactivityTimeout(@Nullable Duration inactivityTimeout) {
		this.inactivityTimeout = requireNotNegative(inactivityTimeout, "vconn.inactivity-timeout");
	}

	/**
	 * Returns {@code vconn.active-timeout}.
	 * @return the configured value
	 */
	public @Nullable Duration getActiveTimeout() {
		return this.activeTimeout;
	}

	/**
	 * Sets {@code vconn.active-timeout}.
	 * @param activeTimeout the new value
	 */
	public void setActiveTimeout(@Nullable Duration activeTimeout) {
		this.activeTimeout = requireNotNegative(activeTimeout, "vconn.active-timeout");
	}

	/**
	 * The {@code vconn.write-buffer.*} settings.
	 * @return the group, never {@code null}
	 */
	public WriteBuffer getWriteBuffer() {
		return this.writeBuffer;
	}

	/**
	 * The {@code vconn.shutdown.*} settings.
	 * @return the group, never {@code null}
	 */
	public Shutdown getShutdown() {
		return this.shutdown;
	}

	/**
	 * The {@code vconn.listener.*} settings.
	 * @return the group, never {@code null}
	 */
	public Listener getListener() {
		return this.listener;
	}

	/**
	 * The {@code vconn.observations.*} settings.
	 * @return the group, never {@code null}
	 */
	public Observations getObservations() {
		return this.observations;
	}

	/**
	 * The {@code vconn.handoff.*} settings.
	 * @return the group, never {@code null}
	 */
	public Handoff getHandoff() {
		return this.handoff;
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
		if (properties.getHandoff().isEnabled() && properties.getHandoff().getPath() == null) {
			errors.rejectValue("handoff.path", "vconn.handoff.path-required",
					"must be set when vconn.handoff.enabled=true: the Unix domain socket where the running instance "
							+ "waits for its successor");
		}
		if (properties.getHandoff().isEnabled() && !properties.getListener().isEnabled()) {
			errors.rejectValue("handoff.enabled", "vconn.handoff.listener-required",
					"needs vconn.listener.enabled=true: a takeover hands over the intercept listener");
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
		 * Creates the settings, each with its default.
		 */
		public WriteBuffer() {
		}

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

		/**
		 * Returns {@code vconn.write-buffer.low-water-mark}.
		 * @return the configured value
		 */
		public DataSize getLowWaterMark() {
			return this.lowWaterMark;
		}

		/**
		 * Sets {@code vconn.write-buffer.low-water-mark}.
		 * @param lowWaterMark the new value
		 */
		public void setLowWaterMark(DataSize lowWaterMark) {
			this.lowWaterMark = requireWaterMark(lowWaterMark, "vconn.write-buffer.low-water-mark");
		}

		/**
		 * Returns {@code vconn.write-buffer.high-water-mark}.
		 * @return the configured value
		 */
		public DataSize getHighWaterMark() {
			return this.highWaterMark;
		}

		/**
		 * Sets {@code vconn.write-buffer.high-water-mark}.
		 * @param highWaterMark the new value
		 */
		public void setHighWaterMark(DataSize highWaterMark) {
			this.highWaterMark = requireWaterMark(highWaterMark, "vconn.write-buffer.high-water-mark");
		}

	}

	/**
	 * Graceful shutdown of the runtime ({@code vconn.shutdown.*}).
	 */
	public static class Shutdown {

		/**
		 * Creates the settings, each with its default.
		 */
		public Shutdown() {
		}

		/**
		 * How long the runtime lets live VConns finish when the application stops, after it
		 * stopped taking new ones. VConns still alive then are aborted (abort cause 'shutdown').
		 */
		private Duration timeout = Duration.ofSeconds(30);

		/**
		 * Returns {@code vconn.shutdown.timeout}.
		 * @return the configured value
		 */
		public Duration getTimeout() {
			return this.timeout;
		}

		/**
		 * Sets {@code vconn.shutdown.timeout}.
		 * @param timeout the new value
		 */
		public void setTimeout(Duration timeout) {
			if (timeout == null || timeout.isNegative()) {
				throw new IllegalArgumentException("vconn.shutdown.timeout must not be negative, was " + timeout);
			}
			this.timeout = timeout;
		}

	}

	/**
	 * Micrometer observations of adoptions, connects and intercept-listener transactions
	 * ({@code vconn.observations.*}), recorded when an {@code ObservationRegistry} bean exists.
	 */
	public static class Observations {

		/**
		 * Creates the settings, each with its default.
		 */
		public Observations() {
		}

		/**
		 * Whether to record the 'vconn.adoption' and 'vconn.transaction' observations when an
		 * ObservationRegistry bean exists.
		 */
		private boolean enabled = true;

		/**
		 * Returns {@code vconn.observations.enabled}.
		 * @return the configured value
		 */
		public boolean isEnabled() {
			return this.enabled;
		}

		/**
		 * Sets {@code vconn.observations.enabled}.
		 * @param enabled the new value
		 */
		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Zero-downtime restarts of the intercept listener ({@code vconn.handoff.*}): a running
	 * instance serves a Unix domain socket at the path; an instance started with the same settings
	 * finds it there, takes its listening socket and its keep-alive client connections over before
	 * binding anything, and the running instance then shuts down by itself within
	 * vconn.shutdown.timeout. See {@link dev.vconn.intercept.VConnHandoff}.
	 */
	public static class Handoff {

		/**
		 * Creates the settings, each with its default.
		 */
		public Handoff() {
		}

		/**
		 * Whether to take the intercept listener over from an instance serving vconn.handoff.path at
		 * start-up, and to serve that path for the next instance. Needs vconn.listener.enabled.
		 */
		private boolean enabled;

		/**
		 * Path of the Unix domain socket the running instance and its successor meet at, required
		 * when vconn.handoff.enabled is true. Its directory must exist and belong to the user the
		 * application runs as; the socket is created with mode 0600.
		 */
		private @Nullable Path path;

		/**
		 * User ids trusted to take over or hand over besides the application's own uid (checked
		 * with SO_PEERCRED). Empty by default: the same uid only.
		 */
		private List<Integer> allowedUids = new ArrayList<>();

		/**
		 * Returns {@code vconn.handoff.enabled}.
		 * @return the configured value
		 */
		public boolean isEnabled() {
			return this.enabled;
		}

		/**
		 * Sets {@code vconn.handoff.enabled}.
		 * @param enabled the new value
		 */
		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		/**
		 * Returns {@code vconn.handoff.path}.
		 * @return the configured value, or {@code null} when not set
		 */
		public @Nullable Path getPath() {
			return this.path;
		}

		/**
		 * Sets {@code vconn.handoff.path}.
		 * @param path the new value
		 */
		public void setPath(@Nullable Path path) {
			this.path = path;
		}

		/**
		 * Returns {@code vconn.handoff.allowed-uids}.
		 * @return the configured value, never {@code null}
		 */
		public List<Integer> getAllowedUids() {
			return this.allowedUids;
		}

		/**
		 * Sets {@code vconn.handoff.allowed-uids}.
		 * @param allowedUids the new value
		 */
		public void setAllowedUids(List<Integer> allowedUids) {
			for (Integer uid : allowedUids) {
				if (uid == null || uid < 0) {
					throw new IllegalArgumentException("vconn.handoff.allowed-uids must hold user ids (0 or more), was "
							+ allowedUids);
				}
			}
			this.allowedUids = new ArrayList<>(allowedUids);
		}

	}

	/**
	 * VConn's own HTTP traffic listener ({@code vconn.listener.*}), an
	 * {@link dev.vconn.intercept.InterceptListener} that offers requests to the intercept hooks and
	 * sends the ones no hook claims to the origin.
	 */
	public static class Listener {

		/**
		 * Creates the settings, each with its default.
		 */
		public Listener() {
		}

		/** The loopback address 127.0.0.1, whatever {@code java.net.preferIPv6Addresses} says. */
		private static final InetAddress LOOPBACK = loopback();

		/**
		 * Whether to start the intercept listener.
		 */
		private boolean enabled;

		/**
		 * Address the intercept listener binds to.
		 */
		private InetAddress address = LOOPBACK;

		/**
		 * Port the intercept listener binds to. 0 picks a free port.
		 */
		private int port = 8081;

		/**
		 * Whether the intercept listener serves on a listening socket passed by systemd socket
		 * activation (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; the socket named 'vconn-listener',
		 * else the first) instead of binding the address and port: 'auto' when one is passed,
		 * 'never', or 'required' (start-up fails without one). Needs the epoll transport; on NIO,
		 * 'auto' binds and logs a warning.
		 */
		private ListenerInheritance inherit = ListenerInheritance.AUTO;

		/**
		 * Largest request head a client may send: request line, header lines and every line end,
		 * the final empty line included; a larger one gets 431 and the connection is closed. At
		 * least 256B.
		 */
		private DataSize maxHeaderSize = DataSize.ofKilobytes(8);

		/**
		 * Longest request line (method, target and version, without the line end) a client may
		 * send; a longer one gets 414 and the connection is closed. At least 64B.
		 */
		private DataSize maxRequestLine = DataSize.ofKilobytes(4);

		/**
		 * How long a client has to send its whole request head; a slower one gets 408 and the
		 * connection is closed.
		 */
		private Duration headerTimeout = Duration.ofSeconds(10);

		/**
		 * How long a keep-alive connection may wait for its next request before it is closed. In
		 * connection mode, how long a tunnel may move no byte in either direction once the origin
		 * answered.
		 */
		private Duration idleTimeout = Duration.ofSeconds(60);

		/**
		 * How long the origin, or a server intercept, has to start its response after the last
		 * request byte it was given; past it the client gets 504 and the connection is closed.
		 */
		private Duration originTimeout = Duration.ofSeconds(60);

		/**
		 * How long an idle pooled connection to the origin is kept open (per-transaction mode).
		 */
		private Duration originIdleTimeout = Duration.ofSeconds(30);

		/**
		 * Origin (host:port) that connections no hook claims are tunnelled to. Defaults to the
		 * application's own web server port, on 127.0.0.1 or on 'server.address' when that is a
		 * specific address. Without a web server or an origin, such connections get 502.
		 */
		private @Nullable String origin;

		/**
		 * Whether every request on a keep-alive connection is a transaction that runs the hooks,
		 * unclaimed ones going to the origin over pooled connections. When false (connection
		 * mode), hooks see only the first request of a connection, and a connection no hook
		 * claims is tunnelled to the origin as a whole.
		 */
		private boolean perTransaction = true;

		/**
		 * Whether requests forwarded to the origin get Via and X-Forwarded-For headers
		 * (per-transaction mode).
		 */
		private boolean forwardedHeaders = true;

		/**
		 * Whether connection-mode tunnels move bytes with zero-copy splice(2) where both sockets
		 * are epoll TCP sockets, rather than copying them through the JVM.
		 */
		private boolean splice = true;

		/**
		 * Whether a listener that binds opens one listening socket per event thread on its
		 * address (SO_REUSEPORT, epoll), so that each thread serves the connections it accepts.
		 * Turn off where another process of the same user must not be able to bind the port too.
		 */
		private boolean socketPerLoop = true;

		/**
		 * Returns {@code vconn.listener.enabled}.
		 * @return the configured value
		 */
		public boolean isEnabled() {
			return this.enabled;
		}

		/**
		 * Sets {@code vconn.listener.enabled}.
		 * @param enabled the new value
		 */
		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		/**
		 * Returns {@code vconn.listener.address}.
		 * @return the configured value
		 */
		public InetAddress getAddress() {
			return this.address;
		}

		/**
		 * Sets {@code vconn.listener.address}.
		 * @param address the new value
		 */
		public void setAddress(InetAddress address) {
			this.address = Objects.requireNonNull(address, "vconn.listener.address must not be empty");
		}

		/**
		 * Returns {@code vconn.listener.port}.
		 * @return the configured value
		 */
		public int getPort() {
			return this.port;
		}

		/**
		 * Sets {@code vconn.listener.port}.
		 * @param port the new value
		 */
		public void setPort(int port) {
			if (port < 0 || port > 65535) {
				throw new IllegalArgumentException(
						"vconn.listener.port must be between 0 and 65535 (0 picks a free port), was " + port);
			}
			this.port = port;
		}

		/**
		 * Returns {@code vconn.listener.max-header-size}.
		 * @return the configured value
		 */
		public DataSize getMaxHeaderSize() {
			return this.maxHeaderSize;
		}

		/**
		 * Sets {@code vconn.listener.max-header-size}.
		 * @param maxHeaderSize the new value
		 */
		public void setMaxHeaderSize(DataSize maxHeaderSize) {
			if (maxHeaderSize == null || maxHeaderSize.toBytes() < 256 || maxHeaderSize.toBytes() > Integer.MAX_VALUE) {
				throw new IllegalArgumentException("vconn.listener.max-header-size must be between 256B and "
						+ Integer.MAX_VALUE + "B, was " + maxHeaderSize);
			}
			this.maxHeaderSize = maxHeaderSize;
		}

		/**
		 * Returns {@code vconn.listener.max-request-line}.
		 * @return the configured value
		 */
		public DataSize getMaxRequestLine() {
			return this.maxRequestLine;
		}

		/**
		 * Sets {@code vconn.listener.max-request-line}.
		 * @param maxRequestLine the new value
		 */
		public void setMaxRequestLine(DataSize maxRequestLine) {
			if (maxRequestLine == null || maxRequestLine.toBytes() < 64 || maxRequestLine.toBytes() > Integer.MAX_VALUE) {
				throw new IllegalArgumentException("vconn.listener.max-request-line must be between 64B and "
						+ Integer.MAX_VALUE + "B, was " + maxRequestLine);
			}
			this.maxRequestLine = maxRequestLine;
		}

		/**
		 * Returns {@code vconn.listener.idle-timeout}.
		 * @return the configured value
		 */
		public Duration getIdleTimeout() {
			return this.idleTimeout;
		}

		/**
		 * Sets {@code vconn.listener.idle-timeout}.
		 * @param idleTimeout the new value
		 */
		public void setIdleTimeout(Duration idleTimeout) {
			this.idleTimeout = positive(idleTimeout, "vconn.listener.idle-timeout");
		}

		/**
		 * Returns {@code vconn.listener.origin-timeout}.
		 * @return the configured value
		 */
		public Duration getOriginTimeout() {
			return this.originTimeout;
		}

		/**
		 * Sets {@code vconn.listener.origin-timeout}.
		 * @param originTimeout the new value
		 */
		public void setOriginTimeout(Duration originTimeout) {
			this.originTimeout = positive(originTimeout, "vconn.listener.origin-timeout");
		}

		/**
		 * Returns {@code vconn.listener.origin-idle-timeout}.
		 * @return the configured value
		 */
		public Duration getOriginIdleTimeout() {
			return this.originIdleTimeout;
		}

		/**
		 * Sets {@code vconn.listener.origin-idle-timeout}.
		 * @param originIdleTimeout the new value
		 */
		public void setOriginIdleTimeout(Duration originIdleTimeout) {
			this.originIdleTimeout = positive(originIdleTimeout, "vconn.listener.origin-idle-timeout");
		}

		private static Duration positive(@Nullable Duration timeout, String property) {
			if (timeout == null || timeout.isZero() || timeout.isNegative()) {
				throw new IllegalArgumentException(property + " must be positive, was " + timeout);
			}
			return timeout;
		}

		/**
		 * Returns {@code vconn.listener.header-timeout}.
		 * @return the configured value
		 */
		public Duration getHeaderTimeout() {
			return this.headerTimeout;
		}

		/**
		 * Sets {@code vconn.listener.header-timeout}.
		 * @param headerTimeout the new value
		 */
		public void setHeaderTimeout(Duration headerTimeout) {
			if (headerTimeout == null || headerTimeout.isZero() || headerTimeout.isNegative()) {
				throw new IllegalArgumentException("vconn.listener.header-timeout must be positive, was " + headerTimeout);
			}
			this.headerTimeout = headerTimeout;
		}

		/**
		 * Returns {@code vconn.listener.origin}.
		 * @return the configured value
		 */
		public @Nullable String getOrigin() {
			return this.origin;
		}

		/**
		 * Sets {@code vconn.listener.origin}.
		 * @param origin the new value
		 */
		public void setOrigin(@Nullable String origin) {
			if (origin != null && !origin.isBlank()) {
				parseOrigin(origin);
				this.origin = origin.trim();
			}
			else {
				this.origin = null;
			}
		}

		/**
		 * Returns {@code vconn.listener.inherit}.
		 * @return the configured value
		 */
		public ListenerInheritance getInherit() {
			return this.inherit;
		}

		/**
		 * Sets {@code vconn.listener.inherit}.
		 * @param inherit the new value
		 */
		public void setInherit(ListenerInheritance inherit) {
			this.inherit = Objects.requireNonNull(inherit, "vconn.listener.inherit must be auto, never or required");
		}

		/**
		 * Returns {@code vconn.listener.per-transaction}.
		 * @return the configured value
		 */
		public boolean isPerTransaction() {
			return this.perTransaction;
		}

		/**
		 * Sets {@code vconn.listener.per-transaction}.
		 * @param perTransaction the new value
		 */
		public void setPerTransaction(boolean perTransaction) {
			this.perTransaction = perTransaction;
		}

		/**
		 * Returns {@code vconn.listener.forwarded-headers}.
		 * @return the configured value
		 */
		public boolean isForwardedHeaders() {
			return this.forwardedHeaders;
		}

		/**
		 * Sets {@code vconn.listener.forwarded-headers}.
		 * @param forwardedHeaders the new value
		 */
		public void setForwardedHeaders(boolean forwardedHeaders) {
			this.forwardedHeaders = forwardedHeaders;
		}

		/**
		 * Returns {@code vconn.listener.splice}.
		 * @return the configured value
		 */
		public boolean isSplice() {
			return this.splice;
		}

		/**
		 * Sets {@code vconn.listener.splice}.
		 * @param splice the new value
		 */
		public void setSplice(boolean splice) {
			this.splice = splice;
		}

		/**
		 * Returns {@code vconn.listener.socket-per-loop}.
		 * @return the configured value
		 */
		public boolean isSocketPerLoop() {
			return this.socketPerLoop;
		}

		/**
		 * Sets {@code vconn.listener.socket-per-loop}.
		 * @param socketPerLoop the new value
		 */
		public void setSocketPerLoop(boolean socketPerLoop) {
			this.socketPerLoop = socketPerLoop;
		}

		/** Parses {@code host:port}, {@code [v6-address]:port} included, without resolving the host. */
		static InetSocketAddress parseOrigin(String origin) {
			String value = origin.trim();
			int colon = value.lastIndexOf(':');
			if (colon <= 0 || colon == value.length() - 1) {
				throw invalidOrigin(origin, "expected host:port");
			}
			String host = value.substring(0, colon);
			if (host.startsWith("[") && host.endsWith("]")) {
				host = host.substring(1, host.length() - 1);
			}
			else if (host.indexOf(':') >= 0) {
				throw invalidOrigin(origin, "put an IPv6 address in brackets, as in [::1]:8080");
			}
			if (host.isEmpty()) {
				throw invalidOrigin(origin, "expected host:port");
			}
			int port;
			try {
				port = Integer.parseInt(value.substring(colon + 1));
			}
			catch (NumberFormatException ex) {
				throw invalidOrigin(origin, "the port is not a number");
			}
			if (port < 1 || port > 65535) {
				throw invalidOrigin(origin, "the port must be between 1 and 65535");
			}
			return InetSocketAddress.createUnresolved(host, port);
		}

		private static IllegalArgumentException invalidOrigin(String origin, String reason) {
			return new IllegalArgumentException("vconn.listener.origin must be host:port, was '" + origin + "': " + reason);
		}

		private static InetAddress loopback() {
			try {
				return InetAddress.getByAddress("localhost", new byte[] { 127, 0, 0, 1 });
			}
			catch (UnknownHostException ex) {
				throw new IllegalStateException(ex);
			}
		}

	}

}
