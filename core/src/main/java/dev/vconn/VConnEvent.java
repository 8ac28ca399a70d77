package dev.vconn;

/**
 * The events a {@link Continuation} receives, with the codes Traffic Server gives them.
 *
 * <p>For I/O events the {@code data} argument of {@link Continuation#handleEvent} is the
 * {@link VIO} concerned; for {@link #NET_ACCEPT} and {@link #NET_CONNECT} it is the new
 * {@link VConn}; for {@link #NET_ACCEPT_FAILED} it is {@code null}; for {@link #NET_CONNECT_FAILED}
 * it is the {@link Throwable} that made the connect fail.
 */
public enum VConnEvent {

	/** Error on a read or write: the peer reset the connection or the socket failed. Data: the VIO. */
	ERROR(3),

	/** At least one byte was added to the read VIO's buffer and the read is not complete. Data: the VIO. */
	VCONN_READ_READY(100),

	/** The write VIO wants more data, or made progress and is not complete. Data: the VIO. */
	VCONN_WRITE_READY(101),

	/** The read VIO reached {@code nbytes}; reading stops. Never fires for {@link Long#MAX_VALUE}. */
	VCONN_READ_COMPLETE(102),

	/** The write VIO reached {@code nbytes}: every byte was handed to the kernel. Never fires for {@link Long#MAX_VALUE}. */
	VCONN_WRITE_COMPLETE(103),

	/** The peer finished sending (FIN). Bytes already in the read buffer stay readable. Data: the VIO. */
	VCONN_EOS(104),

	/** No bytes moved in either direction for the inactivity period. Data: the VIO, or the VConn if no VIO is set. */
	VCONN_INACTIVITY_TIMEOUT(105),

	/** The active period elapsed, whatever the traffic. Data: the VIO, or the VConn if no VIO is set. */
	VCONN_ACTIVE_TIMEOUT(106),

	/** An outgoing connection is established. Data: the new {@link VConn}. */
	NET_CONNECT(200),

	/** An outgoing connection failed. Data: the {@link Throwable} cause. */
	NET_CONNECT_FAILED(201),

	/** An intercepted connection is handed over. Data: the plugin-side {@link VConn}. */
	NET_ACCEPT(202),

	/** An intercept ended before its connection was handed over. Data: {@code null}. */
	NET_ACCEPT_FAILED(204);

	private final int code;

	VConnEvent(int code) {
		this.code = code;
	}

	/**
	 * The numeric code Traffic Server uses for this event ({@code TS_EVENT_*}).
	 * @return the event code
	 */
	public int code() {
		return this.code;
	}

}
