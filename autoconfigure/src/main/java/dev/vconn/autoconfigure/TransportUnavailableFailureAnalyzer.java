package dev.vconn.autoconfigure;

import java.util.Locale;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@link TransportUnavailableException} and names the property to change.
 */
class TransportUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<TransportUnavailableException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, TransportUnavailableException cause) {
		String transport = cause.getTransport().name().toLowerCase(Locale.ROOT);
		Throwable reason = (cause.getCause() != null) ? cause.getCause() : cause;
		String description = String.format("VConn could not start its '%s' transport (vconn.transport=%s).%n%n"
				+ "    Reason: %s%n%nThe epoll transport needs Linux and the netty-transport-native-epoll library "
				+ "for this CPU (linux-x86_64 or linux-aarch_64) on the classpath.", transport, transport,
				reason.getMessage());
		String action = String.format("Set vconn.transport=auto to fall back to NIO where epoll is not available "
				+ "(or vconn.transport=nio), or add io.netty:netty-transport-native-epoll with the classifier of "
				+ "this platform. Note that raw file descriptors (VConnFactory.fdCreate(int)) can only be "
				+ "adopted on epoll; JDK SocketChannels work on every transport.");
		return new FailureAnalysis(description, action, cause);
	}

}
