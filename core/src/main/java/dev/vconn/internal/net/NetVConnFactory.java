package dev.vconn.internal.net;

import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.vconn.ContinuationDelivery;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.util.List;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vconn.Adoption;
import dev.vconn.AdoptionException;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionObserver;
import dev.vconn.AdoptionSource;
import dev.vconn.Continuation;
import dev.vconn.Transport;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VConnFactory;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.UnixChannel;
import org.jspecify.annotations.Nullable;

/**
 * Adopts descriptors and channels, and connects, following the contract of {@link VConnFactory}:
 * inspect and reserve first, mutate last, restore on failure.
 *
 * <p>A raw descriptor is never handed to Netty itself: Netty gets a close-on-exec duplicate, and
 * the caller's descriptor is closed once, after the channel, when the VConn ends. Whatever Netty
 * does on a failure path (it closes a channel whose registration fails), it can only close its
 * duplicate, never the caller's descriptor.
 *
 * <p>Over 500 lines because the four ways a socket VConn comes to be (a descriptor, a JDK
 * channel, a connection a listener accepted, a connect) share one reservation and one
 * registration, and read best side by side.
 */
public final class NetVConnFactory implements VConnFactory {

	private static final long REGISTRATION_TIMEOUT_SECONDS = 10;

	private final RuntimeCore runtime;

	private final PipePool pipes;

	/** The runtime's write water marks, one immutable instance for every channel. */
	private final WriteBufferWaterMark waterMark;

	NetVConnFactory(RuntimeCore runtime, int maxPipes, int pipeSize) {
		this.runtime = runtime;
		this.waterMark = new WriteBufferWaterMark(runtime.writeLowWaterMark(), runtime.writeHighWaterMark());
		this.pipes = new PipePool(maxPipes, pipeSize);
		runtime.afterShutdown(this.pipes::close);
	}

	/**
	 * The socket VConn factory of a runtime.
	 * @param runtime a runtime built on a {@link NetLayer}
	 * @return its factory
	 */
	public static NetVConnFactory of(RuntimeCore runtime) {
		return (NetVConnFactory) runtime.factory();
	}

	/**
	 * The pipes this runtime's splicing tunnels borrow.
	 * @return the pool
	 */
	PipePool pipes() {
		return this.pipes;
	}

	/**
	 * Empty splice pipes the pool keeps open for reuse now (two descriptors each), held by design
	 * while the runtime runs and closed when it shuts down.
	 * @return the count
	 */
	public int idlePipes() {
		return this.pipes.idle();
	}

	// ---- raw descriptors ----

	@Override
	public Adoption adopt(int fd) {
		return adopt(fd, AdoptionSource.FD, List.of());
	}

	/**
	 * Adopts a connected socket another process handed over, with {@link #adopt(int)}'s contract
	 * and source {@link AdoptionSource#HANDOFF}; {@code unread} (bytes the sending process had read
	 * from it and not delivered) comes first on its reads.
	 * @param unread becomes this method's: released when the adoption fails
	 */
	public Adoption adoptHandedOver(int fd, List<ByteBuf> unread) {
		return adopt(fd, AdoptionSource.HANDOFF, unread);
	}

	private Adoption adopt(int fd, AdoptionSource source, List<ByteBuf> unread) {
		AdoptionObserver attempt = this.runtime.listener().onAdoptionStarted(source, null);
		long start = System.nanoTime();
		Adoption result = adoptFd(fd, source, unread, start);
		if (!result.isSuccess()) {
			unread.forEach(ByteBuf::release);
			this.runtime.adoptionFailed(source, Objects.requireNonNull(result.failureReason()), start);
		}
		return ended(attempt, result);
	}

	private Adoption adoptFd(int fd, AdoptionSource source, List<ByteBuf> unread, long start) {
		if (fd < 0) {
			return Adoption.failure(AdoptionFailureReason.INVALID_FD, "fd " + fd + " is negative");
		}
		if (fd <= 2 && !this.runtime.allowStandardStreams()) {
			return Adoption.failure(AdoptionFailureReason.INVALID_FD,
					"fd " + fd + " is a standard stream; enable allowStandardStreams to adopt it");
		}
		if (!this.runtime.isRunning()) {
			return Adoption.failure(AdoptionFailureReason.SHUTTING_DOWN, "the runtime is shutting down");
		}
		String unavailable = this.runtime.fdAdoptionUnavailable();
		if (unavailable != null) {
			return Adoption.failure(AdoptionFailureReason.UNSUPPORTED, unavailable);
		}
		try (Reservation reservation = new Reservation()) {
			AdoptedFd adopted = reservation.claim(fd);
			if (adopted == null) {
				return Adoption.failure(AdoptionFailureReason.ALREADY_ADOPTED,
						"fd " + fd + " is owned by a VConn runtime (a VConn, a listener or its connections, an event loop)");
			}
			FdProbe.Facts facts;
			try {
				facts = FdProbe.inspect(fd);
			}
			catch (FdProbe.Rejected rejected) {
				return Adoption.failure(rejected.reason, rejected.getMessage());
			}
			if (!reservation.slot()) {
				return Adoption.failure(AdoptionFailureReason.LIMIT_REACHED,
						"the limit of " + this.runtime.maxConnections() + " connections is reached");
			}
			if (!reservation.gate()) {
				return Adoption.failure(AdoptionFailureReason.SHUTTING_DOWN, "the runtime is shutting down");
			}
			if (!adopted.isClaimed()) {
				return Adoption.failure(AdoptionFailureReason.ALREADY_ADOPTED,
						"fd " + fd + " was closed and reused by a VConn runtime while it was being checked");
			}
			if (source == AdoptionSource.FD && !facts.unix && HeldChannels.hasListeners()
					&& HeldChannels.isListenersConnection(facts.local(null))) {
				// a runtime's listener accepted it a moment ago: the number is taken only once the
				// listener's pipeline sees the connection (a descriptor received from another
				// process cannot be one of these)
				return Adoption.failure(AdoptionFailureReason.ALREADY_ADOPTED,
						"fd " + fd + " is a connection a VConn runtime's listener accepted");
			}
			Adoption result = registerFd(facts, adopted, source, unread, start);
			if (result.isSuccess()) {
				reservation.commit();
			}
			return result;
		}
	}

	/** Every check passed and a slot is reserved: now, and only now, change the descriptor. */
	private Adoption registerFd(FdProbe.Facts facts, AdoptedFd adopted, AdoptionSource source, List<ByteBuf> unread,
			long start) {
		int fd = facts.fd;
		EventLoop loop = RuntimeCore.chooseLoop(this.runtime.group());
		if ((facts.statusFlags & LibC.O_NONBLOCK) == 0
				&& LibC.fcntl(fd, LibC.F_SETFL, facts.statusFlags | LibC.O_NONBLOCK) == -1) {
			return Adoption.failure(AdoptionFailureReason.INTERNAL,
					"could not make fd " + fd + " non-blocking: errno " + LibC.errno());
		}
		int duplicate = adopted.duplicate();
		if (duplicate == -1) {
			int errno = LibC.errno();
			return restored(facts, "could not duplicate fd " + fd + ": errno " + errno);
		}
		Channel channel = null;
		try {
			channel = adopted.wrap(facts.unix);
			configure(channel);
		}
		catch (RuntimeException ex) {
			if (channel != null) {
				channel.unsafe().closeForcibly();
			}
			return restored(facts, "Netty could not wrap fd " + fd + ": " + ex);
		}
		NetVConn vconn = new NetVConn(this.runtime, this.runtime.nextId(), channel, loop, fd, adopted, duplicate,
				source, facts.remote(channel.remoteAddress()), facts.local(channel.localAddress()),
				this.runtime.writeHighWaterMark());
		channel.pipeline().addLast(vconn.handler);
		String failure = register(loop, channel);
		if (failure != null) {
			if (channel.isOpen()) {
				channel.unsafe().closeForcibly();
			}
			return restored(facts, "could not register fd " + fd + " with the event loop: " + failure);
		}
		if (!unread.isEmpty()) {
			// queued before the VConn is returned, so ahead of any read its owner starts
			loop.execute(() -> vconn.replay(unread));
		}
		this.runtime.started(vconn);
		this.runtime.adopted(vconn, vconn.source(), start);
		return Adoption.success(vconn);
	}

	/**
	 * What an adoption holds until it commits: the claim on the caller's descriptor, a connection
	 * slot and the runtime's shutdown gate. Closing it leaves the gate and, unless the adoption
	 * committed, gives the slot and the claim back (the descriptor stays open: it is the caller's).
	 */
	private final class Reservation implements AutoCloseable {

		private @Nullable AdoptedFd fd;

		private boolean slot;

		private boolean gate;

		private boolean committed;

		@Nullable AdoptedFd claim(int fd) {
			this.fd = AdoptedFd.claim(fd);
			return this.fd;
		}

		boolean slot() {
			this.slot = NetVConnFactory.this.runtime.reserveSlot();
			return this.slot;
		}

		boolean gate() {
			this.gate = NetVConnFactory.this.runtime.enterGate();
			return this.gate;
		}

		void commit() {
			this.committed = true;
		}

		@Override
		public void close() {
			if (this.gate) {
				NetVConnFactory.this.runtime.exitGate();
			}
			if (this.committed) {
				return;
			}
			if (this.slot) {
				NetVConnFactory.this.runtime.releaseSlot();
			}
			if (this.fd != null) {
				this.fd.rollback();
			}
		}

	}

	private static Adoption restored(FdProbe.Facts facts, String message) {
		boolean restored = FdProbe.restore(facts);
		return Adoption.failure(AdoptionFailureReason.INTERNAL,
				message + (restored ? "" : "; restoring the original flags failed: errno " + LibC.errno()));
	}

	// ---- JDK channels ----

	@Override
	public Adoption adopt(SocketChannel channel) {
		Objects.requireNonNull(channel, "channel");
		AdoptionObserver attempt = this.runtime.listener().onAdoptionStarted(AdoptionSource.CHANNEL, null);
		long start = System.nanoTime();
		Adoption result = adoptChannel(channel, start);
		if (!result.isSuccess()) {
			this.runtime.adoptionFailed(AdoptionSource.CHANNEL, Objects.requireNonNull(result.failureReason()), start);
		}
		return ended(attempt, result);
	}

	/** Tells the observer of an adoption how it ended. */
	private static Adoption ended(AdoptionObserver attempt, Adoption result) {
		VConn vconn = result.vconn();
		if (vconn != null) {
			attempt.onAdopted(vconn);
		}
		else {
			attempt.onFailed(Objects.requireNonNull(result.failureReason()));
		}
		return result;
	}

	private Adoption adoptChannel(SocketChannel jdkChannel, long start) {
		if (!this.runtime.isRunning()) {
			return Adoption.failure(AdoptionFailureReason.SHUTTING_DOWN, "the runtime is shutting down");
		}
		if (!jdkChannel.isOpen()) {
			return Adoption.failure(AdoptionFailureReason.BAD_FD, "the channel is closed");
		}
		if (jdkChannel.isRegistered()) {
			return Adoption.failure(AdoptionFailureReason.ALREADY_ADOPTED,
					"the channel is registered with a selector (adopted already, or used elsewhere)");
		}
		if (!jdkChannel.isConnected()) {
			return Adoption.failure(AdoptionFailureReason.NOT_CONNECTED, "the channel is not connected");
		}
		if (jdkChannel.provider() != SelectorProvider.provider()) {
			return Adoption.failure(AdoptionFailureReason.UNSUPPORTED,
					"the channel comes from a different SelectorProvider than NIO event loops use");
		}
		SocketAddress remote;
		SocketAddress local;
		boolean blocking = jdkChannel.isBlocking();
		boolean unix;
		@Nullable Boolean noDelay = null;
		try {
			remote = jdkChannel.getRemoteAddress();
			local = jdkChannel.getLocalAddress();
			unix = remote instanceof UnixDomainSocketAddress;
			if (!unix) {
				noDelay = jdkChannel.getOption(StandardSocketOptions.TCP_NODELAY);
			}
		}
		catch (IOException ex) {
			return Adoption.failure(AdoptionFailureReason.SOCKET_ERROR, "the channel failed: " + ex.getMessage());
		}
		try (Reservation reservation = new Reservation()) {
			if (!reservation.slot()) {
				return Adoption.failure(AdoptionFailureReason.LIMIT_REACHED,
						"the limit of " + this.runtime.maxConnections() + " connections is reached");
			}
			if (!reservation.gate()) {
				return Adoption.failure(AdoptionFailureReason.SHUTTING_DOWN, "the runtime is shutting down");
			}
			EventLoop loop = RuntimeCore.chooseLoop(this.runtime.nioGroup());
			Channel channel;
			try {
				// done here, so that Netty's constructor, which closes the channel if this fails, cannot fail
				jdkChannel.configureBlocking(false);
				channel = unix ? new NioDomainSocketChannel(jdkChannel) : new AdoptedNioSocketChannel(jdkChannel);
				configure(channel);
			}
			catch (IOException | RuntimeException ex) {
				restoreChannel(jdkChannel, blocking, noDelay);
				return Adoption.failure(AdoptionFailureReason.INTERNAL, "Netty could not wrap the channel: " + ex);
			}
			NetVConn vconn = new NetVConn(this.runtime, this.runtime.nextId(), channel, loop, -1, null, -1,
					AdoptionSource.CHANNEL, remote, local, this.runtime.writeHighWaterMark());
			channel.pipeline().addLast(vconn.handler);
			// The channel is open, non-blocking, unregistered and from the default provider, and the
			// loop cannot stop while the gate is held: registration cannot fail but for a
			// concurrent close by the caller, after which there is nothing left to restore.
			String failure = register(loop, channel);
			if (failure != null) {
				restoreChannel(jdkChannel, blocking, noDelay);
				return Adoption.failure(AdoptionFailureReason.INTERNAL,
						"could not register the channel with the event loop: " + failure);
			}
			if (channel instanceof AdoptedNioSocketChannel) {
				((AdoptedNioSocketChannel) channel).owned();
			}
			reservation.commit();
			this.runtime.started(vconn);
			this.runtime.adopted(vconn, vconn.source(), start);
			return Adoption.success(vconn);
		}
	}

	private static void restoreChannel(SocketChannel channel, boolean blocking, @Nullable Boolean noDelay) {
		try {
			if (noDelay != null) {
				channel.setOption(StandardSocketOptions.TCP_NODELAY, noDelay);
			}
			channel.configureBlocking(blocking);
		}
		catch (IOException | RuntimeException ex) {
			// nothing more can be done; the adoption reports INTERNAL either way
		}
	}

	/**
	 * A NIO channel that leaves the JDK channel open if Netty closes it before the adoption
	 * succeeded (Netty closes a channel whose registration fails).
	 */
	static final class AdoptedNioSocketChannel extends NioSocketChannel {

		private volatile boolean owned;

		AdoptedNioSocketChannel(SocketChannel channel) {
			super(channel);
		}

		void owned() {
			this.owned = true;
		}

		@Override
		protected void doClose() throws Exception {
			if (this.owned) {
				super.doClose();
			}
		}

	}

	// ---- registration ----

	private void configure(Channel channel) {
		channel.config().setAutoRead(false);
		channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
		channel.config().setWriteBufferWaterMark(this.waterMark);
	}

	/**
	 * Registers {@code channel} on {@code loop} and says whether that worked, without ever leaving it
	 * half-registered: on the loop registration is synchronous; elsewhere the caller waits for the
	 * loop to run it, which it never refuses while the adoption gate is held.
	 * @return null on success, else what went wrong
	 */
	private static @Nullable String register(EventLoop loop, Channel channel) {
		if (loop.inEventLoop()) {
			return registerNow(loop, channel);
		}
		AtomicInteger state = new AtomicInteger(); // 0 waiting, 1 started, 2 given up
		CompletableFuture<@Nullable String> result = new CompletableFuture<>();
		try {
			loop.execute(() -> {
				if (state.compareAndSet(0, 1)) {
					result.complete(registerNow(loop, channel));
				}
			});
		}
		catch (RejectedExecutionException ex) {
			return "the event loop refused the registration";
		}
		// The wait is for the loop, not the network, and bounded: an interrupt must not turn a good
		// socket into a failed adoption, so it is kept for the caller and the wait goes on.
		boolean interrupted = false;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REGISTRATION_TIMEOUT_SECONDS);
		try {
			while (true) {
				try {
					return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				}
				catch (InterruptedException ex) {
					interrupted = true;
				}
				catch (TimeoutException ex) {
					if (state.compareAndSet(0, 2)) {
						return "the event loop did not run the registration within " + REGISTRATION_TIMEOUT_SECONDS
								+ " s";
					}
					return result.join(); // started meanwhile: it completes without waiting on anything
				}
				catch (ExecutionException ex) {
					return String.valueOf(ex.getCause());
				}
			}
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private static @Nullable String registerNow(EventLoop loop, Channel channel) {
		ChannelFuture future;
		try {
			future = loop.register(channel);
		}
		catch (RuntimeException ex) {
			// an answer all the same: a caller off the loop would otherwise wait for one forever
			return String.valueOf(ex);
		}
		if (future.isSuccess()) {
			return null;
		}
		// A failed epoll_ctl(ADD) is thrown inside Netty's registration listener and leaves the
		// future pending; either way the channel is not usable.
		return future.isDone() ? String.valueOf(future.cause()) : "epoll registration failed";
	}

	// ---- connections accepted by an intercept listener ----

	/**
	 * Makes a VConn of a connection the intercept listener accepted and read the start of: the
	 * channel is registered and has a reserved slot; {@code replay} (the bytes read so far) comes
	 * first on its reads. On the channel's loop.
	 */
	public NetVConn adoptAccepted(Channel channel, List<ByteBuf> replay, long start) {
		return adoptRegistered(channel, replay, start, AdoptionSource.INTERCEPT);
	}

	/**
	 * Makes a VConn of a registered channel with a reserved slot, as {@link #adoptAccepted}: a
	 * connection the listener accepted ({@link AdoptionSource#INTERCEPT}) or one another process
	 * handed over ({@link AdoptionSource#HANDOFF}). On the channel's loop.
	 */
	public NetVConn adoptRegistered(Channel channel, List<ByteBuf> replay, long start, AdoptionSource source) {
		int fd = (channel instanceof UnixChannel) ? ((UnixChannel) channel).fd().intValue() : -1;
		NetVConn vconn = new NetVConn(this.runtime, this.runtime.nextId(), channel, channel.eventLoop(), fd, null, fd,
				source, channel.remoteAddress(), channel.localAddress(),
				this.runtime.writeHighWaterMark());
		vconn.replay(replay);
		channel.pipeline().addLast(vconn.handler);
		this.runtime.started(vconn);
		this.runtime.adopted(vconn, vconn.source(), start);
		return vconn;
	}

	// ---- connect ----

	@Override
	public CompletableFuture<VConn> connect(SocketAddress remote) {
		Objects.requireNonNull(remote, "remote");
		AdoptionObserver attempt = this.runtime.listener().onAdoptionStarted(AdoptionSource.CONNECT, remote);
		long start = System.nanoTime();
		CompletableFuture<VConn> result = new CompletableFuture<>();
		AdoptionFailureReason refused = null;
		String message = null;
		SocketAddress target = (remote instanceof UnixDomainSocketAddress)
				? new DomainSocketAddress(((UnixDomainSocketAddress) remote).getPath().toString()) : remote;
		if (!this.runtime.isRunning()) {
			refused = AdoptionFailureReason.SHUTTING_DOWN;
			message = "the runtime is shutting down";
		}
		else if (remote instanceof InetSocketAddress && ((InetSocketAddress) remote).isUnresolved()) {
			refused = AdoptionFailureReason.CONNECT_FAILED;
			message = "the address " + remote + " is unresolved; resolve it before connecting";
		}
		else if (target instanceof DomainSocketAddress && this.runtime.transport() != Transport.EPOLL) {
			refused = AdoptionFailureReason.UNSUPPORTED;
			message = "Unix domain connects need the epoll transport";
		}
		else if (!(target instanceof InetSocketAddress) && !(target instanceof DomainSocketAddress)) {
			refused = AdoptionFailureReason.UNSUPPORTED;
			message = "unsupported address type " + remote.getClass().getName();
		}
		else if (!this.runtime.reserveSlot()) {
			refused = AdoptionFailureReason.LIMIT_REACHED;
			message = "the limit of " + this.runtime.maxConnections() + " connections is reached";
		}
		if (refused != null) {
			this.runtime.adoptionFailed(AdoptionSource.CONNECT, refused, start);
			attempt.onFailed(refused);
			result.completeExceptionally(new AdoptionException(refused, message));
			return result;
		}
		if (!this.runtime.enterGate()) {
			this.runtime.releaseSlot();
			this.runtime.adoptionFailed(AdoptionSource.CONNECT, AdoptionFailureReason.SHUTTING_DOWN, start);
			attempt.onFailed(AdoptionFailureReason.SHUTTING_DOWN);
			result.completeExceptionally(
					new AdoptionException(AdoptionFailureReason.SHUTTING_DOWN, "the runtime is shutting down"));
			return result;
		}
		try {
			Channel channel;
			try {
				channel = (target instanceof DomainSocketAddress) ? HeldChannels.newDomainSocket()
						: HeldChannels.newSocket(this.runtime.transport(), (InetSocketAddress) target);
			}
			catch (RuntimeException ex) {
				// socket(2) failed: out of descriptors, say
				new Connecting(remote, target, attempt, start, result).failed(ex);
				return result;
			}
			new Connecting(remote, target, attempt, start, result).start(channel);
		}
		finally {
			this.runtime.exitGate();
		}
		return result;
	}

	/**
	 * One connect, without a {@code Bootstrap}: the channel is made, configured and registered
	 * directly, with no handler of its own and no resolver (the address is resolved already), and
	 * this one object follows the registration and then the connect. A channel whose registration
	 * or connect fails is closed here, so its descriptor never outlives the attempt.
	 */
	private final class Connecting implements ChannelFutureListener {

		private final SocketAddress remote;

		private final SocketAddress target;

		private final AdoptionObserver attempt;

		private final long start;

		private final CompletableFuture<VConn> result;

		private boolean registered;

		Connecting(SocketAddress remote, SocketAddress target, AdoptionObserver attempt, long start,
				CompletableFuture<VConn> result) {
			this.remote = remote;
			this.target = target;
			this.attempt = attempt;
			this.start = start;
			this.result = result;
		}

		/** Registers {@code channel} on the caller's loop (or the next one) and connects once registered. */
		void start(Channel channel) {
			try {
				configure(channel);
			}
			catch (RuntimeException ex) {
				channel.unsafe().closeForcibly();
				failed(ex);
				return;
			}
			ChannelFuture registration = RuntimeCore.chooseLoop(NetVConnFactory.this.runtime.group()).register(channel);
			if (registration.isDone()) {
				operationComplete(registration);
			}
			else {
				registration.addListener(this);
			}
		}

		@Override
		public void operationComplete(ChannelFuture future) {
			Channel channel = future.channel();
			if (!future.isSuccess()) {
				if (channel.isRegistered()) {
					channel.close();
				}
				else {
					channel.unsafe().closeForcibly();
				}
				failed(future.cause());
				return;
			}
			if (!this.registered) {
				this.registered = true;
				channel.connect(this.target).addListener(this);
				return;
			}
			connected(channel);
		}

		private void connected(Channel channel) {
			RuntimeCore runtime = NetVConnFactory.this.runtime;
			int fd = (channel instanceof UnixChannel) ? ((UnixChannel) channel).fd().intValue() : -1;
			boolean unix = this.target instanceof DomainSocketAddress;
			SocketAddress remoteAddress = unix ? this.remote : channel.remoteAddress();
			SocketAddress localAddress = unix ? null : channel.localAddress();
			NetVConn vconn = new NetVConn(runtime, runtime.nextId(), channel, channel.eventLoop(), fd, null, fd,
					AdoptionSource.CONNECT, remoteAddress, localAddress, runtime.writeHighWaterMark());
			channel.pipeline().addLast(vconn.handler);
			runtime.started(vconn);
			runtime.adopted(vconn, vconn.source(), this.start);
			this.attempt.onAdopted(vconn);
			this.result.complete(vconn);
		}

		/** The socket could not be made, registered or connected; a channel was closed already. */
		void failed(Throwable cause) {
			RuntimeCore runtime = NetVConnFactory.this.runtime;
			runtime.releaseSlot();
			runtime.adoptionFailed(AdoptionSource.CONNECT, AdoptionFailureReason.CONNECT_FAILED, this.start);
			this.attempt.onFailed(AdoptionFailureReason.CONNECT_FAILED);
			this.result.completeExceptionally(new AdoptionException(AdoptionFailureReason.CONNECT_FAILED,
					"could not connect to " + this.remote + ": " + cause.getMessage(), cause));
		}

	}

	@Override
	public void connect(SocketAddress remote, Continuation cont) {
		Objects.requireNonNull(cont, "cont");
		connect(remote).whenComplete((vconn, failure) -> {
			if (vconn != null) {
				ContinuationDelivery.deliver(((NetVConn) vconn).channel().eventLoop(), cont, VConnEvent.NET_CONNECT, vconn);
			}
			else {
				Throwable cause = (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null)
						? failure.getCause() : failure;
				ContinuationDelivery.deliver(this.runtime.group().next(), cont, VConnEvent.NET_CONNECT_FAILED, cause);
			}
		});
	}

}
