package dev.vconn.internal.http;

import dev.vconn.internal.handoff.HandoffOffer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.UnixChannel;

/**
 * A client connection of the per-transaction listener that stopped reading between transactions
 * so that a successor can take it over: it is deregistered from its event loop, and nothing the
 * client sent since has been read. Exactly one of {@link #handedOff()} and {@link #resume()} must
 * follow; either may be called from any thread.
 */
public final class HandedOffConnection implements HandoffOffer.LiveConnection {

	private final Channel channel;

	private final ClientConnection connection;

	private final EventLoop loop;

	HandedOffConnection(Channel channel, ClientConnection connection) {
		this.channel = channel;
		this.connection = connection;
		this.loop = channel.eventLoop();
	}

	/** The connection's descriptor, still this process's: send a copy. */
	@Override
	public int fd() {
		return ((UnixChannel) this.channel).fd().intValue();
	}

	/** The successor serves the connection: this process closes its copy (the client sees nothing). */
	@Override
	public void handedOff() {
		this.loop.execute(this.connection::handedOff);
	}

	/** The successor did not take it: registers the connection again and serves it here. */
	@Override
	public void resume() {
		this.loop.register(this.channel).addListener((future) -> {
			if (future.isSuccess()) {
				this.connection.resumeAfterHandOff();
			}
			else {
				this.channel.close();
			}
		});
	}

	@Override
	public String toString() {
		return "HandedOffConnection[" + this.channel + "]";
	}

}
