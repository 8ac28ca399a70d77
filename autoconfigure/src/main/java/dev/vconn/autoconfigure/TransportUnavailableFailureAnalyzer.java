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
		String grant = isNativeAccessDenied(reason) ? "Native access is denied to the class path: start the JVM with "
				+ "--enable-native-access=ALL-UNNAMED, or add 'Enable-Native-Access: ALL-UNNAMED' to the manifest of "
				+ "the executable jar. Otherwise, s" : "S";
		String action = String.format(grant + "et vconn.transport=auto to fall back to NIO where epoll is not available "
				+ "(or vconn.transport=nio), or add io.netty:netty-transport-native-epoll with the classifier of "
				+ "this platform. Note that raw file descriptors (VConnFactory.fdCreate(int)) can only be "
				+ "adopted on epoll; JDK SocketChannels work on every transport.");
		return new FailureAnalysis(description, action, cause);
	}

	/** Whether the JDK refused a restricted method (JDK 24+ denying native access), as Netty reports it. */
	private static boolean isNativeAccessDenied(Throwable failure) {
		for (Throwable t = failure; t != null; t = (t.getCause() != t) ? t.getCause() : null) {
			if (t instanceof IllegalCallerException) {
				return true;
			}
			for (Throwable suppressed : t.getSuppressed()) {
				if (isNativeAccessDenied(suppressed)) {
					return true;
				}
			}
		}
		return false;
	}

}
