package dev.vconn;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;

import dev.vconn.internal.Durations;
import dev.vconn.internal.handoff.HandoffException;
import dev.vconn.internal.handoff.TransferReceiver;
import dev.vconn.internal.net.NetVConnFactory;
import dev.vconn.internal.runtime.RuntimeAccess;

/**
 * Receives listening sockets and live {@link VConn}s that other processes hand over with
 * {@link VConnSender}: serves a Unix domain socket path and adopts each VConn received on this
 * process's {@link VConnRuntime}.
 *
 * <p><b>Contract:</b> {@link Builder#start(Handler)} creates the socket at the path (mode 0600,
 * replacing a socket file left there; its directory must exist and belong to this process's user)
 * and serves it until {@link #close()}. Each sender that connects is checked ({@code SO_PEERCRED}:
 * this process's uid, or one of {@link Builder#allowedUids}); a sender of another uid is refused
 * and sends nothing. A received VConn is adopted with {@link VConnFactory#fdCreate(int)}'s
 * contract, counted with source {@link AdoptionSource#HANDOFF}, and given to
 * {@link Handler#received(VConn)} once the sender has closed its copy, so it is served by exactly
 * one process at any moment. The bytes the sender had read and not consumed are the first its
 * reads deliver. A transfer that is declined, malformed or interrupted (the sender dies, or is
 * silent for longer than {@link Builder#timeout}) closes everything received for it, leaves the
 * socket with the sender, and is reported to {@link Handler#failed(String, String)}.
 *
 * <p><b>Threads:</b> a daemon thread named {@code vconn-receiver} accepts senders; each sender's
 * exchange runs on a daemon thread of its own ({@code vconn-receiver-exchange}), which calls the
 * handler, one socket at a time. Handler methods should return quickly: the sender waits.
 *
 * <p><b>Ownership:</b> a VConn given to {@link Handler#received(VConn)} is the handler's to
 * close, like any VConn of this runtime (if the handler throws, it is closed). A listening socket
 * given to {@link Handler#receivedListener(int, String)} is the handler's when it returns
 * {@code true} (close-on-exec, still blocking as the sender had it); when it returns
 * {@code false} or throws, the receiver closes it and the sender is told. The socket file belongs
 * to the receiver: {@link #close()} removes it unless another process replaced it.
 *
 * <p><b>Limits:</b> Linux on 64-bit x86 or ARM; adopting VConns needs the epoll transport
 * ({@link VConnRuntime#isFdAdoptionAvailable()}), elsewhere each VConn is declined with reason
 * {@code adoption}.
 *
 * @since 0.1.0
 */
public final class VConnReceiver implements AutoCloseable {

	/**
	 * Where received sockets go. Called on the thread of the sender's exchange, one socket at a
	 * time per sender.
	 */
	@FunctionalInterface
	public interface Handler {

		/**
		 * A VConn was handed over: adopted on this runtime, its buffered bytes first on its reads,
		 * no VIO started. The handler owns it from now on.
		 * @param vconn the received VConn
		 */
		void received(VConn vconn);

		/**
		 * Whether to take the next VConn, asked before it is adopted; a VConn not taken stays the
		 * sender's (reason {@code declined}). Accepts by default.
		 * @return {@code false} to decline it
		 */
		default boolean acceptsVConn() {
			return true;
		}

		/**
		 * A copy of a listening socket was handed over. Declines it by default.
		 * @param fd the descriptor, close-on-exec; the handler's if it returns {@code true}
		 * @param name the name the sender gave
		 * @return {@code true} if the handler owns {@code fd} now, {@code false} to have it closed
		 * and the sender told ({@code declined})
		 */
		default boolean receivedListener(int fd, String name) {
			return false;
		}

		/**
		 * A transfer that failed or was declined here; everything received for it is closed.
		 * @param reason {@code declined}, {@code adoption}, {@code peer-uid}, {@code malformed},
		 * {@code interrupted}, {@code refused-by-peer} or {@code io}
		 * @param message what happened
		 */
		default void failed(String reason, String message) {
		}

	}

	private final TransferReceiver receiver;

	private VConnReceiver(TransferReceiver receiver) {
		this.receiver = receiver;
	}

	/**
	 * Configures a receiver that adopts VConns on {@code runtime} and serves {@code path}.
	 * @param runtime the runtime received VConns live on
	 * @param path the Unix domain socket path senders connect to, at most 107 bytes
	 * @return a builder
	 */
	public static Builder builder(VConnRuntime runtime, Path path) {
		return new Builder(runtime, path);
	}

	/**
	 * The socket's path.
	 * @return the path
	 */
	public Path path() {
		return this.receiver.path();
	}

	/**
	 * Stops accepting senders and removes the socket file unless another process replaced it.
	 * Senders still connected are declined from now on, and their exchanges end when they close.
	 * Idempotent; blocks for at most a second.
	 */
	@Override
	public void close() {
		this.receiver.close();
	}

	@Override
	public String toString() {
		return "VConnReceiver[" + path() + "]";
	}

	/** Configures a {@link VConnReceiver}. */
	public static final class Builder {

		private final VConnRuntime runtime;

		private final Path path;

		private Set<Integer> allowedUids = Set.of();

		private Duration timeout = Duration.ofSeconds(10);

		private Builder(VConnRuntime runtime, Path path) {
			this.runtime = Objects.requireNonNull(runtime, "runtime");
			this.path = Objects.requireNonNull(path, "path");
		}

		/**
		 * Trusts senders of these uids as well as this process's own. The socket is mode 0600, so
		 * another uid can only connect once given access to it.
		 * @param uids the uids; empty (the default) trusts this process's uid only
		 * @return this builder
		 */
		public Builder allowedUids(Collection<Integer> uids) {
			this.allowedUids = Set.copyOf(uids);
			return this;
		}

		/**
		 * Bounds each step within a transfer: a sender silent for longer in the middle of one is
		 * given up on. Between two transfers a sender may wait as long as it likes.
		 * @param timeout positive; 10 seconds by default
		 * @return this builder
		 */
		public Builder timeout(Duration timeout) {
			this.timeout = Durations.requirePositive(timeout, "timeout");
			return this;
		}

		/**
		 * Serves the socket at the path and gives what arrives to {@code handler}.
		 * @param handler where received sockets go
		 * @return the running receiver, to close when done
		 * @throws VConnTransferException ({@code io}) if the socket cannot be made there
		 */
		public VConnReceiver start(Handler handler) {
			Objects.requireNonNull(handler, "handler");
			NetVConnFactory factory = NetVConnFactory.of(RuntimeAccess.core(this.runtime));
			try {
				return new VConnReceiver(TransferReceiver.start(this.path, this.allowedUids, this.timeout, factory, handler));
			}
			catch (HandoffException ex) {
				throw new VConnTransferException(ex.getMessage(), ex.reason().tag(), ex);
			}
		}

	}

}
