package dev.vconn.autoconfigure;

import dev.vconn.Transport;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;

class TransportUnavailableFailureAnalyzerTests {

	@Test
	void analysisExplainsReasonAndNamesTheProperty() {
		TransportUnavailableException exception = new TransportUnavailableException(Transport.EPOLL,
				new IllegalStateException("epoll is not available: no native library"));
		FailureAnalysis analysis = new TransportUnavailableFailureAnalyzer()
			.analyze(new BeanCreationException("vconnRuntime", "failed", exception));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains("'epoll' transport")
			.contains("vconn.transport=epoll")
			.contains("Reason: epoll is not available: no native library");
		assertThat(analysis.getAction()).contains("vconn.transport=auto").contains("vconn.transport=nio");
		assertThat(analysis.getCause()).isSameAs(exception);
	}

	@Test
	void exceptionMessageNamesTransportAndCause() {
		TransportUnavailableException exception = new TransportUnavailableException(Transport.EPOLL,
				new IllegalStateException("missing"));
		assertThat(exception).hasMessage("VConn transport 'epoll' is not available: missing");
		assertThat(exception.getTransport()).isEqualTo(Transport.EPOLL);
	}

}
