package dev.vconn.autoconfigure;

import java.net.InetSocketAddress;

/**
 * Thrown at start-up when the intercept listener cannot bind {@code vconn.listener.address} and
 * {@code vconn.listener.port}: the port is in use, or the address is not one of this machine's.
 *
 * @since 0.1.0
 */
public class InterceptListenerBindException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** The address that could not be bound (part of the serialized form). */
	private final InetSocketAddress address;

	/** Whether the port was in use (part of the serialized form). */
	private final boolean portInUse;

	/**
	 * Creates an exception.
	 * @param address the address that could not be bound
	 * @param portInUse whether the port is in use
	 * @param cause the bind failure
	 */
	public InterceptListenerBindException(InetSocketAddress address, boolean portInUse, Throwable cause) {
		super("VConn intercept listener could not bind " + InterceptListenerLifecycle.hostAndPort(address) + ": "
				+ cause.getMessage(), cause);
		this.address = address;
		this.portInUse = portInUse;
	}

	/**
	 * The address that could not be bound.
	 * @return the address and port
	 */
	public InetSocketAddress getAddress() {
		return this.address;
	}

	/**
	 * Whether the port is in use by another socket.
	 * @return {@code true} for EADDRINUSE
	 */
	public boolean isPortInUse() {
		return this.portInUse;
	}

}
