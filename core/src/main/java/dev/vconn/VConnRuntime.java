package dev.vconn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.vconn.internal.Durations;
import dev.vconn.internal.net.NetLayer;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.internal.runtime.RuntimeCore;
import org.jspecify.annotations.Nullable;

/**
 * Owns the event threads that drive VConns, the connection limit, the default timeouts and the
 * listeners; hands out the {@link VConnFactory} that creates VConns on it. The counterpart of
 * Traffic Server's net processor and event threads.
 *
 * <p><b>Transport:</b> chosen once, when the runtime is built: epoll when the Linux native
 * transport is available, NIO otherwise ({@link Transport#AUTO}), or as configured. Raw
 * descriptors can be adopted only on epoll. JDK channels are always driven by NIO event loops,
 * which the runtime starts on first use when its main transport is epoll.
 *
 * <p><b>Lifecycle:</b> running from creation. {@link #close()} is graceful: it refuses new
 * connections at once ({@link AdoptionFailureReason#SHUTTING_DOWN}), waits up to the shutdown
 * timeout for live VConns to end, aborts the rest (cause {@link CloseKind#SHUTDOWN}) and stops
 * the event threads.
 *
 * <p><b>Threads:</b> all methods are thread-safe. {@link #close()} blocks and must not be called
 * on one of the runtime's own event threads.
 *
 * @since 0.1.0
 */
public final class VConnRuntime implements AutoCloseable {

	static {
		RuntimeAccess.install((runtime) -> runtime.core);
	}

	private final RuntimeCore core;

	private VConnRuntime(Builder builder) {
		this.core = new RuntimeCore(builder.transport, builder.eventThreads, builder.maxConnections,
				builder.inactivityTimeout, builder.activeTimeout, builder.writeLowWaterMark, builder.writeHighWaterMark,
				builder.shutdownTimeout, builder.allowStandardStreams, new NetLayer(builder.maxPipes, builder.pipeSize),
				builder.listeners);
	}

	/**
	 * Creates a runtime with the defaults of {@link Builder}.
	 * @return a running runtime
	 */
	public static VConnRuntime create() {
		return builder().build();
	}

	/**
	 * Starts configuring a runtime.
	 * @return a builder with the defaults
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * The factory that creates VConns on this runtime.
	 * @return the factory, the same instance on every call
	 */
	public VConnFactory factory() {
		return this.core.factory();
	}

	/**
	 * The transport in use (never {@link Transport#AUTO}).
	 * @return EPOLL or NIO
	 */
	public Transport transport() {
		return this.core.transport();
	}

	/**
	 * Whether raw file descriptors can be adopted ({@link VConnFactory#fdCreate(int)},
	 * {@link VConnFactory#adopt(int)}): the transport is epoll and the libc calls adoption makes
	 * could be loaded. On JDK 24 and later both need native access for the class path
	 * ({@code --enable-native-access=ALL-UNNAMED}); where it is denied, an {@link Transport#AUTO}
	 * runtime falls back to NIO and logs a warning. When this is {@code false}, raw descriptors
	 * are refused with {@link AdoptionFailureReason#UNSUPPORTED}; JDK channels can still be adopted.
	 * <p><b>Lifecycle:</b> fixed when the runtime is built.
	 * @return {@code true} if raw descriptors can be adopted
	 * @see #fdAdoptionUnavailableReason()
	 */
	public boolean isFdAdoptionAvailable() {
		return this.core.fdAdoptionUnavailable() == null;
	}

	/**
	 * Why raw file descriptors cannot be adopted, as {@link #isFdAdoptionAvailable()} reports.
	 * @return the reason, with the underlying cause, or {@code null} if they can be adopted
	 */
	public @Nullable String fdAdoptionUnavailableReason() {
		return this.core.fdAdoptionUnavailable();
	}

	/**
	 * The number of event threads of the main transport.
	 * @return the thread count
	 */
	public int eventThreads() {
		return this.core.eventThreads();
	}

	/**
	 * The connection limit. It counts socket VConns only: the ends of a {@link VConnPair} own no
	 * descriptor and never count toward it (as Traffic Server's PluginVCs do not count toward its
	 * connection throttle), although {@link #activeCount()} includes them.
	 * @return the most socket VConns alive at once, 0 for no limit
	 */
	public int maxConnections() {
		return this.core.maxConnections();
	}

	/**
	 * The inactivity timeout every new VConn starts with.
	 * @return the timeout, {@link Duration#ZERO} for none
	 */
	public Duration inactivityTimeout() {
		return this.core.inactivityTimeout();
	}

	/**
	 * The active timeout every new VConn starts with.
	 * @return the timeout, {@link Duration#ZERO} for none
	 */
	public Duration activeTimeout() {
		return this.core.activeTimeout();
	}

	/**
	 * The low water mark of each connection's outbound queue.
	 * @return bytes
	 */
	public int writeLowWaterMark() {
		return this.core.writeLowWaterMark();
	}

	/**
	 * The high water mark of each connection's outbound queue: the most a write VIO hands to the
	 * socket per transfer.
	 * @return bytes
	 */
	public int writeHighWaterMark() {
		return this.core.writeHighWaterMark();
	}

	/**
	 * The VConns alive now: adopted or connected and not yet closed, and the ends of
	 * {@link VConnPair}s not yet closed (each end counts once).
	 * @return the count
	 */
	public int activeCount() {
		return this.core.activeCount();
	}

	/**
	 * A snapshot of the VConns alive now.
	 * @return the live VConns, in no particular order
	 */
	public Collection<VConn> vconns() {
		return this.core.vconns();
	}

	/**
	 * Looks up a live VConn.
	 * @param id the VConn's {@link VConn#id()}
	 * @return the VConn, or empty if no live VConn has that id
	 */
	public Optional<VConn> find(long id) {
		return this.core.find(id);
	}

	/**
	 * Whether the runtime takes new connections.
	 * @return {@code true} until {@link #close()} starts
	 */
	public boolean isRunning() {
		return this.core.isRunning();
	}

	/**
	 * Whether every event thread is alive and the runtime is running.
	 * @return {@code true} when healthy
	 */
	public boolean isHealthy() {
		return this.core.isHealthy();
	}

	/**
	 * The time {@link #close()} gives live VConns to end before aborting them.
	 * @return the shutdown timeout
	 */
	public Duration shutdownTimeout() {
		return this.core.shutdownTimeout();
	}

	/**
	 * Shuts down gracefully within the configured {@link #shutdownTimeout()}.
	 * @see #close(Duration)
	 */
	@Override
	public void close() {
		close(shutdownTimeout());
	}

	/**
	 * Shuts down gracefully: refuses new connections, waits up to {@code timeout} for live VConns
	 * to end, aborts the rest (cause {@link CloseKind#SHUTDOWN}) and stops the event threads.
	 * Idempotent; a second call waits for the first to finish.
	 * @param timeout how long to let live VConns finish
	 * @return the number of VConns that had to be aborted
	 * @throws IllegalStateException if called on one of this runtime's event threads
	 */
	public int close(Duration timeout) {
		return this.core.close(timeout);
	}

	@Override
	public String toString() {
		return "VConnRuntime[transport=" + transport() + ", eventThreads=" + eventThreads() + ", active="
				+ activeCount() + ", running=" + isRunning() + "]";
	}

	/**
	 * Configures a {@link VConnRuntime}. Not thread-safe.
	 */
	public static final class Builder {

		private Transport transport = Transport.AUTO;

		private int eventThreads = Runtime.getRuntime().availableProcessors();

		private int maxConnections;

		private Duration inactivityTimeout = Duration.ZERO;

		private Duration activeTimeout = Duration.ZERO;

		private int writeLowWaterMark = 32 * 1024;

		private int writeHighWaterMark = 64 * 1024;

		private Duration shutdownTimeout = Duration.ofSeconds(30);

		private boolean allowStandardStreams;

		private int maxPipes = 256;

		private int pipeSize = 256 * 1024;

		private final List<VConnListener> listeners = new ArrayList<>();

		private Builder() {
		}

		/**
		 * The transport; default {@link Transport#AUTO}. Asking for {@link Transport#EPOLL} where it
		 * is not available makes {@link #build()} fail with the reason.
		 * @param transport the transport
		 * @return this builder
		 */
		public Builder transport(Transport transport) {
			this.transport = Objects.requireNonNull(transport, "transport");
			return this;
		}

		/**
		 * The number of event threads; default the number of available processors.
		 * @param eventThreads at least 1
		 * @return this builder
		 */
		public Builder eventThreads(int eventThreads) {
			if (eventThreads < 1) {
				throw new IllegalArgumentException("eventThreads must be at least 1, was " + eventThreads);
			}
			this.eventThreads = eventThreads;
			return this;
		}

		/**
		 * The most socket VConns alive at once; further adoptions and connects fail with
		 * {@link AdoptionFailureReason#LIMIT_REACHED}. {@link VConnPair} ends are not counted.
		 * Default 0: no limit.
		 * @param maxConnections the limit, 0 for none
		 * @return this builder
		 */
		public Builder maxConnections(int maxConnections) {
			if (maxConnections < 0) {
				throw new IllegalArgumentException("maxConnections must not be negative, was " + maxConnections);
			}
			this.maxConnections = maxConnections;
			return this;
		}

		/**
		 * The most pipes splicing tunnels may hold at once (HAProxy's {@code maxpipes}); default 256.
		 * A direction of a spliced {@link Tunnel} borrows a pipe (two descriptors) only while it
		 * moves bytes and gives it back when it goes idle, so an idle tunnel holds no pipe; with
		 * every pipe borrowed, a direction copies through the JVM instead. 0 turns splicing off.
		 * @param maxPipes the limit, not negative
		 * @return this builder
		 */
		public Builder maxPipes(int maxPipes) {
			if (maxPipes < 0) {
				throw new IllegalArgumentException("maxPipes must not be negative, was " + maxPipes);
			}
			this.maxPipes = maxPipes;
			return this;
		}

		/**
		 * The capacity asked of the kernel for each pipe of a splicing tunnel ({@code F_SETPIPE_SZ},
		 * HAProxy's {@code tune.pipesize}); default 256 KiB. A larger pipe moves more bytes per
		 * {@code splice(2)} call, so a bulk transfer costs fewer calls and less CPU per byte; the kernel
		 * rounds the size up to a power of two of pages. A pipe holds memory only for the bytes in it,
		 * but Linux charges its whole capacity to the user's pipe allowance
		 * ({@code fs.pipe-user-pages-soft}, 64 MiB by default for users without
		 * {@code CAP_SYS_RESOURCE}): keep {@code maxPipes × pipeSize} below it. When the kernel refuses
		 * the size (above {@code fs.pipe-max-size}, or over the allowance), the pipe keeps the size
		 * the kernel gave it, splicing goes on, and the runtime logs one warning with both sizes (logger
		 * {@code dev.vconn.internal.net.PipePool}). 0 leaves every pipe at the kernel's default (64 KiB).
		 * @param pipeSize the capacity in bytes, not negative
		 * @return this builder
		 */
		public Builder pipeSize(int pipeSize) {
			if (pipeSize < 0) {
				throw new IllegalArgumentException("pipeSize must not be negative, was " + pipeSize);
			}
			this.pipeSize = pipeSize;
			return this;
		}

		/**
		 * The inactivity timeout every new VConn starts with; default {@link Duration#ZERO}: none.
		 * @param timeout the timeout, not negative
		 * @return this builder
		 */
		public Builder inactivityTimeout(Duration timeout) {
			this.inactivityTimeout = Durations.requireNotNegative(timeout, "inactivityTimeout");
			return this;
		}

		/**
		 * The active timeout every new VConn starts with; default {@link Duration#ZERO}: none.
		 * @param timeout the timeout, not negative
		 * @return this builder
		 */
		public Builder activeTimeout(Duration timeout) {
			this.activeTimeout = Durations.requireNotNegative(timeout, "activeTimeout");
			return this;
		}

		/**
		 * Water marks of each connection's outbound queue: a write VIO hands at most {@code high}
		 * bytes to the socket per transfer. Defaults 32 KiB and 64 KiB.
		 * @param low the low water mark, at least 1
		 * @param high the high water mark, at least {@code low}
		 * @return this builder
		 */
		public Builder writeBufferWaterMarks(int low, int high) {
			if (low < 1 || high < low) {
				throw new IllegalArgumentException("water marks must satisfy 1 <= low <= high, were " + low + " and " + high);
			}
			this.writeLowWaterMark = low;
			this.writeHighWaterMark = high;
			return this;
		}

		/**
		 * How long {@link VConnRuntime#close()} lets live VConns finish; default 30 seconds.
		 * @param timeout the timeout, not negative
		 * @return this builder
		 */
		public Builder shutdownTimeout(Duration timeout) {
			this.shutdownTimeout = Durations.requireNotNegative(timeout, "shutdownTimeout");
			return this;
		}

		/**
		 * Whether descriptors 0, 1 and 2 may be adopted (for inetd-style socket activation, where
		 * the connection arrives as standard input). Default {@code false}: they fail with
		 * {@link AdoptionFailureReason#INVALID_FD}.
		 * @param allow whether to accept them
		 * @return this builder
		 */
		public Builder allowStandardStreams(boolean allow) {
			this.allowStandardStreams = allow;
			return this;
		}

		/**
		 * Adds a listener that observes adoptions, closes, aborts and bytes.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder addListener(VConnListener listener) {
			this.listeners.add(Objects.requireNonNull(listener, "listener"));
			return this;
		}

		/**
		 * Starts the event threads.
		 * @return a running runtime
		 * @throws IllegalStateException if the requested transport is not available
		 */
		public VConnRuntime build() {
			return new VConnRuntime(this);
		}


	}

}
