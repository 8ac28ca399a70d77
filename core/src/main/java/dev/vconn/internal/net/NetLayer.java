package dev.vconn.internal.net;

import dev.vconn.Transport;
import dev.vconn.VConnFactory;
import dev.vconn.internal.runtime.RuntimeCore;
import dev.vconn.internal.runtime.SocketLayer;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import org.jspecify.annotations.Nullable;

/** The socket layer a runtime runs on: epoll registrations, held channels, the socket VConn factory. */
public final class NetLayer implements SocketLayer {

	private final int maxPipes;

	private final int pipeSize;

	/**
	 * @param maxPipes the most pipes splicing tunnels may hold at once
	 * @param pipeSize the capacity asked for each pipe, 0 for the kernel's default
	 */
	public NetLayer(int maxPipes, int pipeSize) {
		this.maxPipes = maxPipes;
		this.pipeSize = pipeSize;
	}

	@Override
	public IoHandlerFactory epollHandlers() {
		return EpollRegistrations.factory();
	}

	@Override
	public ChannelFactory<? extends ServerChannel> listeningChannels(Transport transport) {
		return HeldChannels.serverFactory(transport);
	}

	@Override
	public VConnFactory newFactory(RuntimeCore runtime) {
		return new NetVConnFactory(runtime, this.maxPipes, this.pipeSize);
	}

	@Override
	public @Nullable String fdAdoptionUnavailable(Transport requested, Transport chosen) {
		return NativeAccess.fdAdoptionUnavailable(requested, chosen);
	}

	@Override
	public @Nullable String nativeAccessWarning(Transport requested, Transport chosen) {
		return NativeAccess.warning(requested, chosen);
	}

}
