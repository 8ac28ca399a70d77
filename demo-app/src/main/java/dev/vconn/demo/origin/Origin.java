package dev.vconn.demo.origin;

import java.net.InetSocketAddress;

/**
 * The origin server the intercept example connects to: the embedded one, or an external server.
 */
public interface Origin {

	/**
	 * Where the origin listens now.
	 * @return a resolved address
	 */
	InetSocketAddress address();

	/**
	 * Parses {@code host:port} ({@code [v6-address]:port} for IPv6) and resolves the host.
	 * @param text the address
	 * @return the resolved address
	 * @throws IllegalArgumentException if the text is not {@code host:port} or the host does not
	 * resolve
	 */
	static InetSocketAddress parse(String text) {
		int colon = text.lastIndexOf(':');
		if (colon <= 0 || colon == text.length() - 1) {
			throw new IllegalArgumentException("expected host:port, was '" + text + "'");
		}
		String host = text.substring(0, colon);
		if (host.startsWith("[") && host.endsWith("]")) {
			host = host.substring(1, host.length() - 1);
		}
		int port;
		try {
			port = Integer.parseInt(text.substring(colon + 1));
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("expected host:port, was '" + text + "'", ex);
		}
		InetSocketAddress address = new InetSocketAddress(host, port);
		if (address.isUnresolved()) {
			throw new IllegalArgumentException("cannot resolve '" + host + "'");
		}
		return address;
	}

}
