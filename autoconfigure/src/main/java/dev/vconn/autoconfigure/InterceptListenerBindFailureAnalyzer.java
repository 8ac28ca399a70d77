package dev.vconn.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains an {@link InterceptListenerBindException} and names the property to change.
 */
class InterceptListenerBindFailureAnalyzer extends AbstractFailureAnalyzer<InterceptListenerBindException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InterceptListenerBindException cause) {
		String address = InterceptListenerLifecycle.hostAndPort(cause.getAddress());
		int port = cause.getAddress().getPort();
		Throwable reason = (cause.getCause() != null) ? cause.getCause() : cause;
		if (cause.isPortInUse()) {
			String description = String.format(
					"VConn's intercept listener could not start: port %d is already in use (vconn.listener.port=%d, "
							+ "vconn.listener.address=%s).",
					port, port, cause.getAddress().getAddress().getHostAddress());
			String action = String.format("Identify and stop the process that is listening on %s, or set "
					+ "vconn.listener.port to a free port (0 picks one at start-up; the InterceptListenerLifecycle "
					+ "bean tells which). To run without the listener, set vconn.listener.enabled=false.", address);
			return new FailureAnalysis(description, action, cause);
		}
		String description = String.format(
				"VConn's intercept listener could not bind %s (vconn.listener.address, vconn.listener.port).%n%n"
						+ "    Reason: %s",
				address, reason.getMessage());
		String action = "Set vconn.listener.address to an address of this machine (the default is 127.0.0.1; "
				+ "0.0.0.0 listens on every IPv4 interface) and vconn.listener.port to a port this process may bind.";
		return new FailureAnalysis(description, action, cause);
	}

}
