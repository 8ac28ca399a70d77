package dev.vconn.internal.http;

import java.net.InetSocketAddress;

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

}
