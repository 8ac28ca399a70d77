package dev.vconn.autoconfigure;

import java.net.InetSocketAddress;

import org.jspecify.annotations.Nullable;

/**
 * Where the application's own web server listens, as the intercept listener's default origin.
 * Free of web server types, so the listener's configuration loads without them.
 */
interface WebServerOrigin {

	/**
	 * The web server's address.
	 * @return the address, or {@code null} while no web server has started
	 */
	@Nullable InetSocketAddress get();

}
