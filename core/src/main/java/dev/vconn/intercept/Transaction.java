package dev.vconn.intercept;

import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.vconn.Continuation;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP transaction seen by an {@link InterceptListener}: the request head the client sent,
 * read with Netty's HTTP/1.1 parser, offered to each {@link InterceptHook} in turn.
 *
 * <p><b>Threads:</b> a transaction is handed to hooks on the client connection's event thread and
 * is valid only while they run; it is not thread-safe.
 *
 * @since 0.1.0
 */
public interface Transaction {

	/**
	 * A process-unique identifier of this transaction.
	 * @return the id
	 */
	long id();

	/**
	 * The client's address.
	 * @return the remote address of the client connection
	 */
	@Nullable SocketAddress clientAddress();

	/**
	 * The address the client connected to.
	 * @return the listener's local address for this connection
	 */
	@Nullable SocketAddress localAddress();

	/**
	 * The request method, as sent ({@code GET}, {@code POST}...).
	 * @return the method
	 */
	String method();

	/**
	 * The request target, as sent ({@code /path?query}, or an absolute URI).
	 * @return the target
	 */
	String target();

	/**
	 * The protocol version, as sent ({@code HTTP/1.1} or {@code HTTP/1.0}).
	 * @return the version
	 */
	String version();

	/**
	 * The names of the request headers, in the order first seen.
	 * @return the header names as sent
	 */
	Set<String> headerNames();

	/**
	 * Every value of a request header.
	 * @param name the header name, case-insensitive
	 * @return the values in order, empty if absent
	 */
	List<String> headers(String name);

	/**
	 * The first value of a request header.
	 * @param name the header name, case-insensitive
	 * @return the value, or empty if absent
	 */
	default Optional<String> header(String name) {
		List<String> values = headers(name);
		return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
	}

	/**
	 * Takes the client connection over (Traffic Server's {@code TSHttpTxnIntercept}). Once the
	 * hooks have run, {@code cont} receives exactly one event, holding its mutex:
	 * {@link dev.vconn.VConnEvent#NET_ACCEPT} with the client's {@link dev.vconn.VConn}, whose first
	 * read delivers the request from its first byte (the head already read is replayed unchanged,
	 * followed by whatever came after it); or {@link dev.vconn.VConnEvent#NET_ACCEPT_FAILED} with
	 * {@code null} if the client left or the runtime is shutting down before the hand-over.
	 * <p><b>Ownership:</b> after {@code NET_ACCEPT} the continuation owns the connection until it
	 * closes or aborts it; no later request on it is offered to the hooks.
	 * @param cont the continuation that takes the connection
	 * @throws IllegalStateException if another hook already claimed this transaction, or the hooks
	 * have finished running
	 */
	void intercept(Continuation cont);

	/**
	 * The hook that claimed this transaction.
	 * @return the hook's {@link InterceptHook#name()}, or {@code null} while unclaimed
	 */
	@Nullable String claimedBy();

}
