package dev.vconn.internal.net;

import java.net.InetSocketAddress;
import java.util.List;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;

/**
 * The server channels of one intercept listener, all on the same address: one per event loop when
 * it bound them, or one per inherited socket (see {@link ListenerSocket}).
 */
public final class ListeningChannels {

	private final List<Channel> channels;

	ListeningChannels(List<Channel> channels) {
		this.channels = List.copyOf(channels);
	}

	/** The address the listener accepts on. */
	public InetSocketAddress localAddress() {
		return (InetSocketAddress) this.channels.get(0).localAddress();
	}

	/** The server channels, at least one. */
	public List<Channel> channels() {
		return this.channels;
	}

	/** Whether every channel is open: a runtime that stops closes them itself. */
	public boolean isOpen() {
		return this.channels.stream().allMatch(Channel::isOpen);
	}

	/**
	 * The listening descriptors, for a takeover to hand to a successor.
	 * @return one per channel
	 * @throws IllegalStateException if a channel is closed or not an epoll channel
	 */
	public int[] fds() {
		int[] fds = new int[this.channels.size()];
		for (int i = 0; i < fds.length; i++) {
			Channel channel = this.channels.get(i);
			if (!channel.isOpen() || !(channel instanceof UnixChannel unix)) {
				throw new IllegalStateException("the listener has no open epoll listening socket (" + channel + ")");
			}
			fds[i] = unix.fd().intValue();
		}
		return fds;
	}

	/**
	 * Stops or resumes accepting, without closing the sockets: connections wait in their backlog.
	 * Returns once every loop has applied the change, so that nothing is accepted afterwards.
	 * @param accepting whether to accept
	 */
	public void setAccepting(boolean accepting) {
		for (Channel channel : this.channels) {
			channel.config().setAutoRead(accepting);
		}
		for (Channel channel : this.channels) {
			channel.eventLoop().submit(() -> null).awaitUninterruptibly();
		}
	}

	/** Closes every channel and waits for it; a runtime stopping meanwhile may refuse, harmlessly. */
	public void close() {
		for (Channel channel : this.channels) {
			if (channel.isOpen()) {
				channel.close().awaitUninterruptibly();
			}
		}
	}

}
