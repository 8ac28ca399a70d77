package dev.vconn.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link TestOrigin} made with it answers, by request path, reading and writing raw bytes so
 * that bodies of any size stream through without being held:
 * <ul>
 * <li>{@code /echo...}: answers with the raw request (head and Content-Length body) as its body;</li>
 * <li>{@code /download?n=N&seed=S}: streams N bytes of the {@link Payload} of S;</li>
 * <li>{@code /upload...}: reads the Content-Length body and answers "count checksum";</li>
 * <li>{@code /reset?n=N}: announces 2N bytes, sends N, then resets the connection;</li>
 * <li>{@code /stream...}: answers a head without length, then echoes every byte until end of stream;</li>
 * <li>{@code /hang...}: never answers, and reads until end of stream;</li>
 * <li>{@code /silent...}: closes without answering.</li>
 * </ul>
 * Every response says {@code Connection: close}, and the connection is closed after it.
 */
public final class StreamingRoutes implements TestOrigin.ConnectionHandler {

	private final BlockingQueue<byte[]> echoed = new LinkedBlockingQueue<>();

	private final AtomicInteger hanging = new AtomicInteger();

	/** The raw requests {@code /echo} received, in order, as the test takes them. */
	public BlockingQueue<byte[]> echoed() {
		return this.echoed;
	}

	/** How many {@code /hang} requests have reached the origin so far (it holds each unanswered). */
	public int hanging() {
		return this.hanging.get();
	}

	@Override
	public void serve(Socket socket, InputStream in, OutputStream out) throws IOException {
		byte[] head = readHead(in);
		if (head == null) {
			return;
		}
		String text = new String(head, StandardCharsets.ISO_8859_1);
		String target = text.substring(text.indexOf(' ') + 1, text.indexOf(' ', text.indexOf(' ') + 1));
		long length = contentLength(text);
		if (target.startsWith("/echo")) {
			ByteArrayOutputStream raw = new ByteArrayOutputStream();
			raw.write(head);
			raw.write(in.readNBytes((int) length));
			byte[] body = raw.toByteArray();
			this.echoed.add(body);
			out.write(responseHead(body.length));
			out.write(body);
		}
		else if (target.startsWith("/download")) {
			long n = Long.parseLong(query(target, "n"));
			out.write(responseHead(n));
			Payload.write(out, Long.parseLong(query(target, "seed")), n);
		}
		else if (target.startsWith("/upload")) {
			Payload.Received got = Payload.read(in, length);
			byte[] body = (got.count() + " " + got.checksum()).getBytes(StandardCharsets.US_ASCII);
			out.write(responseHead(body.length));
			out.write(body);
		}
		else if (target.startsWith("/reset")) {
			long n = Long.parseLong(query(target, "n"));
			out.write(responseHead(2 * n));
			Payload.write(out, 7, n);
			socket.setSoLinger(true, 0);
		}
		else if (target.startsWith("/stream")) {
			out.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			in.transferTo(out);
		}
		else if (target.startsWith("/hang")) {
			this.hanging.incrementAndGet();
			in.transferTo(OutputStream.nullOutputStream());
		}
		else if (!target.startsWith("/silent")) {
			out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
				.getBytes(StandardCharsets.US_ASCII));
		}
	}

	/** The head of a 200 response with a body of {@code length} bytes, closing the connection. */
	public static byte[] responseHead(long length) {
		return ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length
				+ "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
	}

	/** Reads up to and including the blank line; null on end of stream before it. */
	public static byte @Nullable [] readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				return null;
			}
			head.write(b);
			matched = (b == ((matched % 2 == 0) ? '\r' : '\n')) ? matched + 1 : ((b == '\r') ? 1 : 0);
		}
		return head.toByteArray();
	}

	/** The Content-Length of a head, 0 if it has none. */
	public static long contentLength(String head) {
		for (String line : head.split("\r\n")) {
			int colon = line.indexOf(':');
			if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
				return Long.parseLong(line.substring(colon + 1).trim());
			}
		}
		return 0;
	}

	/** The value of a query parameter of a request target. */
	public static String query(String target, String name) {
		int q = target.indexOf('?');
		for (String pair : target.substring(q + 1).split("&")) {
			if (pair.startsWith(name + "=")) {
				return pair.substring(name.length() + 1);
			}
		}
		throw new IllegalArgumentException("no " + name + " in " + target);
	}

}
