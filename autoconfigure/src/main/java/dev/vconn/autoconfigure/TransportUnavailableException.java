package dev.vconn.autoconfigure;

import dev.vconn.Transport;

/**
 * Thrown at start-up when {@code vconn.transport} asks for a transport that this machine cannot
 * provide, such as {@code epoll} off Linux or without the native library.
 *
 * @since 0.1.0
 */
public class TransportUnavailableException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** The transport that was asked for (part of the serialized form). */
	private final Transport transport;

	/**
	 * Creates an exception.
	 * @param transport the transport that was asked for
	 * @param cause why the runtime could not use it
	 */
	public TransportUnavailableException(Transport transport, Throwable cause) {
		super("VConn transport '" + transport.name().toLowerCase(java.util.Locale.ROOT) + "' is not available: "
				+ cause.getMessage(), cause);
		this.transport = transport;
	}

	/**
	 * The transport that was asked for.
	 * @return the transport
	 */
	public Transport getTransport() {
		return this.transport;
	}

}
