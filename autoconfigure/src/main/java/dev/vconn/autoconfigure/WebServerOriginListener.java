package dev.vconn.autoconfigure;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Records the port of the application's own web server when it has started, for the intercept
 * listener's default origin. Servers of other contexts (a management server on its own port) are
 * ignored. The host is 127.0.0.1, or {@code server.address} when that is a specific address.
 */
final class WebServerOriginListener implements ApplicationListener<WebServerInitializedEvent>, WebServerOrigin {

	private static final InetAddress LOOPBACK = loopback();

	private final ApplicationContext context;

	private final Environment environment;

	private volatile @Nullable InetSocketAddress origin;

	WebServerOriginListener(ApplicationContext context, Environment environment) {
		this.context = context;
		this.environment = environment;
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		if (event.getApplicationContext() != this.context) {
			return;
		}
		int port = event.getWebServer().getPort();
		this.origin = (port > 0) ? new InetSocketAddress(host(), port) : null;
	}

	@Override
	public @Nullable InetSocketAddress get() {
		return this.origin;
	}

	private InetAddress host() {
		String address = this.environment.getProperty("server.address");
		if (StringUtils.hasText(address)) {
			try {
				InetAddress bound = InetAddress.getByName(address.trim());
				if (!bound.isAnyLocalAddress()) {
					return bound;
				}
			}
			catch (UnknownHostException ex) {
				// the web server could not have bound it either; fall back to loopback
			}
		}
		return LOOPBACK;
	}

	private static InetAddress loopback() {
		try {
			return InetAddress.getByAddress("localhost", new byte[] { 127, 0, 0, 1 });
		}
		catch (UnknownHostException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
