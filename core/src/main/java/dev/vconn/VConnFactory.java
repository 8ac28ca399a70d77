package dev.vconn;

import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * Turns sockets into {@link VConn}s: adopts already-connected descriptors and channels, and opens
 * new connections. Obtained from {@link VConnRuntime#factory()}; the VConns it makes live on that
 * runtime's event threads.
 *
 * <p><b>The adoption contract</b> (stricter than Traffic Server's {@code TSVConnFdCreate}):
 * every check that can fail runs, and a connection slot is reserved, before the socket is
 * touched. Only then is it made non-blocking and registered with an event loop; if that still
 * fails, its original flags and options are restored. So on <em>any</em> failure the socket is
 * exactly as it was: open, same file status flags (still blocking if it was), same options,
 * nothing read or written, registered nowhere, and the caller must close it. On success the VConn
 * owns the socket, and exactly one close of it happens, when the VConn ends.
 *
 * <p><b>Threads:</b> every method is safe to call from any thread, including an event thread and
 * a continuation. Adoption is synchronous and never waits for the network. Called on one of the
 * runtime's event threads, {@link #fdCreate(int)}, {@link #adopt(int)} and
 * {@link #connect(SocketAddress)} put the new VConn on that thread (a JDK channel goes to a NIO
 * thread when the runtime runs epoll); to put it beside an existing VConn, call them from a task
 * of that VConn's {@link VConn#eventThread()}.
 *
 * <p><b>Errors:</b> expected failures are results ({@code null}, a failed {@link Adoption}, a
 * failed future) and are reported to the runtime's {@link VConnListener}s; only programming errors
 * (a {@code null} argument) throw.
 *
 * @since 0.1.0
 */
public interface VConnFactory {

	/**
	 * Adopts an already-connected stream socket (AF_INET, AF_INET6 or AF_UNIX) given by its file
	 * descriptor: the port of {@code TSVConnFdCreate}.
	 * <p>Needs the epoll transport (Linux); elsewhere it fails with
	 * {@link AdoptionFailureReason#UNSUPPORTED}.
	 * @param fd the descriptor; on success the VConn owns it and {@link VConn#fd()} returns it
	 * @return the new VConn, or {@code null} on any failure, with the descriptor unchanged and
	 * still the caller's
	 * @see #adopt(int)
	 */
	default @Nullable VConn fdCreate(int fd) {
		return adopt(fd).vconn();
	}

	/**
	 * Like {@link #fdCreate(int)}, but says why it failed.
	 * @param fd the descriptor
	 * @return success with the VConn, or failure with a reason; never {@code null}
	 */
	Adoption adopt(int fd);

	/**
	 * Adopts a connected JDK socket channel, blocking or not. Works under plain {@code java -jar}
	 * without {@code --add-opens}: such VConns are driven by a NIO event loop of the runtime
	 * (alongside epoll ones when the runtime uses epoll) and have no {@link VConn#fd()}.
	 * @param channel the channel; on success the VConn owns it and closes it when it ends
	 * @return the new VConn, or {@code null} on any failure, with the channel unchanged (same
	 * blocking mode) and still the caller's
	 */
	default @Nullable VConn fdCreate(SocketChannel channel) {
		return adopt(channel).vconn();
	}

	/**
	 * Like {@link #fdCreate(SocketChannel)}, but says why it failed.
	 * @param channel the channel
	 * @return success with the VConn, or failure with a reason; never {@code null}
	 */
	Adoption adopt(SocketChannel channel);

	/**
	 * Opens a connection without blocking (the counterpart of {@code TSNetConnect}).
	 * @param remote a resolved address ({@link java.net.InetSocketAddress} or, on epoll, a
	 * Unix domain socket address)
	 * @return a future completed on the new VConn's event thread with the VConn, or exceptionally
	 * with an {@link AdoptionException} ({@link AdoptionFailureReason#CONNECT_FAILED},
	 * {@link AdoptionFailureReason#LIMIT_REACHED}, {@link AdoptionFailureReason#SHUTTING_DOWN}...)
	 */
	CompletableFuture<VConn> connect(SocketAddress remote);

	/**
	 * Opens a connection and reports the result to a continuation, as Traffic Server does:
	 * {@link VConnEvent#NET_CONNECT} with the VConn, or {@link VConnEvent#NET_CONNECT_FAILED} with
	 * the {@link AdoptionException}; delivered holding the continuation's mutex.
	 * @param remote a resolved address
	 * @param cont receives exactly one of the two events
	 */
	void connect(SocketAddress remote, Continuation cont);

}
