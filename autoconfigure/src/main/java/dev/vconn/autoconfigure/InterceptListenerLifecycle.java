package dev.vconn.autoconfigure;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.VConnHandoff;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * Runs the auto-configured {@link InterceptListener} ({@code vconn.listener.*}) with the
 * application context: binds it on start, closes it on stop. Inject it to learn the bound address,
 * for example with {@code vconn.listener.port=0}:
 * <pre>{@code
 * int port = lifecycle.getListener().address().getPort();
 * }</pre>
 *
 * <p><b>Start:</b> in phase {@link #PHASE}, after the web server has started (Spring Boot starts
 * it in phase {@code WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE}), so the default
 * origin, the application's own web server port, is known. The origin is
 * {@code vconn.listener.origin} when set, else that web server; with neither, requests no hook
 * claims get 502. A port in use (or an address that cannot be bound) fails start-up with an
 * {@link InterceptListenerBindException}. Under systemd socket activation
 * ({@code vconn.listener.inherit}) the listener serves on the passed listening socket instead of
 * binding; a passed descriptor that is not a listening TCP socket, or none under
 * {@code required}, fails start-up with a {@link dev.vconn.intercept.ListenerInheritanceException}.
 *
 * <p><b>Stop:</b> in the same phase, so before Spring Boot's graceful web server shutdown and
 * before the {@link VConnRuntime} stops: the listener stops accepting and closes idle client
 * connections (busy ones close after their current response; in connection mode, the connections
 * whose request head is still being read); then the runtime lets the connections already handed to
 * a hook or tunnelled finish for {@code vconn.shutdown.timeout}, and aborts the rest (abort cause
 * {@code shutdown}).
 *
 * <p><b>Takeover:</b> with {@code vconn.handoff.enabled}, {@link #start()} first asks the instance
 * serving {@code vconn.handoff.path} for its listening socket and keep-alive connections (see
 * {@link VConnHandoff}) and binds only when no instance is there; either way it then serves that
 * path for the next instance. Once a successor has taken over, the application context closes
 * itself, on a thread of its own.
 *
 * <p><b>Threads:</b> {@link #start()} and {@link #stop()} are called by the context's lifecycle
 * processor and block while the listening socket is bound or closed; the getters may be called
 * from any thread.
 *
 * <p><b>Lifecycle:</b> after {@link #stop()} the last listener stays readable through
 * {@link #getListener()}, closed; a later {@link #start()} binds a new one.
 *
 * @since 0.1.0
 */
public final class InterceptListenerLifecycle implements SmartLifecycle {

	/**
	 * The lifecycle phase: after the web server starts, and before Spring Boot's graceful web
	 * server shutdown and the VConn runtime stop.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

	private static final Log logger = LogFactory.getLog(InterceptListenerLifecycle.class);

	private final VConnRuntime runtime;

	private final InterceptHookRegistry hooks;

	private final VConnProperties.Listener properties;

	private final Supplier<@Nullable InetSocketAddress> webServerOrigin;

	private final Supplier<List<InterceptObserver>> observers;

	private final VConnProperties.Handoff handoffProperties;

	private final Duration shutdownTimeout;

	private final Supplier<List<VConnHandoff.Observer>> handoffObservers;

	private final Runnable closeApplication;

	private final Object monitor = new Object();

	private volatile @Nullable InterceptListener listener;

	private volatile @Nullable VConnHandoff handoff;

	private volatile boolean tookOver;

	private volatile boolean running;

	InterceptListenerLifecycle(VConnRuntime runtime, InterceptHookRegistry hooks, VConnProperties.Listener properties,
			Supplier<@Nullable InetSocketAddress> webServerOrigin, Supplier<List<InterceptObserver>> observers) {
		this(runtime, hooks, properties, webServerOrigin, observers, new VConnProperties.Handoff(), Duration.ofSeconds(30),
				List::of, () -> {
				});
	}

	InterceptListenerLifecycle(VConnRuntime runtime, InterceptHookRegistry hooks, VConnProperties.Listener properties,
			Supplier<@Nullable InetSocketAddress> webServerOrigin, Supplier<List<InterceptObserver>> observers,
			VConnProperties.Handoff handoff, Duration shutdownTimeout, Supplier<List<VConnHandoff.Observer>> handoffObservers,
			Runnable closeApplication) {
		this.runtime = runtime;
		this.hooks = hooks;
		this.properties = properties;
		this.webServerOrigin = webServerOrigin;
		this.observers = observers;
		this.handoffProperties = handoff;
		this.shutdownTimeout = shutdownTimeout;
		this.handoffObservers = handoffObservers;
		this.closeApplication = closeApplication;
	}

	/**
	 * The handoff socket this instance serves for its successor ({@code vconn.handoff.enabled}).
	 * @return the handoff, or {@code null} when takeovers are off or before {@link #start()}
	 */
	public @Nullable VConnHandoff getHandoff() {
		return this.handoff;
	}

	/**
	 * Whether the listener was taken over from a running instance at start-up rather than bound.
	 * @return {@code true} after a takeover
	 */
	public boolean hasTakenOver() {
		return this.tookOver;
	}

	/**
	 * The listener.
	 * @return the running listener, the last one after {@link #stop()} (closed), or {@code null}
	 * before the first {@link #start()}
	 */
	public @Nullable InterceptListener getListener() {
		return this.listener;
	}

	@Override
	public void start() {
		synchronized (this.monitor) {
			if (this.running) {
				return;
			}
			if (!this.runtime.isRunning()) {
				logger.warn("VConn intercept listener not started: the VConn runtime is closed");
				return;
			}
			@Nullable InetSocketAddress origin = resolveOrigin();
			InetSocketAddress bindAddress = new InetSocketAddress(this.properties.getAddress(),
					this.properties.getPort());
			InterceptListener started;
			try {
				InterceptListener.Builder builder = InterceptListener.builder(this.runtime, this.hooks);
				this.observers.get().forEach(builder::addObserver);
				builder
					.address(this.properties.getAddress())
					.port(this.properties.getPort())
					.inherit(this.properties.getInherit())
					.maxHeaderSize((int) this.properties.getMaxHeaderSize().toBytes())
					.maxRequestLine((int) this.properties.getMaxRequestLine().toBytes())
					.headerTimeout(this.properties.getHeaderTimeout())
					.idleTimeout(this.properties.getIdleTimeout())
					.originTimeout(this.properties.getOriginTimeout())
					.originIdleTimeout(this.properties.getOriginIdleTimeout())
					.origin(origin)
					.perTransaction(this.properties.isPerTransaction())
					.forwardedHeaders(this.properties.isForwardedHeaders())
					.splice(this.properties.isSplice())
					.socketPerLoop(this.properties.isSocketPerLoop());
				started = takeOverOrStart(builder);
			}
			catch (Exception ex) {
				// Netty rethrows a bind failure as it is, though it is checked: a BindException on
				// NIO, an IOException carrying the errno message on epoll.
				if (ex instanceof RuntimeException && !causedByIOException(ex)) {
					throw (RuntimeException) ex;
				}
				throw new InterceptListenerBindException(bindAddress, isPortInUse(ex), ex);
			}
			this.listener = started;
			this.running = true;
			if (this.handoffProperties.isEnabled()) {
				this.handoff = handoffBuilder().offer(started, this::handedOver);
			}
			if (logger.isInfoEnabled()) {
				logger.info("VConn intercept listener started on " + hostAndPort(started.address())
						+ (started.isInherited() ? " (inherited socket)" : "") + " ("
						+ (this.properties.isPerTransaction() ? "per-transaction" : "connection") + " mode), "
						+ describeOrigin(origin) + ", " + this.hooks.size() + " intercept hooks");
			}
		}
	}

	@Override
	public void stop() {
		synchronized (this.monitor) {
			this.running = false;
			VConnHandoff offered = this.handoff;
			if (offered != null) {
				offered.close();
			}
			InterceptListener current = this.listener;
			if (current != null && current.isRunning()) {
				current.close();
				logger.debug("VConn intercept listener stopped: " + current);
			}
		}
	}

	private InterceptListener takeOverOrStart(InterceptListener.Builder builder) {
		if (!this.handoffProperties.isEnabled()) {
			return builder.start();
		}
		InterceptListener taken = handoffBuilder().takeOver(builder);
		if (taken == null) {
			logger.info("VConn found no running instance at " + this.handoffProperties.getPath() + ": binding");
			return builder.start();
		}
		this.tookOver = true;
		return taken;
	}

	private VConnHandoff.Builder handoffBuilder() {
		Path path = Objects.requireNonNull(this.handoffProperties.getPath(), "vconn.handoff.path");
		List<VConnHandoff.Observer> observers = this.handoffObservers.get();
		return VConnHandoff.builder(path)
			.allowedUids(this.handoffProperties.getAllowedUids())
			.drain(this.shutdownTimeout.isZero() ? Duration.ofMillis(1) : this.shutdownTimeout)
			.observer(new VConnHandoff.Observer() {
				@Override
				public void handoff(VConnHandoff.Direction direction, VConnHandoff.Kind kind, VConnHandoff.Outcome outcome,
						String reason) {
					observers.forEach((observer) -> observer.handoff(direction, kind, outcome, reason));
				}
			});
	}

	/** A successor serves the listener and the connections: this instance closes itself. */
	private void handedOver() {
		logger.info("VConn handed its intercept listener over to a successor; closing the application");
		this.closeApplication.run();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	/**
	 * Not pauseable, like the runtime it serves on: a paused test context keeps its listener (and
	 * its port) instead of closing it.
	 */
	@Override
	public boolean isPauseable() {
		return false;
	}

	private @Nullable InetSocketAddress resolveOrigin() {
		String origin = this.properties.getOrigin();
		if (origin == null) {
			return this.webServerOrigin.get();
		}
		InetSocketAddress configured = VConnProperties.Listener.parseOrigin(origin);
		InetSocketAddress resolved = new InetSocketAddress(configured.getHostString(), configured.getPort());
		if (resolved.isUnresolved()) {
			throw new IllegalStateException("vconn.listener.origin '" + origin + "' cannot be used: unknown host '"
					+ configured.getHostString() + "'");
		}
		return resolved;
	}

	private String describeOrigin(@Nullable InetSocketAddress origin) {
		if (origin == null) {
			return "no origin (no web server and no vconn.listener.origin): requests no hook claims get 502";
		}
		String source = (this.properties.getOrigin() != null) ? "vconn.listener.origin" : "the application's web server";
		return "origin " + hostAndPort(origin) + " (" + source + ")";
	}

	private static boolean causedByIOException(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof IOException) {
				return true;
			}
		}
		return false;
	}

	/** EADDRINUSE, as the JDK ({@code BindException}) or Netty's native transport words it. */
	private static boolean isPortInUse(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			String message = cause.getMessage();
			if (message != null && message.toLowerCase(Locale.ROOT).contains("address already in use")) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Formats an address as {@code host:port}, with IPv6 hosts in brackets.
	 * @param address the address
	 * @return the text
	 */
	static String hostAndPort(InetSocketAddress address) {
		String host = (address.getAddress() != null) ? address.getAddress().getHostAddress() : address.getHostString();
		return ((host.indexOf(':') >= 0) ? "[" + host + "]" : host) + ":" + address.getPort();
	}

}
