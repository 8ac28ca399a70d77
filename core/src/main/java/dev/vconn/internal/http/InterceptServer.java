package dev.vconn.internal.http;

import dev.vconn.internal.vconn.ContinuationDelivery;
import dev.vconn.internal.net.ListenerSocket;
import dev.vconn.internal.net.ListeningChannels;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.vconn.AdoptionSource;
import dev.vconn.internal.handoff.HandoffOffer;
import dev.vconn.internal.net.HeldChannels;
import dev.vconn.internal.net.LibC;
import dev.vconn.internal.tunnel.TunnelEngine;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;

import dev.vconn.Continuation;
import dev.vconn.Tunnel;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptOutcome;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.TransactionOutcome;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.internal.net.NetVConn;
import dev.vconn.internal.net.NetVConnFactory;
import dev.vconn.internal.runtime.RuntimeCore;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * The Netty server behind {@link dev.vconn.intercept.InterceptListener}: reads each client's first
 * request head with Netty's HTTP/1.1 decoder under size and time limits, offers it to the hooks,
 * and then either hands the connection to the claiming continuation or tunnels it to the origin.
 * Every byte read while parsing is kept and replayed, so what follows sees the request unchanged.
 */
public final class InterceptServer implements ListenerServer {

	private static final System.Logger logger = System.getLogger(InterceptServer.class.getName());

	private final RuntimeCore runtime;

	private final InterceptObserver observer;

	private final InterceptHookRegistry hooks;

	private final ListenerSocket listenerSocket;

	private final HttpCodecs codecs;

	private final @Nullable InetSocketAddress origin;

	private final boolean splice;

	private final Set<Channel> reading = ConcurrentHashMap.newKeySet();

	/** The tunnels to the origin running now, for a takeover. */
	private final Set<LiveTunnel> tunnels = ConcurrentHashMap.newKeySet();

	/** Where tunnels go during a takeover, those that start meanwhile included; else null. */
	private volatile @Nullable Consumer<? super HandoffOffer.LiveConnection> handOff;

	private volatile boolean running;

	private @Nullable ListeningChannels listening;

	public InterceptServer(RuntimeCore runtime, InterceptHookRegistry hooks, ListenerSocket listenerSocket,
			HttpLimits limits, @Nullable InetSocketAddress origin, boolean splice, InterceptObserver observer) {
		this.runtime = runtime;
		this.observer = observer;
		this.hooks = hooks;
		this.listenerSocket = listenerSocket;
		this.codecs = new HttpCodecs(limits);
		this.origin = origin;
		this.splice = splice;
	}

	/** Binds and starts accepting; blocks until bound. */
	@Override
	public synchronized InetSocketAddress start() {
		if (this.listening != null) {
			throw new IllegalStateException("already started");
		}
		if (!this.runtime.isRunning()) {
			throw new IllegalStateException("the runtime is shut down");
		}
		ChannelInitializer<Channel> connections = new ChannelInitializer<>() {
			@Override
			protected void initChannel(Channel channel) {
				HeadCapture capture = new HeadCapture();
				RequestHeadDecoder decoder = InterceptServer.this.codecs.requestDecoder();
				channel.pipeline().addLast(capture, decoder, new HeadHandler(capture, decoder));
			}
		};
		ListeningChannels opened = ListenerServer.openRunning(this.listenerSocket, this.runtime, connections,
				(running) -> this.running = running);
		this.listening = opened;
		InetSocketAddress bound = opened.localAddress();
		logger.log(System.Logger.Level.INFO, "VConn intercept listener on {0} ({2} socket(s)), origin {1}", bound,
				(this.origin != null) ? this.origin : "none", opened.channels().size());
		return bound;
	}

	@Override
	public @Nullable ListeningChannels listening() {
		return this.listening;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Stops accepting and closes connections whose head is still being read. Idempotent. */
	@Override
	public synchronized void stop() {
		this.running = false;
		ListeningChannels channels = this.listening;
		if (channels != null) {
			channels.close();
		}
		for (Channel client : this.reading) {
			client.close(); // the close of a channel whose loop has stopped just fails its future
		}
	}

	@Override
	public @Nullable InetSocketAddress origin() {
		return this.origin;
	}

	// ---- tunnels, and their takeover ----

	/** Starts the tunnel between a client and its origin, guarded, and lists it for a takeover. On their loop. */
	private void startTunnel(NetVConn client, NetVConn originVConn, boolean originAnswered) {
		TunnelGuard guard = TunnelGuard.install(this.observer, client, originVConn, this.codecs.limits(), originAnswered);
		TunnelEngine engine = TunnelEngine.started(client, originVConn, Tunnel.DEFAULT_BUFFER_SIZE, this.splice);
		LiveTunnel tunnel = new LiveTunnel(client, originVConn, engine);
		this.tunnels.add(tunnel);
		engine.result().whenComplete((result, failure) -> this.tunnels.remove(tunnel));
		guard.endsWith(engine.result());
		Consumer<? super HandoffOffer.LiveConnection> sink = this.handOff;
		if (sink != null) {
			tunnel.handOff(sink);
		}
	}

	/**
	 * Hands each tunnel to {@code sink} once it has stopped and the bytes it wrote reached the kernel
	 * (see {@link HandedOffTunnel}), and so the tunnels that start from now on. For a takeover, once a
	 * successor accepts on the listening socket.
	 * @param sink told of each tunnel, on its event loop
	 */
	public void handOffTunnels(Consumer<? super HandoffOffer.LiveConnection> sink) {
		this.handOff = sink;
		for (LiveTunnel tunnel : this.tunnels) {
			tunnel.handOff(sink);
		}
	}

	/** The tunnels still served here, and the connections whose head is still read (tunnels to be). */
	public int tunnelCount() {
		return this.tunnels.size() + this.reading.size();
	}

	/**
	 * Serves a tunnel another process handed over: writes the bytes owed to each side first, then
	 * moves bytes both ways, on one event loop (spliced where the listener splices). Blocks until both
	 * sockets are registered.
	 * @param clientFd the client's socket; the listener's on return, still the caller's on a throw
	 * @param originFd the origin's socket, likewise
	 * @param toClient bytes read from the origin and not yet delivered to the client
	 * @param toOrigin bytes read from the client and not yet delivered to the origin
	 * @throws IllegalArgumentException if either is not a connected TCP socket
	 * @throws IllegalStateException if the listener no longer runs or the sockets cannot be served
	 */
	@SuppressWarnings("unchecked")
	public void serveHandedOverTunnel(int clientFd, int originFd, byte[] toClient, byte[] toOrigin) {
		if (!this.running) {
			throw new IllegalStateException("the listener is stopped");
		}
		long start = System.nanoTime();
		// duplicates: whatever fails here closes only them, and the received descriptors stay the caller's
		Channel[] channels = HeldChannels.handedOverConnections(clientFd, originFd);
		EventLoop loop = RuntimeCore.chooseLoop(this.runtime.group());
		try {
			for (Channel channel : channels) {
				// the options of the listener's own connections: above all, no read before the VConn asks
				this.runtime.acceptedConnectionOptions().forEach((option, value) ->
						channel.config().setOption((io.netty.channel.ChannelOption<Object>) option, value));
				io.netty.channel.ChannelFuture registered = loop.register(channel).awaitUninterruptibly();
				if (!registered.isSuccess()) {
					throw new IllegalStateException("cannot register a handed-over tunnel: " + registered.cause(),
							registered.cause());
				}
			}
			loop.submit(() -> {
				if (!this.runtime.reserveSlot()) {
					throw new IllegalStateException("the limit of connections is reached");
				}
				if (!this.runtime.reserveSlot()) {
					this.runtime.releaseSlot();
					throw new IllegalStateException("the limit of connections is reached");
				}
				NetVConnFactory factory = NetVConnFactory.of(this.runtime);
				// what one side sent and the other did not get yet is written first, as if read just now
				NetVConn client = factory.adoptRegistered(channels[0], List.of(Unpooled.wrappedBuffer(toOrigin)), start,
						AdoptionSource.HANDOFF);
				NetVConn originVConn = factory.adoptRegistered(channels[1], List.of(Unpooled.wrappedBuffer(toClient)),
						start, AdoptionSource.HANDOFF);
				startTunnel(client, originVConn, true);
				return null;
			}).syncUninterruptibly();
		}
		catch (RuntimeException ex) {
			for (Channel channel : channels) {
				if (channel.isRegistered()) {
					channel.close();
				}
				else {
					channel.unsafe().closeForcibly();
				}
			}
			throw ex;
		}
		LibC.close(clientFd);
		LibC.close(originFd);
	}

	/** A tunnel between a client and the origin, as a takeover sees it. */
	private record LiveTunnel(NetVConn client, NetVConn origin, TunnelEngine engine) {

		void handOff(Consumer<? super HandoffOffer.LiveConnection> sink) {
			new HandedOffTunnel(this.client, this.origin, this.engine, sink).start();
		}

	}

	// ---- per connection ----

	private enum Phase {
		READING, CONNECTING, DONE
	}

	private final class HeadHandler extends ChannelInboundHandlerAdapter {

		private final HeadCapture capture;

		private final RequestHeadDecoder decoder;

		private Phase phase = Phase.READING;

		private boolean slotReserved;

		/** The client finished sending while its origin connection was being made. */
		private boolean inputShutdown;

		private final long start = System.nanoTime();

		private @Nullable ScheduledFuture<?> timeout;

		/** The connection's one transaction, once its head is read; it reports its own end once. */
		private @Nullable HttpTransaction transaction;

		HeadHandler(HeadCapture capture, RequestHeadDecoder decoder) {
			this.capture = capture;
			this.decoder = decoder;
		}

		@Override
		public void channelActive(ChannelHandlerContext ctx) {
			if (!InterceptServer.this.running) {
				ctx.close();
				return;
			}
			if (!InterceptServer.this.runtime.reserveSlot()) {
				reject(ctx, 503);
				return;
			}
			this.slotReserved = true;
			InterceptServer.this.reading.add(ctx.channel());
			this.timeout = ctx.executor().schedule(() -> {
				if (this.phase == Phase.READING) {
					reject(ctx, 408);
				}
			}, InterceptServer.this.codecs.limits().headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
			ctx.read();
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (this.phase != Phase.READING || !(msg instanceof HttpRequest)) {
				ReferenceCountUtil.release(msg);
				return;
			}
			HttpRequest request = (HttpRequest) msg;
			ReferenceCountUtil.release(msg);
			this.phase = Phase.CONNECTING;
			cancelTimeout();
			DecoderResult result = request.decoderResult();
			if (result.isFailure()) {
				reject(ctx, ErrorResponses.statusOf(result));
				return;
			}
			dispatch(ctx, request);
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof ChannelInputShutdownEvent && this.phase == Phase.CONNECTING) {
				// on epoll the client's FIN is read as soon as it comes, before the VConn exists to see it
				this.inputShutdown = true;
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			if (this.phase == Phase.READING) {
				ctx.read();
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			endTransaction(TransactionOutcome.ABANDONED, 0);
			if (this.phase != Phase.DONE) {
				this.phase = Phase.DONE;
				cancelTimeout();
				this.capture.release();
				releaseSlot();
			}
			InterceptServer.this.reading.remove(ctx.channel());
			ctx.fireChannelInactive();
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close();
		}

		private void dispatch(ChannelHandlerContext ctx, HttpRequest request) {
			HttpTransaction txn = new HttpTransaction(ctx.channel(), request, false);
			this.transaction = txn;
			txn.started(InterceptServer.this.observer);
			for (InterceptHook hook : InterceptServer.this.hooks.hooks()) {
				txn.offeredTo(hook);
				try {
					hook.onTransaction(txn);
				}
				catch (Throwable ex) {
					logger.log(System.Logger.Level.WARNING, "Intercept hook " + hook.name() + " threw on transaction "
							+ txn.id() + "; answering 500", ex);
					InterceptServer.this.observer.onIntercept(hook.name(), InterceptType.INTERCEPT, InterceptOutcome.ERROR);
					reject(ctx, 500);
					return;
				}
				if (txn.claimedBy() != null) {
					break;
				}
			}
			txn.endDispatch();
			Continuation cont = txn.continuation();
			if (cont != null) {
				txn.routed(TransactionPath.INTERCEPTED);
				handOver(ctx, java.util.Objects.requireNonNull(txn.claimedBy()), cont);
			}
			else {
				txn.routed(TransactionPath.PASS_THROUGH);
				passThrough(ctx);
			}
		}

		/** Stops parsing: what follows the head is the new owner's to read. */
		private List<ByteBuf> detach(ChannelHandlerContext ctx) {
			List<ByteBuf> bytes = this.capture.take();
			ctx.pipeline().remove(this.capture);
			ctx.pipeline().remove(this.decoder); // its leftovers reach this handler, which drops them
			InterceptServer.this.reading.remove(ctx.channel());
			return bytes;
		}

		private void handOver(ChannelHandlerContext ctx, String hook, Continuation cont) {
			Channel channel = ctx.channel();
			if (!channel.isActive() || !InterceptServer.this.runtime.isRunning()) {
				InterceptServer.this.observer.onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPT_FAILED);
				endTransaction(TransactionOutcome.ABANDONED, 0);
				this.phase = Phase.DONE;
				this.capture.release();
				releaseSlot();
				ctx.close();
				ContinuationDelivery.deliver(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT_FAILED, null);
				return;
			}
			List<ByteBuf> replay = detach(ctx);
			this.phase = Phase.DONE;
			ctx.pipeline().remove(this);
			NetVConn vconn = NetVConnFactory.of(InterceptServer.this.runtime).adoptAccepted(channel, replay, this.start);
			InterceptServer.this.observer.onIntercept(hook, InterceptType.INTERCEPT, InterceptOutcome.ACCEPTED);
			InterceptServer.this.observer.onTransactionCompleted(TransactionPath.INTERCEPTED, 0);
			endTransaction(TransactionOutcome.COMPLETED, 0);
			ContinuationDelivery.deliver(channel.eventLoop(), cont, VConnEvent.NET_ACCEPT, vconn);
		}

		private void passThrough(ChannelHandlerContext ctx) {
			InetSocketAddress target = InterceptServer.this.origin;
			if (target == null) {
				reject(ctx, 502);
				return;
			}
			Channel channel = ctx.channel();
			List<ByteBuf> replay = detach(ctx);
			// connecting from this loop puts the origin on the same loop, which lets the tunnel splice
			InterceptServer.this.runtime.factory().connect(target).whenComplete((originVConn, failure) -> {
				if (failure != null) {
					replay.forEach(ByteBuf::release);
					if (this.phase == Phase.CONNECTING && channel.isActive()) {
						reject(ctx, 502);
					}
					return;
				}
				if (this.phase != Phase.CONNECTING || !channel.isActive()) {
					replay.forEach(ByteBuf::release);
					originVConn.close();
					endTransaction(TransactionOutcome.ABANDONED, 0);
					return;
				}
				this.phase = Phase.DONE;
				ctx.pipeline().remove(this);
				NetVConn client = NetVConnFactory.of(InterceptServer.this.runtime).adoptAccepted(channel, replay, this.start);
				if (this.inputShutdown) {
					// the end of stream came after the head: the VConn delivers it after the replayed bytes
					channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
				}
				// the rest of the connection is bytes: the listener never sees a response status
				InterceptServer.this.observer.onTransactionCompleted(TransactionPath.PASS_THROUGH, 0);
				endTransaction(TransactionOutcome.COMPLETED, 0);
				startTunnel(client, (NetVConn) originVConn, false);
			});
		}

		/** Answers with an error status, then closes without cutting off the response. */
		private void reject(ChannelHandlerContext ctx, int status) {
			if (ErrorResponses.runtimeStopping(ctx.channel())) {
				endTransaction(TransactionOutcome.ABANDONED, 0);
			}
			else {
				if (status != 500) {
					InterceptServer.this.observer.onListenerRejection(status);
				}
				endTransaction(TransactionOutcome.REJECTED, status);
			}
			this.phase = Phase.DONE;
			cancelTimeout();
			if (ctx.pipeline().context(this.capture) != null) {
				ctx.pipeline().remove(this.capture);
			}
			if (ctx.pipeline().context(this.decoder) != null) {
				ctx.pipeline().remove(this.decoder);
			}
			this.capture.release();
			releaseSlot();
			Channel channel = ctx.channel();
			// listed until its lingering close ends, so that stop() closes a rejected client too
			channel.closeFuture()
				.addListener((ChannelFutureListener) (f) -> InterceptServer.this.reading.remove(f.channel()));
			if (!channel.isActive()) {
				return;
			}
			ErrorResponses.send(channel, status);
		}

		/** Reports the end of the transaction, if it started and has not ended, to the observers. */
		private void endTransaction(TransactionOutcome outcome, int status) {
			HttpTransaction current = this.transaction;
			if (current != null) {
				this.transaction = null;
				current.ended(outcome, status);
			}
		}

		private void cancelTimeout() {
			ScheduledFuture<?> task = this.timeout;
			if (task != null) {
				task.cancel(false);
				this.timeout = null;
			}
		}

		private void releaseSlot() {
			if (this.slotReserved) {
				this.slotReserved = false;
				InterceptServer.this.runtime.releaseSlot();
			}
		}

	}

}
