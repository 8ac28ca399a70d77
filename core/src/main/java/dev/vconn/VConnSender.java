package dev.vconn;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;

import dev.vconn.internal.Durations;
import dev.vconn.internal.handoff.HandoffException;
import dev.vconn.internal.handoff.TransferSender;
import dev.vconn.internal.net.NetVConn;

/**
 * Hands listening sockets and live {@link VConn}s to another process, a {@link VConnReceiver}
 * serving a Unix domain socket path: for applications with a process model of their own (a
 * dispatcher that passes connections to workers, a restart that moves connections to the new
 * process). The intercept listener's own takeover is {@code dev.vconn.intercept.VConnHandoff}; this
 * is the same mechanism ({@code SCM_RIGHTS} over {@code SOCK_SEQPACKET}, peer credentials checked)
 * for any socket VConn.
 *
 * <p><b>Contract:</b> {@link Builder#connect()} connects to the receiver and checks its uid
 * ({@code SO_PEERCRED}: this process's own, or one of {@link Builder#allowedUids}). Then each
 * {@link #send(VConn)} or {@link #sendListener(int, String)} hands one socket over and returns once
 * the receiver has taken it, or throws {@link VConnTransferException} with the reason once it has
 * not. Sends go one at a time, in order.
 *
 * <p><b>Ownership:</b> a VConn is owned by exactly one process at any moment. While it is being
 * sent, it does not read from its socket; the receiver adopts its own copy, and only when the
 * receiver says it took it is the sender's VConn closed (without a word to the peer: the socket
 * stays open in the receiver). If the receiver declines, refuses, breaks the protocol, dies or is
 * silent for longer than {@link Builder#timeout}, the VConn goes on here as before: nothing was
 * read from it meanwhile, and bytes the peer sent are read next. A listening socket is copied: the
 * caller keeps its descriptor whatever happens, and both processes accept on the same socket
 * until the caller closes its own.
 *
 * <p><b>No byte lost:</b> bytes the VConn had read from its socket and not delivered to a read
 * VIO travel with it and are the first the receiver's VConn reads, after any {@code unread} bytes
 * passed to {@link #send(VConn, byte[])} (bytes the caller took from its read buffer and did not
 * consume). A VConn can only be sent when it is quiet: no read or write VIO in progress (each has
 * completed, or was ended with {@code read(cont, buffer, 0)} / {@code write(cont, reader, 0)}), no
 * bytes written still on their way to the socket; otherwise the send throws {@code busy} at once
 * and changes nothing. Timeouts set on the VConn are not carried over: the receiver sets its own.
 * While the VConn is being sent its timeouts do not fire (the receiver may already hold the
 * socket): one that expires meanwhile fires when the send fails and the VConn goes on here, and
 * is dropped with the VConn when the receiver took it.
 *
 * <p><b>Threads:</b> every method blocks the calling thread for the exchange, at most the timeout
 * per step; never call them on an event thread (sending a VConn from its own event thread throws
 * {@link IllegalStateException}). Not thread-safe: one thread sends at a time. During a send, the
 * VConn must not be used by other threads.
 *
 * <p><b>Limits:</b> Linux on 64-bit x86 or ARM. Only VConns built on a descriptor can go: those of
 * {@link VConnFactory#fdCreate(int)}, {@link VConnFactory#adopt(int)}, and
 * {@link VConnFactory#connect} on the epoll transport; VConns driven by a NIO event loop (adopted
 * from a {@code SocketChannel}) and {@link VConnPair} ends throw {@code unsupported}. Listening
 * sockets go by number, or as a JDK {@code ServerSocketChannel} bound to a TCP address.
 *
 * @since 0.1.0
 */
public final class VConnSender implements AutoCloseable {

	private static final byte[] NOTHING = new byte[0];

	private final TransferSender sender;

	private VConnSender(TransferSender sender) {
		this.sender = sender;
	}

	/**
	 * Configures a sender to the receiver at {@code path}.
	 * @param path the receiver's Unix domain socket path
	 * @return a builder
	 */
	public static Builder builder(Path path) {
		return new Builder(path);
	}

	/**
	 * Hands a live VConn over, with the bytes it had read and not delivered. Blocks until the
	 * receiver took it (the VConn here is then closed, and the receiver's is live) or did not
	 * (this one goes on as before).
	 * @param vconn a quiet socket VConn of this process
	 * @throws VConnTransferException if the receiver has not taken it; the VConn is still the
	 * caller's and usable
	 * @throws IllegalStateException if called on the VConn's event thread
	 */
	public void send(VConn vconn) {
		send(vconn, NOTHING);
	}

	/**
	 * Like {@link #send(VConn)}, with bytes the caller already read from the VConn and did not
	 * consume: the receiver's VConn reads {@code unread} first, then what the VConn had buffered,
	 * then what the peer sends next.
	 * @param vconn a quiet socket VConn of this process
	 * @param unread bytes to deliver first (copied; at most 16 MiB with the buffered ones)
	 * @throws VConnTransferException if the receiver has not taken it; the VConn is still the
	 * caller's and usable, and {@code unread} is the caller's to use
	 * @throws IllegalStateException if called on the VConn's event thread
	 */
	public void send(VConn vconn, byte[] unread) {
		Objects.requireNonNull(vconn, "vconn");
		Objects.requireNonNull(unread, "unread");
		if (!(vconn instanceof NetVConn socket)) {
			throw new VConnTransferException(vconn + " is not a socket VConn", "unsupported", null);
		}
		translated(() -> this.sender.sendVConn(socket, unread.clone(), ""));
	}

	/**
	 * Hands a copy of a listening socket over. Blocks until the receiver took it or did not;
	 * either way {@code fd} stays the caller's, open and unchanged.
	 * @param fd a listening socket of this process (TCP or Unix domain)
	 * @param name a name the receiver's handler sees, as systemd's {@code LISTEN_FDNAMES} gives one
	 * @throws VConnTransferException if the receiver has not taken it, or {@code fd} is not a
	 * listening socket ({@code unsupported})
	 */
	public void sendListener(int fd, String name) {
		Objects.requireNonNull(name, "name");
		translated(() -> this.sender.sendListener(fd, name));
	}

	/**
	 * Hands a copy of a JDK server socket channel's listening socket over, like
	 * {@link #sendListener(int, String)}. The JDK does not give its descriptor out: this finds the
	 * one socket of this process listening at the channel's local address and sends a copy of it.
	 * The channel stays the caller's, open, unchanged, and must stay open during the call.
	 * @param channel a bound TCP server socket channel of this process
	 * @param name a name the receiver's handler sees
	 * @throws VConnTransferException if the receiver has not taken it, or the channel's socket
	 * cannot be told apart ({@code unsupported}: not bound, a Unix domain channel, or another socket
	 * of this process listening at the same address)
	 */
	public void sendListener(ServerSocketChannel channel, String name) {
		Objects.requireNonNull(channel, "channel");
		Objects.requireNonNull(name, "name");
		SocketAddress address;
		try {
			address = channel.getLocalAddress();
		}
		catch (IOException ex) {
			throw new VConnTransferException("the channel has no local address: " + ex, "unsupported", ex);
		}
		if (address == null) {
			throw new VConnTransferException("the channel is not bound", "unsupported", null);
		}
		translated(() -> this.sender.sendListenerAt(address, name));
	}

	/**
	 * Ends the exchange: the receiver sees the end of the stream. Idempotent; sockets handed over
	 * stay with the receiver.
	 */
	@Override
	public void close() {
		this.sender.close();
	}

	private static void translated(Runnable send) {
		try {
			send.run();
		}
		catch (HandoffException ex) {
			throw new VConnTransferException(ex.getMessage(), ex.reason().tag(), ex);
		}
		catch (TransferSender.NotTaken ex) {
			throw new VConnTransferException(String.valueOf(ex.getMessage()), ex.reason(), ex);
		}
	}

	/** Configures a {@link VConnSender}. */
	public static final class Builder {

		private final Path path;

		private Set<Integer> allowedUids = Set.of();

		private Duration timeout = Duration.ofSeconds(10);

		private Builder(Path path) {
			this.path = Objects.requireNonNull(path, "path");
		}

		/**
		 * Trusts receivers of these uids as well as this process's own.
		 * @param uids the uids; empty (the default) trusts this process's uid only
		 * @return this builder
		 */
		public Builder allowedUids(Collection<Integer> uids) {
			this.allowedUids = Set.copyOf(uids);
			return this;
		}

		/**
		 * Bounds each step of an exchange: a receiver silent for longer is given up on, and the
		 * socket being sent stays here.
		 * @param timeout positive; 10 seconds by default
		 * @return this builder
		 */
		public Builder timeout(Duration timeout) {
			this.timeout = Durations.requirePositive(timeout, "timeout");
			return this;
		}

		/**
		 * Connects to the receiver and checks its uid. Blocks for at most the timeout.
		 * @return the connected sender, to close when done
		 * @throws VConnTransferException if nothing serves the path ({@code io}), the receiver runs
		 * as a uid not trusted ({@code peer-uid}), refuses this process ({@code refused-by-peer}) or
		 * does not answer ({@code interrupted})
		 */
		public VConnSender connect() {
			try {
				return new VConnSender(TransferSender.connect(this.path, this.allowedUids, this.timeout));
			}
			catch (HandoffException ex) {
				throw new VConnTransferException(ex.getMessage(), ex.reason().tag(), ex);
			}
		}

	}

}
