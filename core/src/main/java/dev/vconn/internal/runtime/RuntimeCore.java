package dev.vconn.internal.runtime;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionObserver;
import dev.vconn.AdoptionSource;
import dev.vconn.CloseKind;
import dev.vconn.Transport;
import dev.vconn.TunnelResult;
import dev.vconn.VConn;
import dev.vconn.VConnFactory;
import dev.vconn.VConnListener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.jspecify.annotations.Nullable;

/**
 * What a {@code VConnRuntime} owns: event loop groups, the connection slots, the live VConns and
 * the listener (the descriptors they hold are in {@code internal.net}'s registry). Shutdown is
 * gated by a read-write lock: adoptions hold the read side while they touch a loop, so once
 * {@link #close} holds the write side no adoption can be half-way through registering on a loop
 * that is about to stop.
 *
 * <p>Over 500 lines because the listener dispatch ({@code SafeListener}, one guarded call per
 * callback, kept free of lambdas because {@code onBytes} is on the hot path) lives here too.
 */
public final class RuntimeCore {

	private static final System.Logger logger = System.getLogger(RuntimeCore.class.getName());

	private static final AtomicInteger RUNTIME_IDS = new AtomicInteger();

	private static final AtomicLong VCONN_IDS = new AtomicLong();

	private final Transport transport;

	private final int eventThreads;

	private final int maxConnections;

	private final Duration inactivityTimeout;

	private final Duration activeTimeout;

	private final int writeLowWaterMark;

	private final int writeHighWaterMark;

	private final Duration shutdownTimeout;

	private final boolean allowStandardStreams;

	private final VConnListener listener;

	private final MultiThreadIoEventLoopGroup group;

	private volatile @Nullable MultiThreadIoEventLoopGroup nioGroup;

	private final int runtimeId = RUNTIME_IDS.incrementAndGet();

	private final AtomicInteger reservedSlots = new AtomicInteger();

	/** Live VConns: socket VConns (each holding a connection slot) and in-memory pair ends (none). */
	private final ConcurrentHashMap<Long, LiveVConn> live = new ConcurrentHashMap<>();

	private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

	private volatile boolean running = true;

	private final CompletableFuture<Void> drained = new CompletableFuture<>();

	private final Object closeLock = new Object();

	private int abortedAtClose = -1;

	private final SocketLayer sockets;

	private final VConnFactory factory;

	private final List<Runnable> afterShutdown = new CopyOnWriteArrayList<>();

	private final @Nullable String fdAdoptionUnavailable;

	public RuntimeCore(Transport transport, int eventThreads, int maxConnections, Duration inactivityTimeout,
			Duration activeTimeout, int writeLowWaterMark, int writeHighWaterMark, Duration shutdownTimeout,
			boolean allowStandardStreams, SocketLayer sockets, List<VConnListener> listeners) {
		this.transport = resolve(transport);
		this.eventThreads = eventThreads;
		this.maxConnections = maxConnections;
		this.inactivityTimeout = inactivityTimeout;
		this.activeTimeout = activeTimeout;
		this.writeLowWaterMark = writeLowWaterMark;
		this.writeHighWaterMark = writeHighWaterMark;
		this.shutdownTimeout = shutdownTimeout;
		this.allowStandardStreams = allowStandardStreams;
		// each guarded on its own: one that throws must not keep the next (the statistics) from counting
		this.listener = VConnListener.composite(listeners.stream().<VConnListener>map(SafeListener::new).toList());
		this.sockets = sockets;
		this.group = newGroup(this.transport);
		this.factory = sockets.newFactory(this);
		this.fdAdoptionUnavailable = sockets.fdAdoptionUnavailable(transport, this.transport);
		logger.log(System.Logger.Level.INFO, "VConn runtime started: transport {0} ({1}), {2} event threads",
				this.transport, whyTransport(transport), eventThreads);
		warnIfNativePartsMissing(transport);
	}

	/**
	 * On Linux, where epoll is expected, an automatic fall-back to NIO or libc calls that did not
	 * load mean raw descriptors cannot be adopted: say so loudly, with the cause and the fix.
	 */
	private void warnIfNativePartsMissing(Transport requested) {
		String warning = this.sockets.nativeAccessWarning(requested, this.transport);
		if (warning != null) {
			logger.log(System.Logger.Level.WARNING, warning);
		}
	}

	/**
	 * Why raw descriptors cannot be adopted on this runtime.
	 * @return the reason, or {@code null} if they can
	 */
	public @Nullable String fdAdoptionUnavailable() {
		return this.fdAdoptionUnavailable;
	}

	private static Transport resolve(Transport requested) {
		switch (requested) {
			case EPOLL:
				if (!Epoll.isAvailable()) {
					throw new IllegalStateException("The epoll transport was requested but is not available: "
							+ Epoll.unavailabilityCause(), Epoll.unavailabilityCause());
				}
				return Transport.EPOLL;
			case NIO:
				return Transport.NIO;
			default:
				return Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;
		}
	}

	private static String whyTransport(Transport requested) {
		if (requested != Transport.AUTO) {
			return "configured";
		}
		return Epoll.isAvailable() ? "native epoll available"
				: "epoll unavailable: " + Epoll.unavailabilityCause();
	}

	private MultiThreadIoEventLoopGroup newGroup(Transport transport) {
		String name = "vconn-" + this.runtimeId + "-" + transport.name().toLowerCase();
		return new MultiThreadIoEventLoopGroup(this.eventThreads, new DefaultThreadFactory(name, true),
				ClosingIoHandlers.of((transport == Transport.EPOLL) ? this.sockets.epollHandlers() : NioIoHandler.newFactory()));
	}

	// ---- VConnRuntime ----

	public VConnFactory factory() {
		return this.factory;
	}

	public Transport transport() {
		return this.transport;
	}

	public int eventThreads() {
		return this.eventThreads;
	}

	public int maxConnections() {
		return this.maxConnections;
	}

	public int activeCount() {
		return this.live.size();
	}

	public Collection<VConn> vconns() {
		return List.copyOf(this.live.values());
	}

	public Optional<VConn> find(long id) {
		return Optional.ofNullable(this.live.get(id));
	}

	public boolean isRunning() {
		return this.running;
	}

	public boolean isHealthy() {
		if (!this.running) {
			return false;
		}
		for (EventExecutor executor : this.group) {
			if (executor.isShuttingDown()) {
				return false;
			}
		}
		return true;
	}

	public Duration shutdownTimeout() {
		return this.shutdownTimeout;
	}

	public int close(Duration timeout) {
		if (inEventLoop(this.group) || inEventLoop(this.nioGroup)) {
			throw new IllegalStateException("VConnRuntime.close() blocks and must not run on one of its event threads");
		}
		synchronized (this.closeLock) {
			if (this.abortedAtClose >= 0) {
				return this.abortedAtClose;
			}
			this.running = false;
			// wait for adoptions that are registering right now, then no new one can start
			this.gate.writeLock().lock();
			this.gate.writeLock().unlock();
			signalIfDrained();
			try {
				this.drained.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
			}
			catch (TimeoutException ex) {
				// abort what is left below
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (ExecutionException ex) {
				throw new IllegalStateException(ex);
			}
			int aborted = 0;
			for (LiveVConn vconn : new ArrayList<>(this.live.values())) {
				if (vconn.abort(CloseKind.SHUTDOWN, 0)) {
					aborted++;
				}
			}
			if (!this.live.isEmpty()) {
				logger.log(System.Logger.Level.INFO, "Aborted {0} VConns still open after {1}", aborted, timeout);
				try {
					this.drained.get(10, TimeUnit.SECONDS);
				}
				catch (Exception ex) {
					logger.log(System.Logger.Level.WARNING, "VConns still open after abort: " + this.live.size());
				}
			}
			shutdown(this.group);
			shutdown(this.nioGroup);
			this.afterShutdown.forEach(Runnable::run);
			this.abortedAtClose = aborted;
			return this.abortedAtClose;
		}
	}

	private static void shutdown(@Nullable EventLoopGroup group) {
		if (group != null) {
			group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
		}
	}

	private void signalIfDrained() {
		if (!this.running && this.live.isEmpty() && this.reservedSlots.get() == 0) {
			this.drained.complete(null);
		}
	}

	// ---- used by the factory ----

	/** Makes the server channels of this runtime's transport, for a listener that binds. */
	public ChannelFactory<? extends ServerChannel> listeningChannels() {
		return this.sockets.listeningChannels(this.transport);
	}

	/**
	 * A server bootstrap for an intercept listener on this runtime's loops: accepted connections
	 * read only when asked, keep a half-open state, and use the runtime's water marks.
	 * @param channels makes the server channel: a new socket ({@link #listeningChannels()}), or one
	 * wrapping an inherited socket
	 * @param acceptLoops where the server channel is registered (one loop, or the whole group)
	 * @param connectionLoops where accepted connections are registered
	 * @return the bootstrap
	 */
	public ServerBootstrap listenerBootstrap(ChannelFactory<? extends ServerChannel> channels,
			EventLoopGroup acceptLoops, EventLoopGroup connectionLoops) {
		// no TCP_NODELAY here: Netty's socket channels set it when made, and a second setsockopt per
		// accepted connection would change nothing
		return new ServerBootstrap().group(acceptLoops, connectionLoops)
			.channelFactory(channels)
			.childOption(ChannelOption.AUTO_READ, false)
			.childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
			.childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
					new WriteBufferWaterMark(this.writeLowWaterMark, this.writeHighWaterMark));
	}

	/** The options of a connection the listener accepts, for one handed over instead. */
	public Map<ChannelOption<?>, Object> acceptedConnectionOptions() {
		return listenerBootstrap(listeningChannels(), this.group, this.group).config().childOptions();
	}

	/**
	 * Runs {@code task} once the runtime has stopped: its VConns are gone and its loops shut down.
	 * @param task what to release then
	 */
	public void afterShutdown(Runnable task) {
		this.afterShutdown.add(task);
	}

	public MultiThreadIoEventLoopGroup group() {
		return this.group;
	}

	/** The NIO group for JDK channels: the main group on NIO, a second one started on demand on epoll. */
	public MultiThreadIoEventLoopGroup nioGroup() {
		if (this.transport == Transport.NIO) {
			return this.group;
		}
		MultiThreadIoEventLoopGroup nio = this.nioGroup;
		if (nio == null) {
			synchronized (this) {
				nio = this.nioGroup;
				if (nio == null) {
					nio = newGroup(Transport.NIO);
					this.nioGroup = nio;
				}
			}
		}
		return nio;
	}

	/** The loop a new VConn goes to: the caller's own loop if it is one of the group's, else the next. */
	public static EventLoop chooseLoop(EventLoopGroup group) {
		for (EventExecutor executor : group) {
			if (executor.inEventLoop()) {
				return (EventLoop) executor;
			}
		}
		return group.next();
	}

	private static boolean inEventLoop(@Nullable EventLoopGroup group) {
		if (group == null) {
			return false;
		}
		for (EventExecutor executor : group) {
			if (executor.inEventLoop()) {
				return true;
			}
		}
		return false;
	}

	public boolean allowStandardStreams() {
		return this.allowStandardStreams;
	}

	public int writeLowWaterMark() {
		return this.writeLowWaterMark;
	}

	public int writeHighWaterMark() {
		return this.writeHighWaterMark;
	}

	public Duration inactivityTimeout() {
		return this.inactivityTimeout;
	}

	public Duration activeTimeout() {
		return this.activeTimeout;
	}

	public VConnListener listener() {
		return this.listener;
	}

	/** Enters the adoption gate; false once shutdown started. Pair a true result with {@link #exitGate()}. */
	public boolean enterGate() {
		if (!this.running || !this.gate.readLock().tryLock()) {
			return false;
		}
		if (!this.running) {
			this.gate.readLock().unlock();
			return false;
		}
		return true;
	}

	public void exitGate() {
		this.gate.readLock().unlock();
	}

	public boolean reserveSlot() {
		while (true) {
			int current = this.reservedSlots.get();
			if (this.maxConnections > 0 && current >= this.maxConnections) {
				return false;
			}
			if (this.reservedSlots.compareAndSet(current, current + 1)) {
				return true;
			}
		}
	}

	public void releaseSlot() {
		this.reservedSlots.decrementAndGet();
		signalIfDrained();
	}

	public long nextId() {
		return VCONN_IDS.incrementAndGet();
	}

	/** A VConn is registered on its loop and running; its slot, if it takes one, is already reserved. */
	public void started(LiveVConn vconn) {
		this.live.put(vconn.id(), vconn);
		if (!this.inactivityTimeout.isZero()) {
			vconn.setInactivityTimeout(this.inactivityTimeout);
		}
		if (!this.activeTimeout.isZero()) {
			vconn.setActiveTimeout(this.activeTimeout);
		}
	}

	/**
	 * Starts the two ends of an in-memory pair: live and reported like any VConn,
	 * but holding no connection slot, since they own no descriptor (Traffic Server does not count
	 * PluginVCs against its connection throttle either). The shutdown drain waits for them all the
	 * same, and {@link #close} aborts them.
	 * @return false, with nothing started, once shutdown has begun
	 */
	public boolean startInMemory(LiveVConn first, LiveVConn second, long startNanos) {
		if (!enterGate()) {
			return false;
		}
		try {
			started(first);
			started(second);
			Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
			this.listener.onAdopted(first, AdoptionSource.INTERCEPT, took);
			this.listener.onAdopted(second, AdoptionSource.INTERCEPT, took);
			return true;
		}
		finally {
			exitGate();
		}
	}

	/** An in-memory VConn ended: like {@link #released} without a slot to give back. */
	public void releasedInMemory(LiveVConn vconn, CloseKind how) {
		this.live.remove(vconn.id());
		this.listener.onClosed(vconn, how);
		signalIfDrained();
	}

	// ---- used by the VConns ----

	public void bytesMoved(VConn vconn, long received, long sent) {
		this.listener.onBytes(vconn, received, sent);
	}

	public void aborted(VConn vconn, CloseKind cause, int error) {
		this.listener.onAborted(vconn, cause, error);
	}

	public void released(LiveVConn vconn, CloseKind how) {
		this.live.remove(vconn.id());
		this.listener.onClosed(vconn, how);
		releaseSlot();
	}

	public void adoptionFailed(AdoptionSource source, AdoptionFailureReason reason, long startNanos) {
		this.listener.onAdoptionFailed(source, reason, Duration.ofNanos(System.nanoTime() - startNanos));
	}

	public void adopted(VConn vconn, AdoptionSource source, long startNanos) {
		this.listener.onAdopted(vconn, source, Duration.ofNanos(System.nanoTime() - startNanos));
	}

	/**
	 * Keeps a misbehaving listener from changing the outcome of what it observes, or from keeping
	 * the listeners after it from hearing of it.
	 */
	private static final class SafeListener implements VConnListener {

		private final VConnListener delegate;

		SafeListener(VConnListener delegate) {
			this.delegate = delegate;
		}

		@Override
		public AdoptionObserver onAdoptionStarted(AdoptionSource source, @Nullable SocketAddress remote) {
			AdoptionObserver observer;
			try {
				observer = this.delegate.onAdoptionStarted(source, remote);
			}
			catch (RuntimeException ex) {
				warn(ex);
				return AdoptionObserver.noop();
			}
			return (observer == AdoptionObserver.noop()) ? observer : new SafeAdoptionObserver(observer);
		}

		@Override
		public void onAdopted(VConn vconn, AdoptionSource source, Duration duration) {
			try {
				this.delegate.onAdopted(vconn, source, duration);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		@Override
		public void onAdoptionFailed(AdoptionSource source, AdoptionFailureReason reason, Duration duration) {
			try {
				this.delegate.onAdoptionFailed(source, reason, duration);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		@Override
		public void onAborted(VConn vconn, CloseKind cause, int error) {
			try {
				this.delegate.onAborted(vconn, cause, error);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		@Override
		public void onClosed(VConn vconn, CloseKind how) {
			try {
				this.delegate.onClosed(vconn, how);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		@Override
		public void onBytes(VConn vconn, long received, long sent) {
			try {
				this.delegate.onBytes(vconn, received, sent);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		@Override
		public void onTunnelStarted(VConn a, VConn b) {
			try {
				this.delegate.onTunnelStarted(a, b);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		@Override
		public void onTunnelEnded(TunnelResult result) {
			try {
				this.delegate.onTunnelEnded(result);
			}
			catch (RuntimeException ex) {
				warn(ex);
			}
		}

		private static void warn(RuntimeException ex) {
			logger.log(System.Logger.Level.WARNING, "A VConnListener threw; ignored", ex);
		}

	}

	/** What a listener's observer of one attempt throws is logged and dropped, like the listener's own. */
	private static final class SafeAdoptionObserver implements AdoptionObserver {

		private final AdoptionObserver delegate;

		SafeAdoptionObserver(AdoptionObserver delegate) {
			this.delegate = delegate;
		}

		@Override
		public void onAdopted(VConn vconn) {
			try {
				this.delegate.onAdopted(vconn);
			}
			catch (RuntimeException ex) {
				SafeListener.warn(ex);
			}
		}

		@Override
		public void onFailed(AdoptionFailureReason reason) {
			try {
				this.delegate.onFailed(reason);
			}
			catch (RuntimeException ex) {
				SafeListener.warn(ex);
			}
		}

	}

}
