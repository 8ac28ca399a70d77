package dev.vconn.transaction;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.Responses;
import dev.vconn.testing.TransportMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No descriptor leaks: 500 keep-alive client connections (100 on NIO), each with a sequence of
 * server-intercepted and passed-through requests, leave {@code /proc/self/fd} as it was. A warm-up
 * of the same work first puts what is opened once and kept (event loops, pooled origin
 * connections, class files) in the baseline.
 */
@OnEachTransport
@EnabledOnOs(OS.LINUX)
@Timeout(180)
class TransactionFdLeakTests extends TransactionTestSupport {

	@Test
	void keepAliveSequencesLeaveNoDescriptorBehind() throws IOException {
		// NIO: 100 sequences, which keeps its run short and still shows a descriptor lost per connection
		int sequences = (this.transport == TransportMode.NIO) ? 100 : 500;
		runSequences(20);
		awaitQuiet();
		long before = openDescriptors();
		int adoptionsBefore = this.listener.adoptions();
		runSequences(sequences);
		awaitQuiet();
		eventually().untilAsserted(() -> assertThat(openDescriptors()).as("open descriptors, %s before", before)
			.isLessThanOrEqualTo(before));
		assertThat(this.listener.adoptions() - adoptionsBefore).as("pair ends created, two per server intercept")
			.isEqualTo(sequences * 2 * 2);
		assertThat(this.origin.accepted()).as("origin connections, pooled").isLessThanOrEqualTo(2 * this.runtime.eventThreads());
	}

	private void runSequences(int count) throws IOException {
		for (int i = 0; i < count; i++) {
			try (RawClient client = new RawClient(this.proxy.address())) {
				check(client.exchange(HttpWire.get("/pt/cl/100/" + i), "GET"), "/pt/cl/100/" + i);
				check(client.exchange(HttpWire.request("POST", "/si/chunked/200/" + i, "", HttpWire.body("a", 3000),
						Framing.CHUNKED), "POST"), "/si/chunked/200/" + i);
				check(client.exchange(HttpWire.request("POST", "/pt/chunked/50/" + i, "", HttpWire.body("b", 1000),
						Framing.LENGTH), "POST"), "/pt/chunked/50/" + i);
				check(client.exchange(HttpWire.get("/si/cl/10/" + i), "GET"), "/si/cl/10/" + i);
			}
		}
		this.intercepts.clear();
		this.seen.clear();
	}

	private static void check(Message response, String target) {
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(Responses.expectedBody(target));
	}

	private void awaitQuiet() {
		eventually().untilAsserted(() -> assertThat(this.runtime.activeCount()).isZero());
		eventually().untilAsserted(() -> assertThat(this.listener.adoptions())
			.isEqualTo(this.listener.closes() + this.runtime.activeCount()));
	}

	private static long openDescriptors() throws IOException {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.count();
		}
	}

}
