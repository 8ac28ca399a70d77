package dev.vconn.internal.http;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

import dev.vconn.internal.net.ListenerSocket;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import org.jspecify.annotations.Nullable;

/** The server behind an {@link dev.vconn.intercept.InterceptListener}, in either mode. */
public interface ListenerServer {

	/** Binds and starts accepting; blocks until bound. */
	InetSocketAddress start();

	/** Stops accepting; idempotent. */
	void stop();

	boolean isRunning();

	@Nullable InetSocketAddress origin();

	/** The listening channel, or {@code null} before {@link #start()}; for a takeover to pause accepting. */
	@Nullable Channel serverChannel();

	/**
	 * Opens a server's socket with the server marked running first: an inherited socket's waiting
	 * connections are accepted the moment it is registered, and a connection accepted while not
	 * running is closed unread.
	 * @param running sets the server's running flag; it is cleared again if the socket cannot be opened
	 * @return the open server channel
	 */
	static Channel openRunning(ListenerSocket socket, ServerBootstrap bootstrap, Consumer<Boolean> running) {
		running.accept(true);
		try {
			return socket.open(bootstrap);
		}
		catch (RuntimeException ex) {
			running.accept(false);
			throw ex;
		}
	}

}
