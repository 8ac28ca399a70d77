package dev.vconn.transaction;

import dev.vconn.testing.HttpWire;
import dev.vconn.testing.RawClient;
import dev.vconn.testing.TestOrigin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vconn.VConnRuntime;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptHookRegistry;
import dev.vconn.intercept.InterceptListener;
import dev.vconn.intercept.Transaction;
import dev.vconn.testing.HttpWire.Framing;
import dev.vconn.testing.HttpWire.Message;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Property-based hostile heads against the per-transaction listener in front of a recording origin.
 * Every try is one client connection carrying several pipelined requests.
 *
 * <ul>
 * <li>Generated sequences: valid requests (random methods, targets, headers of up to a few KB, bodies
 * framed by length or chunked) with at most one hostile request among them, built by one of the
 * smuggling and malformation classes the listener refuses. The valid requests before the hostile one
 * are served and reach the origin byte for byte (method, target, headers, body); the hostile one
 * gets its documented status with {@code Connection: close}; nothing after it is served, and the
 * request hidden in its body never reaches a hook or the origin.</li>
 * <li>Mutated heads: a valid request whose head had random bytes inserted, replaced or deleted
 * (CR, LF, SP, HTAB, NUL, DEL, obs-text, separators, digits, letters), followed by a second request.
 * Whatever the listener made of it, the origin parses exactly the requests the listener accepted
 * (same methods, targets and header names, in order), and never reads bytes that are not a
 * well-formed request.</li>
 * </ul>
 *
 * <p>The default run is short ({@code jqwik.tries.default} in {@code junit-platform.properties});
 * {@code -Djqwik.tries.default=5000} runs a heavier one.
 */
class HostileHeadTests {

	private static final int MAX_HEADER_SIZE = 8 * 1024;

	private static final int MAX_REQUEST_LINE = 4 * 1024;

	private static final String HIDDEN = "GET /pt/cl/1/smuggled HTTP/1.1\r\nHost: origin.test\r\n\r\n";

	/** What the hook saw of a transaction. */
	record Seen(String method, String target, List<String> headerNames) {
	}

	private final List<Seen> seen = new CopyOnWriteArrayList<>();

	private VConnRuntime runtime;

	private TestOrigin origin;

	private InterceptListener proxy;

	@BeforeProperty
	void start() throws IOException {
		this.origin = new TestOrigin();
		this.runtime = VConnRuntime.builder().eventThreads(2).shutdownTimeout(Duration.ofSeconds(10)).build();
		InterceptHookRegistry hooks = new InterceptHookRegistry();
		hooks.register(new InterceptHook() {
			@Override
			public String name() {
				return "recorder";
			}

			@Override
			public void onTransaction(Transaction txn) {
				HostileHeadTests.this.seen
					.add(new Seen(txn.method(), txn.target(), List.copyOf(txn.headerNames())));
			}
		});
		this.proxy = InterceptListener.builder(this.runtime, hooks)
			.port(0)
			.origin(this.origin.address())
			.maxHeaderSize(MAX_HEADER_SIZE)
			.maxRequestLine(MAX_REQUEST_LINE)
			.headerTimeout(Duration.ofSeconds(5))
			.start();
	}

	@AfterProperty
	void stop() throws InterruptedException {
		this.proxy.close();
		await().atMost(Duration.ofSeconds(20)).until(() -> this.runtime.activeCount() == 0);
		assertThat(this.runtime.close(Duration.ofSeconds(10))).as("VConns aborted at close").isZero();
		this.origin.close();
		assertThat(this.origin.malformed()).as("origin connections that read bytes that are not a request").isZero();
	}

	// ---- generated sequences ----

	@Property
	void requestsAreServedUntilTheFirstHostileOneAndNothingOfItIsForwarded(
			@ForAll("valid") List<Request> before, @ForAll("hostile") Hostile hostile,
			@ForAll("valid") List<Request> after) throws IOException {
		int originBefore = this.origin.received().size();
		int seenBefore = this.seen.size();
		ByteArrayOutputStream wire = new ByteArrayOutputStream();
		before.forEach((request) -> wire.writeBytes(request.bytes()));
		wire.writeBytes(hostile.bytes());
		after.forEach((request) -> wire.writeBytes(request.bytes()));
		try (RawClient client = new RawClient(this.proxy.address())) {
			client.send(wire.toByteArray());
			for (Request request : before) {
				Message response = client.read(request.method());
				assertThat(response.status()).as("response to %s", request).isEqualTo(200);
				assertThat(response.header("X-Target")).hasValue(request.target());
				assertThat(response.header("X-Request-Body-Length")).hasValue(String.valueOf(request.body().length));
			}
			Message refused = client.read(hostile.method());
			assertThat(refused.status()).as("status of %s", hostile.name()).isEqualTo(hostile.status());
			assertThat(refused.connectionTokens()).containsExactly("close");
			assertThat(client.isClosedByPeer()).isTrue();
		}
		List<Message> forwarded = this.origin.requests().subList(originBefore, this.origin.requests().size());
		assertThat(forwarded).hasSameSizeAs(before);
		for (int i = 0; i < before.size(); i++) {
			Request sent = before.get(i);
			Message got = forwarded.get(i);
			assertThat(got.method()).isEqualTo(sent.method());
			assertThat(got.target()).isEqualTo(sent.target());
			assertThat(got.body()).isEqualTo(sent.body());
			for (HttpWire.Header header : sent.headers()) {
				assertThat(got.headers(header.name())).as("header %s", header.name()).containsExactly(header.value());
			}
		}
		assertThat(this.seen.subList(seenBefore, this.seen.size())).extracting(Seen::target)
			.containsExactlyElementsOf(before.stream().map(Request::target).toList());
	}

	// ---- mutated heads ----

	@Property
	void originParsesExactlyTheRequestsTheListenerAccepted(@ForAll("validOne") Request first,
			@ForAll("mutations") List<Mutation> mutations, @ForAll("validOne") Request second) throws IOException {
		int originBefore = this.origin.received().size();
		int seenBefore = this.seen.size();
		byte[] mutated = first.mutatedBytes(mutations);
		try (RawClient client = new RawClient(this.proxy.address())) {
			client.send(HttpWire.concat(mutated, second.bytes()));
			client.shutdownOutput();
			try {
				while (client.in().read() >= 0) {
					// every response, until the listener closes
				}
			}
			catch (SocketException ex) {
				// a reset: the listener gave up on the connection
			}
		}
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).untilAsserted(() -> assertThat(
				this.origin.requests().size() - originBefore).isEqualTo(this.seen.size() - seenBefore));
		List<Message> forwarded = this.origin.requests().subList(originBefore, this.origin.requests().size());
		List<Seen> accepted = this.seen.subList(seenBefore, this.seen.size());
		for (int i = 0; i < forwarded.size(); i++) {
			Message got = forwarded.get(i);
			Seen listener = accepted.get(i);
			assertThat(got.method()).isEqualTo(listener.method());
			assertThat(got.target()).isEqualTo(listener.target());
			assertThat(names(got)).as("header names the origin parsed")
				.isEqualTo(withoutHopByHop(listener.headerNames()));
		}
	}

	private static List<String> names(Message message) {
		List<String> names = new ArrayList<>();
		for (HttpWire.Header header : message.headers()) {
			String name = header.name().toLowerCase(Locale.ROOT);
			if (!name.equals("via") && !name.equals("x-forwarded-for")) {
				names.add(name);
			}
		}
		return names;
	}

	private static List<String> withoutHopByHop(List<String> names) {
		List<String> kept = new ArrayList<>();
		for (String name : names) {
			String lower = name.toLowerCase(Locale.ROOT);
			if (!List.of("connection", "keep-alive", "proxy-connection", "upgrade", "te").contains(lower)) {
				kept.add(lower);
			}
		}
		return kept;
	}

	// ---- requests ----

	/** A well-formed request, as sent. */
	record Request(String method, String target, List<HttpWire.Header> headers, byte[] body, Framing framing) {

		byte[] head() {
			StringBuilder head = new StringBuilder(this.method + " " + this.target + " HTTP/1.1\r\nHost: origin.test\r\n");
			for (HttpWire.Header header : this.headers) {
				head.append(header.name()).append(": ").append(header.value()).append("\r\n");
			}
			head.append(HttpWire.framingHeader(this.framing, this.body.length)).append("\r\n");
			return HttpWire.ascii(head.toString());
		}

		byte[] bytes() {
			return HttpWire.concat(head(), HttpWire.frame(this.body, this.framing));
		}

		byte[] mutatedBytes(List<Mutation> mutations) {
			byte[] head = head();
			for (Mutation mutation : mutations) {
				head = mutation.apply(head);
			}
			return HttpWire.concat(head, HttpWire.frame(this.body, this.framing));
		}

		@Override
		public String toString() {
			return this.method + " " + this.target + " " + this.headers.size() + " headers, " + this.body.length
					+ " bytes " + this.framing;
		}

	}

	/** A request the listener must refuse with {@code status}. */
	record Hostile(String name, String method, byte[] bytes, int status) {

		@Override
		public String toString() {
			return this.name + " (" + this.status + "): " + HttpWire.text(this.bytes).replace("\r", "\\r").replace("\n", "\\n");
		}

	}

	/** One byte inserted, replaced or deleted in a head. */
	record Mutation(int kind, int position, byte value) {

		byte[] apply(byte[] head) {
			int at = Math.floorMod(this.position, head.length);
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			out.write(head, 0, at);
			switch (this.kind) {
				case 0 -> {
					out.write(this.value);
					out.write(head, at, head.length - at);
				}
				case 1 -> {
					out.write(this.value);
					out.write(head, at + 1, head.length - at - 1);
				}
				default -> out.write(head, at + 1, head.length - at - 1);
			}
			return out.toByteArray();
		}

	}

	@Provide
	Arbitrary<List<Request>> valid() {
		return validOne().list().ofMaxSize(3);
	}

	@Provide
	Arbitrary<Request> validOne() {
		Arbitrary<String> method = Arbitraries.of("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
		Arbitrary<String> target = Combinators
			.combine(Arbitraries.integers().between(0, 300), Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(40))
			.as((size, name) -> "/pt/cl/" + size + "/" + name);
		Arbitrary<HttpWire.Header> header = Combinators
			.combine(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20),
					Arbitraries.strings().withCharRange('!', '~').ofMaxLength(3000))
			.as((name, value) -> new HttpWire.Header("X-" + name, value));
		Arbitrary<byte[]> body = Arbitraries.bytes().array(byte[].class).ofMaxSize(3000);
		Arbitrary<Framing> framing = Arbitraries.of(Framing.LENGTH, Framing.CHUNKED);
		Arbitrary<List<HttpWire.Header>> headers = header.list()
			.ofMaxSize(2)
			.uniqueElements((h) -> h.name().toLowerCase(Locale.ROOT));
		return Combinators.combine(method, target, headers, body, framing)
			.as((m, t, h, b, f) -> m.equals("GET") || m.equals("OPTIONS") || m.equals("DELETE")
					? new Request(m, t, h, new byte[0], Framing.NONE) : new Request(m, t, h, b, f));
	}

	@Provide
	Arbitrary<Hostile> hostile() {
		String chunkedHidden = Integer.toHexString(HIDDEN.length()) + "\r\n" + HIDDEN + "\r\n0\r\n\r\n";
		String line = "POST /pt/cl/1/hostile HTTP/1.1\r\n";
		String host = "Host: origin.test\r\n";
		Arbitrary<Character> control = Arbitraries.chars().range('\u0000', '\u001f').filter((c) -> c != '\r' && c != '\n' && c != '\t')
			.injectDuplicates(0.0);
		return Arbitraries.oneOf(
				just("no Host", "POST /pt/cl/1/hostile HTTP/1.1\r\nContent-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400),
				just("two Hosts", line + host + "Host: other.test\r\nContent-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400),
				just("Transfer-Encoding twice", line + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden, 400),
				just("chunked, chunked", line + host + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunkedHidden, 400),
				just("gzip, chunked", line + host + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunkedHidden, 400),
				just("chunked, gzip", line + host + "Transfer-Encoding: chunked, gzip\r\n\r\n" + chunkedHidden, 400),
				just("an unknown coding", line + host + "Transfer-Encoding: rot13\r\n\r\n" + chunkedHidden, 501),
				just("Content-Length and chunked", line + host + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden, 400),
				just("two Content-Lengths", line + host + "Content-Length: 0\r\nContent-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400),
				just("a signed Content-Length", line + host + "Content-Length: +" + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400),
				just("Transfer-Encoding in HTTP/1.0", "POST /pt/cl/1/hostile HTTP/1.0\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n" + chunkedHidden, 400),
				just("tabs as separators", "POST\t/pt/cl/1/hostile\tHTTP/1.1\r\n" + host + "Content-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400),
				just("two spaces", "POST  /pt/cl/1/hostile HTTP/1.1\r\n" + host + "\r\n" + HIDDEN, 400),
				just("HTTP/0.9 with a body", "POST /pt/cl/1/hostile HTTP/0.9\r\n" + host + "Content-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 505),
				just("HTTP/1.2", "GET /pt/cl/1/hostile HTTP/1.2\r\n" + host + "\r\n" + HIDDEN, 505),
				just("obs-fold", line + host + "X-A: a\r\n Transfer-Encoding: chunked\r\n\r\n" + chunkedHidden, 400),
				just("whitespace before a colon", line + host + "Transfer-Encoding : chunked\r\n\r\n" + chunkedHidden, 400),
				just("a bare LF", line + host + "X-A: a\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden, 400),
				just("a bare CR", line + host + "X-A: a\rTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden, 400),
				Arbitraries.of("Transfer_Encoding", "Transfer---Encoding", "transfer.encoding", "TRANSFER_ENCODING", "Transfer Encoding")
					.map((name) -> hostile("a look-alike " + name, line + host + name + ": chunked\r\n\r\n" + chunkedHidden, 400)),
				Arbitraries.of("Content_Length", "Content---Length", "content.length", "CONTENT_LENGTH")
					.map((name) -> hostile("a look-alike " + name, line + host + name + ": " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400)),
				control.map((c) -> hostile("a control character in the target", "GET /pt/cl/1/a" + c + "b HTTP/1.1\r\n" + host + "\r\n", 400)),
				control.map((c) -> hostile("a control character in a value", line + host + "X-A: a" + c + "b\r\nContent-Length: " + HIDDEN.length() + "\r\n\r\n" + HIDDEN, 400)),
				Arbitraries.integers().between(MAX_HEADER_SIZE, 3 * MAX_HEADER_SIZE)
					.map((n) -> hostile("a huge header", "GET /pt/cl/1/big HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(n) + "\r\n\r\n", 431)),
				Arbitraries.integers().between(MAX_REQUEST_LINE, 2 * MAX_REQUEST_LINE)
					.map((n) -> hostile("a huge request line", "GET /pt/cl/1/" + "a".repeat(n) + " HTTP/1.1\r\n" + host + "\r\n", 414)));
	}

	private static Arbitrary<Hostile> just(String name, String bytes, int status) {
		return Arbitraries.just(hostile(name, bytes, status));
	}

	private static Hostile hostile(String name, String bytes, int status) {
		int end = 0;
		while (end < bytes.length() && bytes.charAt(end) != ' ' && bytes.charAt(end) != '\t') {
			end++;
		}
		return new Hostile(name, bytes.substring(0, end), HttpWire.ascii(bytes), status);
	}

	@Provide
	Arbitrary<List<Mutation>> mutations() {
		Arbitrary<Byte> value = Arbitraries.of((byte) '\r', (byte) '\n', (byte) ' ', (byte) '\t', (byte) 0, (byte) 0x7f,
				(byte) 0x80, (byte) 0xff, (byte) ':', (byte) ',', (byte) ';', (byte) '_', (byte) '-', (byte) '0',
				(byte) '9', (byte) 'a', (byte) 'Z', (byte) '/');
		return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().greaterOrEqual(0), value)
			.as(Mutation::new)
			.list()
			.ofMinSize(1)
			.ofMaxSize(3);
	}

}
