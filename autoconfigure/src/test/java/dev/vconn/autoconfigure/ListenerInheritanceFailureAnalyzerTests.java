package dev.vconn.autoconfigure;

import dev.vconn.intercept.ListenerInheritance;
import dev.vconn.intercept.ListenerInheritanceException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ApplicationContextException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failure analysis for each way an inherited listening socket can fail start-up; the messages
 * are those {@link dev.vconn.intercept.InterceptListener.Builder#start()} throws (the end-to-end
 * run of {@code required} without a socket is in
 * {@code listener.SocketActivationApplicationTests}).
 */
class ListenerInheritanceFailureAnalyzerTests {

	private static final String VARIABLES = "(LISTEN_PID=4242, LISTEN_FDS=1, LISTEN_FDNAMES=vconn-listener)";

	@Test
	void aDescriptorThatIsNotAListeningSocketIsExplainedWithTheWayOut() {
		FailureAnalysis analysis = analyze(new ListenerInheritanceException(
				"VConn intercept listener cannot serve on the inherited fd 3 (vconn-listener) " + VARIABLES
						+ ": it is a pipe or a file; pass a listening TCP socket, or bind instead (ListenerInheritance.NEVER)",
				ListenerInheritance.AUTO, 3));
		assertThat(analysis.getDescription())
			.startsWith("VConn's intercept listener could not start on an inherited socket (vconn.listener.inherit=auto).")
			.contains("Reason: VConn intercept listener cannot serve on the inherited fd 3");
		assertThat(analysis.getAction()).contains("FileDescriptorName=vconn-listener")
			.contains("set vconn.listener.inherit=never");
	}

	@Test
	void requiredWithoutASocketSaysHowToPassOne() {
		FailureAnalysis analysis = analyze(new ListenerInheritanceException(
				"VConn intercept listener must inherit a listening socket, but LISTEN_PID or LISTEN_FDS is not set",
				ListenerInheritance.REQUIRED, -1));
		assertThat(analysis.getDescription()).contains("(vconn.listener.inherit=required)");
		assertThat(analysis.getAction()).contains("systemd-socket-activate -l <address:port> --fdname=vconn-listener")
			.contains("set vconn.listener.inherit=auto");
	}

	@Test
	void theNioTransportIsNamed() {
		FailureAnalysis analysis = analyze(new ListenerInheritanceException(
				"VConn intercept listener cannot serve on the inherited fd 3 (vconn-listener) " + VARIABLES
						+ ": adopting a listening socket needs the epoll transport, and the runtime uses NIO",
				ListenerInheritance.REQUIRED, 3));
		assertThat(analysis.getAction()).contains("vconn.transport=epoll").contains("vconn.listener.inherit=never");
	}

	private static FailureAnalysis analyze(ListenerInheritanceException exception) {
		FailureAnalysis analysis = new ListenerInheritanceFailureAnalyzer()
			.analyze(new ApplicationContextException("Failed to start bean 'interceptListenerLifecycle'", exception));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getCause()).isSameAs(exception);
		return analysis;
	}

}
