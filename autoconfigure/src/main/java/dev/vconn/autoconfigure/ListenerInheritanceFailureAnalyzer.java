package dev.vconn.autoconfigure;

import java.util.Locale;

import dev.vconn.intercept.ListenerInheritance;
import dev.vconn.intercept.ListenerInheritanceException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@link ListenerInheritanceException}: the intercept listener could not serve on the
 * socket passed by systemd socket activation, and names {@code vconn.listener.inherit}.
 */
class ListenerInheritanceFailureAnalyzer extends AbstractFailureAnalyzer<ListenerInheritanceException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ListenerInheritanceException cause) {
		String inherit = "vconn.listener.inherit=" + cause.getInheritance().name().toLowerCase(Locale.ROOT);
		String description = String.format("VConn's intercept listener could not start on an inherited socket (%s).%n%n"
				+ "    Reason: %s", inherit, cause.getMessage());
		String action;
		if (cause.getFd() < 0 && cause.getInheritance() == ListenerInheritance.REQUIRED) {
			action = "Start the application through systemd socket activation (a .socket unit with "
					+ "FileDescriptorName=vconn-listener, or systemd-socket-activate -l <address:port> "
					+ "--fdname=vconn-listener java -jar ...), or set vconn.listener.inherit=auto to bind "
					+ "vconn.listener.address and vconn.listener.port when no socket is passed.";
		}
		else if (cause.getMessage() != null && cause.getMessage().contains("needs the epoll transport")) {
			action = "Run on Linux with the epoll transport (vconn.transport=epoll or auto, with Netty's native "
					+ "epoll library on the class path), or set vconn.listener.inherit=never to bind "
					+ "vconn.listener.address and vconn.listener.port instead.";
		}
		else {
			action = "Pass a listening TCP socket named vconn-listener (ListenStream= in the .socket unit, with "
					+ "FileDescriptorName=vconn-listener), or set vconn.listener.inherit=never to ignore the passed "
					+ "descriptors and bind vconn.listener.address and vconn.listener.port.";
		}
		return new FailureAnalysis(description, action, cause);
	}

}
