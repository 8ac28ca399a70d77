package dev.vconn.transaction;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.vconn.intercept.TransactionPath;
import dev.vconn.testing.CountingListener.Completed;
import dev.vconn.testing.HttpWire;
import dev.vconn.testing.HttpWire.Message;
import dev.vconn.testing.OnEachTransport;
import dev.vconn.testing.Responses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The issue's "done when": one {@code curl --next} run sends a keep-alive sequence through the
 * listener that mixes server-intercepted and passed-through transactions (GET, POST with a
 * Content-Length body, POST with a chunked body, HEAD, large POSTs that curl sends with
 * {@code Expect: 100-continue}) on one connection, and every response is right.
 */
@OnEachTransport
class CurlKeepAliveTests extends TransactionTestSupport {

	private static final Path CURL = Path.of("/usr/bin/curl");

	@TempDir
	Path dir;

	/** One transfer of the curl run. */
	private record Transfer(String method, String target, List<String> options, byte[] upload) {
	}

	@BeforeEach
	void needsCurl() {
		assumeTrue(Files.isExecutable(CURL), "needs " + CURL);
	}

	@Test
	void curlNextSequenceMixesServerInterceptsAndPassThroughOnOneConnection() throws Exception {
		byte[] small = HttpWire.body("curl small", 3000);
		byte[] chunked = HttpWire.body("curl chunked", 50_000);
		byte[] big = HttpWire.body("curl big", 2 << 20);
		List<Transfer> transfers = List.of(
				new Transfer("GET", "/si/cl/100/0", List.of(), new byte[0]),
				new Transfer("GET", "/pt/chunked/70000/1", List.of(), new byte[0]),
				new Transfer("POST", "/si/chunked/1000/2", List.of(), small),
				new Transfer("POST", "/pt/cl/500/3", List.of("-H", "Transfer-Encoding: chunked"), chunked),
				new Transfer("HEAD", "/si/cl/5000/4", List.of("-I"), new byte[0]),
				new Transfer("POST", "/si/cl/10/5", List.of(), big),
				new Transfer("POST", "/pt/cl/10/6", List.of(), big),
				new Transfer("GET", "/pt/cl/10/7", List.of(), new byte[0]),
				new Transfer("POST", "/si/chunked/10/8", List.of("-H", "Transfer-Encoding: chunked"), chunked),
				new Transfer("GET", "/si/cl/1/9", List.of(), new byte[0]));
		List<String> command = new ArrayList<>(List.of(CURL.toString(), "-sS"));
		String base = "http://127.0.0.1:" + this.proxy.address().getPort();
		for (int i = 0; i < transfers.size(); i++) {
			Transfer transfer = transfers.get(i);
			if (i > 0) {
				command.add("--next");
			}
			command.addAll(List.of("--http1.1", "--max-time", "30", "-w", "%{http_code} %{num_connects} %{size_download}\\n",
					"-o", this.dir.resolve("out" + i).toString()));
			command.addAll(transfer.options());
			if (transfer.upload().length > 0) {
				Path upload = this.dir.resolve("up" + i);
				Files.write(upload, transfer.upload());
				command.addAll(List.of("--data-binary", "@" + upload));
			}
			command.add(base + transfer.target());
		}
		Process curl = new ProcessBuilder(command).redirectError(this.dir.resolve("stderr").toFile()).start();
		String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
		assertThat(curl.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(curl.exitValue()).as("curl exit code, stderr: %s", Files.readString(this.dir.resolve("stderr")))
			.isZero();
		String[] lines = out.split("\n");
		assertThat(lines).hasSize(transfers.size());
		for (int i = 0; i < transfers.size(); i++) {
			Transfer transfer = transfers.get(i);
			String[] fields = lines[i].split(" ");
			assertThat(fields[0]).as("status of %s", transfer).isEqualTo("200");
			assertThat(fields[1]).as("new connections for %s", transfer).isEqualTo(i == 0 ? "1" : "0");
			byte[] received = Files.readAllBytes(this.dir.resolve("out" + i));
			if (transfer.method().equals("HEAD")) {
				assertThat(fields[2]).as("HEAD body").isEqualTo("0");
				assertThat(new String(received, StandardCharsets.ISO_8859_1)).contains("Content-Length: 5000");
			}
			else {
				assertThat(received).as("body of %s", transfer).isEqualTo(Responses.expectedBody(transfer.target()));
			}
		}
		assertThat(seenTargets()).as("each transfer ran the hooks")
			.containsExactlyElementsOf(transfers.stream().map(Transfer::target).toList());
		assertThat(this.seen).extracting(Seen::client).as("one client connection").containsOnly(this.seen.get(0).client());
		for (Transfer transfer : transfers) {
			if (transfer.upload().length == 0) {
				continue;
			}
			Message request = transfer.target().startsWith("/si")
					? this.intercepts.stream().filter((i) -> i.target().equals(transfer.target())).findFirst()
						.orElseThrow().request().join()
					: this.origin.requests().stream().filter((r) -> r.target().equals(transfer.target())).findFirst()
						.orElseThrow();
			assertThat(request.body()).as("request body of %s", transfer).isEqualTo(transfer.upload());
		}
		assertThat(this.origin.requests().stream().filter((r) -> r.target().equals("/pt/cl/10/6")).findFirst()
			.orElseThrow().header("Expect")).as("curl waited for 100 Continue for the large upload")
			.hasValue("100-continue");
		List<Completed> expected = transfers.stream()
			.map((t) -> new Completed(t.target().startsWith("/si") ? TransactionPath.SERVER_INTERCEPTED
					: TransactionPath.PASS_THROUGH, 200))
			.toList();
		eventually().untilAsserted(() -> assertThat(this.listener.completed()).isEqualTo(expected));
		assertThat(this.origin.accepted()).as("origin connections").isEqualTo(1);
	}

}
