package dev.vconn.intercept;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.vconn.testing.StreamingRoutes;

/** A client on a plain socket: sends exactly the bytes given, reads the response as it comes. */
final class RawHttp {

	private RawHttp() {
	}

	static Socket connect(InetSocketAddress address) throws IOException {
		Socket socket = new Socket();
		socket.connect(address, 5000);
		socket.setSoTimeout(20_000);
		return socket;
	}

	static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.ISO_8859_1);
	}

	/** Sends {@code request} on a new connection and reads the whole response. */
	static Response exchange(InetSocketAddress address, byte[] request) throws IOException {
		try (Socket socket = connect(address)) {
			socket.getOutputStream().write(request);
			socket.getOutputStream().flush();
			return read(socket.getInputStream());
		}
	}

	/**
	 * Reads a response: head, then a Content-Length body (or everything up to end of stream). A
	 * connection reset or an early end of stream gives an incomplete response, not an exception.
	 */
	static Response read(InputStream in) throws IOException {
		byte[] head = StreamingRoutes.readHead(in);
		if (head == null) {
			return null;
		}
		String text = new String(head, StandardCharsets.ISO_8859_1);
		String[] lines = text.split("\r\n");
		int status = Integer.parseInt(lines[0].split(" ")[1]);
		Map<String, String> headers = new LinkedHashMap<>();
		for (int i = 1; i < lines.length; i++) {
			int colon = lines[i].indexOf(':');
			if (colon > 0) {
				headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
			}
		}
		long expected = headers.containsKey("content-length") ? Long.parseLong(headers.get("content-length")) : -1;
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		byte[] buf = new byte[64 * 1024];
		IOException failure = null;
		try {
			while (expected < 0 || body.size() < expected) {
				int n = in.read(buf, 0, (expected < 0) ? buf.length : (int) Math.min(buf.length, expected - body.size()));
				if (n < 0) {
					break;
				}
				body.write(buf, 0, n);
			}
		}
		catch (IOException ex) {
			failure = ex;
		}
		return new Response(status, headers, body.toByteArray(), expected, failure);
	}

	record Response(int status, Map<String, String> headers, byte[] body, long expectedLength, IOException failure) {

		String bodyText() {
			return new String(this.body, StandardCharsets.ISO_8859_1);
		}

		boolean complete() {
			return this.failure == null && (this.expectedLength < 0 || this.body.length == this.expectedLength);
		}

	}

}
