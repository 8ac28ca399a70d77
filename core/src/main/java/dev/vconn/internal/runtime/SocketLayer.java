package dev.vconn.internal.runtime;

import dev.vconn.Transport;
import dev.vconn.VConnFactory;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link RuntimeCore} needs from the socket layer above it ({@code internal.net}), given to
 * it by the composition root ({@code VConnRuntime}) so that the runtime never depends on the
 * layers built on it.
 */
public interface SocketLayer {

	/**
	 * Makes the I/O handlers of the epoll event loops.
	 * @return the factory for {@code MultiThreadIoEventLoopGroup}
	 */
	IoHandlerFactory epollHandlers();

	/**
	 * Makes the listening channels of intercept listeners.
	 * @param transport the runtime's transport (EPOLL or NIO)
	 * @return the factory for {@code ServerBootstrap.channelFactory}
	 */
	ChannelFactory<? extends ServerChannel> listeningChannels(Transport transport);

	/**
	 * Makes the runtime's factory of socket VConns; called once, at the end of the runtime's constructor.
	 * @param runtime the runtime
	 * @return its factory
	 */
	VConnFactory newFactory(RuntimeCore runtime);

	/**
	 * Why raw descriptors cannot be adopted on a runtime with this transport.
	 * @param requested the transport asked for
	 * @param chosen the transport the runtime runs on
	 * @return the reason, or {@code null} if they can
	 */
	@Nullable String fdAdoptionUnavailable(Transport requested, Transport chosen);

	/**
	 * The warning to log when native parts a Linux runtime expects are missing (an automatic fall
	 * back from epoll, libc calls that did not load), with the cause and the fix.
	 * @param requested the transport asked for
	 * @param chosen the transport the runtime runs on
	 * @return the warning, or {@code null} if nothing is missing
	 */
	@Nullable String nativeAccessWarning(Transport requested, Transport chosen);

}
