package dev.vconn.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback server that accepts every connection on a daemon thread and holds the accepted end
 * open, so that the connecting end stays connected while a benchmark adopts it.
 */
final class LoopbackAcceptor implements AutoCloseable {

	private final ServerSocketChannel server;

	private final List<SocketChannel> accepted = new ArrayList<>();

	private final Thread thread;

	LoopbackAcceptor() {
		try {
			this.server = ServerSocketChannel.open();
			this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.thread = new Thread(this::acceptAll, "loopback-acceptor");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	InetSocketAddress address() {
		try {
			return (InetSocketAddress) this.server.getLocalAddress();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Closes the accepted ends held so far. */
	void closeAccepted() {
		List<SocketChannel> toClose;
		synchronized (this.accepted) {
			toClose = new ArrayList<>(this.accepted);
			this.accepted.clear();
		}
		toClose.forEach(LoopbackAcceptor::closeQuietly);
	}

	@Override
	public void close() {
		closeQuietly(this.server);
		closeAccepted();
	}

	private void acceptAll() {
		try {
			while (true) {
				SocketChannel channel = this.server.accept();
				synchronized (this.accepted) {
					this.accepted.add(channel);
				}
			}
		}
		catch (ClosedChannelException ex) {
			// closed by close(): done
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// a benchmark fixture being torn down: nothing to do about it
		}
	}

}
