package dev.vconn.demo.intercept;

/**
 * How the intercept moves bytes between the client and the origin ({@code demo.intercept.style}).
 */
public enum Style {

	/** Four VIOs and the seed plugin's READ_READY / WRITE_READY / EOS / ERROR handling. */
	VIO,

	/** {@code VConnFactory.connect} then {@code Tunnel.start}. */
	TUNNEL

}
