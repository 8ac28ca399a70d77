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
 * <p>Each request on a keep-alive connection is its own transaction; hooks see them in order.
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
	 * Sets a request header, replacing every value it had. Changes apply to the request as
	 * forwarded to the origin or written to a server intercept; a connection intercept receives the
	 * client's bytes unchanged.
	 * @param name the header name
	 * @param value the value
	 * @return this transaction
	 */
	Transaction setHeader(String name, String value);

	/**
	 * Adds a value to a request header. See {@link #setHeader} for where changes apply.
	 * @param name the header name
	 * @param value the value
	 * @return this transaction
	 */
	Transaction addHeader(String name, String value);

	/**
	 * Removes every value of a request header. See {@link #setHeader} for where changes apply.
	 * @param name the header name, case-insensitive
	 * @return this transaction
	 */
	Transaction removeHeader(String name);

	/**
	 * Serves this one transaction (Traffic Server's {@code TSHttpTxnServerIntercept}): the
	 * continuation acts as the origin server, while the listener keeps the client connection.
	 * <p>Once the hooks have run, {@code cont} receives exactly one event, holding its mutex:
	 * {@link dev.vconn.VConnEvent#NET_ACCEPT} with its end of an in-memory {@link dev.vconn.VConnPair}
	 * (the passive end), or {@link dev.vconn.VConnEvent#NET_ACCEPT_FAILED} with {@code null} if the
	 * transaction ended before the intercept was needed (the client left, or the runtime is
	 * shutting down).
	 * <p>The continuation reads the request from its VConn (head and body, re-serialised with the
	 * header changes made by hooks, framed as the client framed it) and writes an HTTP/1.1 response:
	 * a status line, headers, and a body framed by {@code Content-Length}, chunked encoding, or the
	 * end of its stream (close). The listener relays the response to the client, then closes its end
	 * of the pair, so the continuation's read sees end of stream; a malformed response gets the
	 * client a 502 and aborts the continuation's VConn. The next request on the client connection
	 * is a new transaction that runs the hooks again.
	 * <p><b>Ownership:</b> after {@code NET_ACCEPT} the continuation owns its VConn and must close or
	 * abort it.
	 * @param cont the continuation that serves the transaction
	 * @throws IllegalStateException if another hook already claimed this transaction, or the hooks
	 * have finished running
	 */
	void serverIntercept(Continuation cont);

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
