package dev.vconn.internal.http;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

import dev.vconn.internal.net.ListenerSocket;
import dev.vconn.internal.net.ListeningChannels;
import dev.vconn.internal.runtime.RuntimeCore;
import io.netty.channel.ChannelHandler;
import org.jspecify.annotations.Nullable;

/** The server behind an {@link dev.vconn.intercept.InterceptListener}, in either mode. */
public interface ListenerServer {

	/** Binds and starts accepting; blocks until bound. */
	InetSocketAddress start();

	/** Stops accepting; idempotent. */
	void stop();

	boolean isRunning();

	@Nullable InetSocketAddress origin();

	/** The listening channels, or {@code null} before {@link #start()}; for a takeover to pause accepting. */
	@Nullable ListeningChannels listening();

	/**
	 * Opens a server's sockets with the server marked running first: an inherited socket's waiting
	 * connections are accepted the moment it is registered, and a connection accepted while not
	 * running is closed unread.
	 * @param connections initializes each accepted connection's pipeline
	 * @param running sets the server's running flag; it is cleared again if the sockets cannot be opened
	 * @return the open server channels
	 */
	static ListeningChannels openRunning(ListenerSocket socket, RuntimeCore runtime, ChannelHandler connections,
			Consumer<Boolean> running) {
		running.accept(true);
		try {
			return socket.open(runtime, connections);
		}
		catch (RuntimeException ex) {
			running.accept(false);
			throw ex;
		}
	}

}
