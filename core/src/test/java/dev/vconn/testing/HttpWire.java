package dev.vconn.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

import org.jspecify.annotations.Nullable;

/**
 * HTTP/1.1 by hand, for exact control over framing: building requests and responses, and reading
 * them back from a stream with the framing they were sent with.
 */
public final class HttpWire {

	private HttpWire() {
	}

	/** How a message body is delimited. */
	public enum Framing {

		/** No body at all (no length, no chunking, and none expected). */
		NONE,

		/** {@code Content-Length}. */
		LENGTH,

		/** {@code Transfer-Encoding: chunked}. */
		CHUNKED,

		/** Until the connection closes (responses only). */
		CLOSE

	}

	/** A header line as read. */
	public record Header(String name, String value) {
	}

	/** A message head and body as read, with its framing. */
	public record Message(String startLine, List<Header> headers, byte[] body, Framing framing, byte[] rawHead,
			byte[] rawBody) {

		public String method() {
			return this.startLine.split(" ", 3)[0];
		}

		public String target() {
			return this.startLine.split(" ", 3)[1];
		}

		public String version() {
			return this.startLine.split(" ", 3)[2];
		}

		/** The status code of a response. */
		public int status() {
			return Integer.parseInt(this.startLine.split(" ", 3)[1]);
		}

		public Optional<String> header(String name) {
			return this.headers.stream()
				.filter((h) -> h.name().equalsIgnoreCase(name))
				.map(Header::value)
				.findFirst();
		}

		public List<String> headers(String name) {
			return this.headers.stream().filter((h) -> h.name().equalsIgnoreCase(name)).map(Header::value).toList();
		}

		public boolean hasHeader(String name) {
			return header(name).isPresent();
		}

		/** Every value of every {@code Connection} header, lower-cased. */
		public List<String> connectionTokens() {
			List<String> tokens = new ArrayList<>();
			for (String value : headers("Connection")) {
				for (String token : value.split(",")) {
					if (!token.isBlank()) {
						tokens.add(token.trim().toLowerCase(Locale.ROOT));
					}
				}
			}
			return tokens;
		}

		public String bodyText() {
			return new String(this.body, StandardCharsets.ISO_8859_1);
		}

		public String headText() {
			return new String(this.rawHead, StandardCharsets.ISO_8859_1);
		}

		@Override
		public String toString() {
			return this.startLine + " " + this.headers + " (" + this.framing + ", " + this.body.length + " bytes)";
		}

	}

	// ---- bodies ----

	/** Deterministic pseudo-random bytes, different for each seed, so any reordering shows. */
	public static byte[] body(String seed, int size) {
		byte[] bytes = new byte[size];
		new Random(seed.hashCode() * 31L + size).nextBytes(bytes);
		return bytes;
	}

	// ---- building ----

	public static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.ISO_8859_1);
	}

	public static String text(byte[] bytes) {
		return new String(bytes, StandardCharsets.ISO_8859_1);
	}

	public static byte[] concat(byte[]... parts) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (byte[] part : parts) {
			out.writeBytes(part);
		}
		return out.toByteArray();
	}

	/**
	 * A body framed as {@code framing}: as is for LENGTH and CLOSE, as uneven chunks ending with the
	 * last chunk for CHUNKED, nothing for NONE.
	 */
	public static byte[] frame(byte[] body, Framing framing) {
		switch (framing) {
			case NONE:
				return new byte[0];
			case CHUNKED:
				ByteArrayOutputStream out = new ByteArrayOutputStream();
				int at = 0;
				int[] sizes = { 1, 1000, 7, 20_000, 3 };
				int i = 0;
				while (at < body.length) {
					int n = Math.min(sizes[i++ % sizes.length], body.length - at);
					out.writeBytes(ascii(Integer.toHexString(n) + "\r\n"));
					out.write(body, at, n);
					out.writeBytes(ascii("\r\n"));
					at += n;
				}
				out.writeBytes(ascii("0\r\n\r\n"));
				return out.toByteArray();
			default:
				return body;
		}
	}

	/** The header that announces {@code framing} for a body of {@code length} bytes, with its CRLF. */
	public static String framingHeader(Framing framing, int length) {
		switch (framing) {
			case LENGTH:
				return "Content-Length: " + length + "\r\n";
			case CHUNKED:
				return "Transfer-Encoding: chunked\r\n";
			default:
				return "";
		}
	}

	/** A whole request: method, target, extra header lines (each ending with CRLF), body framed. */
	public static byte[] request(String method, String target, String extraHeaders, byte[] body, Framing framing) {
		String head = method + " " + target + " HTTP/1.1\r\nHost: origin.test\r\n" + extraHeaders
				+ framingHeader(framing, body.length) + "\r\n";
		return concat(ascii(head), frame(body, framing));
	}

	public static byte[] get(String target) {
		return request("GET", target, "", new byte[0], Framing.NONE);
	}

	public static byte[] get(String target, String extraHeaders) {
		return request("GET", target, extraHeaders, new byte[0], Framing.NONE);
	}

	// ---- reading ----

	/**
	 * Reads one request from {@code in}.
	 * @return the request, or {@code null} at end of stream before its first byte
	 * @throws EOFException if the stream ends inside the request
	 */
	public static @Nullable Message readRequest(InputStream in) throws IOException {
		return readRequest(in, (headers) -> {
		});
	}

	/** What to do between reading a request head and its body (for example, send 100 Continue). */
	@FunctionalInterface
	public interface HeadCallback {

		void headRead(List<Header> headers) throws IOException;

	}

	/**
	 * Reads one request from {@code in}, calling {@code afterHead} once its head is read.
	 * @return the request, or {@code null} at end of stream before its first byte
	 */
	public static @Nullable Message readRequest(InputStream in, HeadCallback afterHead) throws IOException {
		byte[] rawHead = readHead(in);
		if (rawHead == null) {
			return null;
		}
		List<String> lines = lines(rawHead);
		List<Header> headers = headers(lines);
		afterHead.headRead(headers);
		Framing framing = requestFraming(headers);
		return readBody(in, lines.get(0), headers, rawHead, framing, -1);
	}

	/**
	 * Reads one response to a request with {@code method}; 1xx responses are returned as they come.
	 * @return the response, or {@code null} at end of stream before its first byte
	 */
	public static @Nullable Message readResponse(InputStream in, String method) throws IOException {
		byte[] rawHead = readHead(in);
		if (rawHead == null) {
			return null;
		}
		List<String> lines = lines(rawHead);
		List<Header> headers = headers(lines);
		int status = Integer.parseInt(lines.get(0).split(" ", 3)[1]);
		Framing framing;
		long length = -1;
		Optional<String> te = find(headers, "Transfer-Encoding");
		Optional<String> cl = find(headers, "Content-Length");
		if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) {
			framing = Framing.NONE;
		}
		else if (te.isPresent() && te.get().toLowerCase(Locale.ROOT).contains("chunked")) {
			framing = Framing.CHUNKED;
		}
		else if (cl.isPresent()) {
			framing = Framing.LENGTH;
			length = Long.parseLong(cl.get().trim());
		}
		else {
			framing = Framing.CLOSE;
		}
		return readBody(in, lines.get(0), headers, rawHead, framing, length);
	}

	/** Parses one request out of {@code bytes} if they hold a whole one, else returns {@code null}. */
	public static @Nullable Message parseRequestIfComplete(byte[] bytes) {
		try {
			return readRequest(new ByteArrayInputStream(bytes));
		}
		catch (EOFException ex) {
			return null;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Framing requestFraming(List<Header> headers) {
		Optional<String> te = find(headers, "Transfer-Encoding");
		if (te.isPresent() && te.get().toLowerCase(Locale.ROOT).contains("chunked")) {
			return Framing.CHUNKED;
		}
		return find(headers, "Content-Length").isPresent() ? Framing.LENGTH : Framing.NONE;
	}

	private static Message readBody(InputStream in, String startLine, List<Header> headers, byte[] rawHead,
			Framing framing, long knownLength) throws IOException {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		ByteArrayOutputStream raw = new ByteArrayOutputStream();
		switch (framing) {
			case LENGTH -> {
				long length = (knownLength >= 0) ? knownLength
						: Long.parseLong(find(headers, "Content-Length").orElseThrow().trim());
				byte[] bytes = in.readNBytes(Math.toIntExact(length));
				if (bytes.length < length) {
					throw new EOFException("body ended after " + bytes.length + " of " + length + " bytes");
				}
				body.writeBytes(bytes);
				raw.writeBytes(bytes);
			}
			case CHUNKED -> {
				while (true) {
					String sizeLine = readLine(in);
					raw.writeBytes(ascii(sizeLine + "\r\n"));
					int semicolon = sizeLine.indexOf(';');
					int size = Integer.parseInt((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(),
							16);
					if (size == 0) {
						String trailer;
						while (!(trailer = readLine(in)).isEmpty()) {
							raw.writeBytes(ascii(trailer + "\r\n"));
						}
						raw.writeBytes(ascii("\r\n"));
						break;
					}
					byte[] bytes = in.readNBytes(size);
					if (bytes.length < size) {
						throw new EOFException("chunk ended after " + bytes.length + " of " + size + " bytes");
					}
					body.writeBytes(bytes);
					raw.writeBytes(bytes);
					String crlf = readLine(in);
					if (!crlf.isEmpty()) {
						throw new IOException("no CRLF after a chunk: '" + crlf + "'");
					}
					raw.writeBytes(ascii("\r\n"));
				}
			}
			case CLOSE -> {
				byte[] bytes = in.readAllBytes();
				body.writeBytes(bytes);
				raw.writeBytes(bytes);
			}
			default -> {
			}
		}
		return new Message(startLine, headers, body.toByteArray(), framing, rawHead, raw.toByteArray());
	}

	private static Optional<String> find(List<Header> headers, String name) {
		return headers.stream().filter((h) -> h.name().equalsIgnoreCase(name)).map(Header::value).findFirst();
	}

	/** Reads up to and including the empty line; null at end of stream before any byte. */
	private static byte @Nullable [] readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				if (head.size() == 0) {
					return null;
				}
				throw new EOFException("stream ended inside a head: " + text(head.toByteArray()));
			}
			head.write(b);
			matched = (b == ((matched % 2 == 0) ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
		}
		return head.toByteArray();
	}

	private static String readLine(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		while (true) {
			int b = in.read();
			if (b < 0) {
				throw new EOFException("stream ended inside a line: " + text(line.toByteArray()));
			}
			if (b == '\n') {
				byte[] bytes = line.toByteArray();
				int n = (bytes.length > 0 && bytes[bytes.length - 1] == '\r') ? bytes.length - 1 : bytes.length;
				return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
			}
			line.write(b);
		}
	}

	private static List<String> lines(byte[] rawHead) {
		String text = text(rawHead);
		List<String> lines = new ArrayList<>(List.of(text.split("\r\n")));
		lines.removeIf(String::isEmpty);
		return lines;
	}

	private static List<Header> headers(List<String> lines) {
		List<Header> headers = new ArrayList<>();
		for (String line : lines.subList(1, lines.size())) {
			int colon = line.indexOf(':');
			headers.add(new Header(line.substring(0, colon).trim(), line.substring(colon + 1).trim()));
		}
		return headers;
	}

}
