package dev.vconn.internal.http;

import dev.vconn.internal.net.HeldChannels;
import dev.vconn.internal.net.ListenerSocket;
import dev.vconn.internal.net.ListeningChannels;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

import dev.vconn.VConn;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.internal.pair.PairCore;
import dev.vconn.internal.runtime.RuntimeCore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpResponseEncoder;
import org.jspecify.annotations.Nullable;

/**
 * The per-transaction intercept listener: every request on a keep-alive client connection is a
 * transaction that runs the hooks. Unclaimed requests go to the origin over pooled keep-alive
 * connections; server-intercepted ones to a continuation through an in-memory {@link PairCore};
 * a connection intercept takes the whole client connection as a VConn.
 *
 * <p>The client connection reads with auto-read off: one request at a time is processed, what the
 * client sends beyond the request being served is read ahead by at most a head's size, and the rest
 * of a request body only while the next hop takes it, so a connection holds a bounded amount of
 * memory whatever the peers do.
 *
 * <p>The pieces: {@link ClientConnection} runs the request loop of one client connection,
 * {@link PassThroughExchange} and {@link ServerInterceptExchange} carry one transaction each to its
 * next hop, {@link ResponseRelay} holds the header rules of relaying, {@link InterceptHandOver}
 * gives a connection or a pair end to an intercept, {@link RequestHeadDecoder} reads heads,
 * {@link ErrorResponses} answers errors and closes, {@link OriginPool} keeps origin connections.
 */
public final class TransactionServer implements ListenerServer {

	private static final System.Logger logger = System.getLogger(TransactionServer.class.getName());

	final RuntimeCore runtime;

	/** Told what becomes of each request: hooks, finished transactions, rejections. */
	final InterceptObserver observer;

	final InterceptHookRegistry hooks;

	private final ListenerSocket listenerSocket;

	final HttpCodecs codecs;

	final HttpLimits limits;

	final @Nullable OriginPool origins;

	final boolean forwardedHeaders;

	/** The client connections still served by the listener (not handed to an intercept). */
	final Set<Channel> clients = ConcurrentHashMap.newKeySet();

	volatile boolean running;

	private @Nullable ListeningChannels listening;

	public TransactionServer(RuntimeCore runtime, InterceptHookRegistry hooks, ListenerSocket listenerSocket,
			HttpLimits limits, @Nullable InetSocketAddress origin, boolean forwardedHeaders, InterceptObserver observer) {
		this.runtime = runtime;
		this.observer = observer;
		this.hooks = hooks;
		this.listenerSocket = listenerSocket;
		this.limits = limits;
		this.codecs = new HttpCodecs(limits);
		this.origins = (origin != null) ? new OriginPool(runtime, origin, this.codecs) : null;
		this.forwardedHeaders = forwardedHeaders;
	}

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
				serveOn(channel, null);
			}
		};
		ListeningChannels opened = ListenerServer.openRunning(this.listenerSocket, this.runtime, connections,
				(running) -> this.running = running);
		this.listening = opened;
		InetSocketAddress bound = opened.localAddress();
		logger.log(System.Logger.Level.INFO, "VConn intercept listener on {0} ({2} socket(s)), origin {1}", bound,
				(this.origins != null) ? this.origins.origin() : "none", opened.channels().size());
		return bound;
	}

	private void serveOn(Channel channel, @Nullable ByteBuf handedOverRequests) {
		ClientConnection connection = new ClientConnection(this);
		if (handedOverRequests != null) {
			channel.pipeline().addLast(new HandedOverRequests(handedOverRequests));
		}
		channel.pipeline()
			.addLast(connection.capture)
			.addLast(connection.decoder)
			.addLast(new HttpResponseEncoder())
			.addLast(connection);
	}

	/**
	 * Serves a client connection another process handed over between two transactions, as if this
	 * listener had accepted it, {@code unserved} first. Blocks until it is registered with an event
	 * loop.
	 * @param fd the received descriptor; the listener's on success, still the caller's on a throw
	 * @param unserved requests the other process read from the connection and did not serve; they are
	 * served before anything read from the socket, as if read from it
	 * @throws IllegalArgumentException if it is not a connected TCP socket
	 * @throws IllegalStateException if the listener no longer runs
	 */
	@SuppressWarnings("unchecked")
	public void serveHandedOver(int fd, byte[] unserved) {
		if (!this.running) {
			throw new IllegalStateException("the listener is stopped");
		}
		Channel channel = HeldChannels.handedOverConnection(fd);
		this.runtime.acceptedConnectionOptions().forEach((option, value) -> channel.config().setOption(
				(io.netty.channel.ChannelOption<Object>) option, value));
		serveOn(channel, (unserved.length > 0) ? Unpooled.wrappedBuffer(unserved) : null);
		io.netty.channel.ChannelFuture registered = RuntimeCore.chooseLoop(this.runtime.group()).register(channel)
			.awaitUninterruptibly();
		if (!registered.isSuccess()) {
			channel.unsafe().closeForcibly();
			throw new IllegalStateException("cannot register the connection: " + registered.cause(), registered.cause());
		}
	}

	/**
	 * Hands each client connection to {@code sink} as soon as it has no transaction in flight (at
	 * once for idle ones); the connection is not read meanwhile. For a takeover, once a successor
	 * accepts on the listening socket.
	 * @param sink told of each connection, on its event loop
	 */
	public void handOffConnections(java.util.function.Consumer<? super dev.vconn.internal.handoff.HandoffOffer.LiveConnection> sink) {
		for (Channel client : this.clients) {
			client.eventLoop().execute(() -> {
				ClientConnection connection = client.pipeline().get(ClientConnection.class);
				if (connection != null) {
					connection.handOffWhenIdle(sink);
				}
			});
		}
	}

	/**
	 * First in a handed-over connection's pipeline: once the connection is active, passes the
	 * requests the other process read and did not serve on as if just read from the socket. They
	 * reach the decoder before anything the socket delivers, which comes in a later event loop pass.
	 */
	private static final class HandedOverRequests extends io.netty.channel.ChannelInboundHandlerAdapter {

		private @Nullable ByteBuf requests;

		HandedOverRequests(ByteBuf requests) {
			this.requests = requests;
		}

		@Override
		public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
			ByteBuf handedOver = this.requests;
			this.requests = null;
			ctx.fireChannelActive();
			ctx.fireChannelRead(handedOver);
			ctx.fireChannelReadComplete();
			ctx.pipeline().remove(this);
		}

		@Override
		public void handlerRemoved(io.netty.channel.ChannelHandlerContext ctx) {
			if (this.requests != null) {
				this.requests.release(); // the connection never became active: nothing reads them
				this.requests = null;
			}
		}

	}

	/** The client connections this listener still serves. */
	public int clientCount() {
		return this.clients.size();
	}

	@Override
	public @Nullable ListeningChannels listening() {
		return this.listening;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public @Nullable InetSocketAddress origin() {
		return (this.origins != null) ? this.origins.origin() : null;
	}

	/**
	 * Stops accepting; idle client connections are closed, busy ones close after their current
	 * response. Idempotent.
	 */
	@Override
	public synchronized void stop() {
		this.running = false;
		ListeningChannels channels = this.listening;
		if (channels != null) {
			channels.close();
		}
		try {
			for (Channel client : this.clients) {
				client.eventLoop().execute(() -> {
					ClientConnection connection = client.pipeline().get(ClientConnection.class);
					if (connection != null) {
						connection.closeWhenIdle();
					}
				});
			}
			if (this.origins != null) {
				this.origins.close();
			}
		}
		catch (RejectedExecutionException ex) {
			// the runtime has stopped: its event loops closed every connection
		}
	}

}
