package dev.vconn.autoconfigure.listener;

import java.nio.charset.StandardCharsets;

import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import org.jspecify.annotations.Nullable;

/**
 * Answers one request: reads the request head with a read VIO, writes a small response with a
 * write VIO, then closes its VConn. It serves a server intercept (its VConn is an end of an
 * in-memory pair whose other end the listener reads the response from) and a connection intercept
 * (its VConn is the client connection) alike. Quoted in docs/getting-started.md.
 */
public final class HelloResponder implements Continuation {

	private final byte[] response;

	private final IOBuffer in = IOBuffer.create();

	private final IOBufferReader request = this.in.allocReader();

	private final IOBuffer out = IOBuffer.create();

	private final StringBuilder head = new StringBuilder();

	private @Nullable VConn client;

	/**
	 * Creates a responder.
	 * @param requestLine what the response body echoes
	 */
	public HelloResponder(String requestLine) {
		String body = "Hello from the hook: " + requestLine + "\n";
		this.response = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
				+ "\r\nConnection: close\r\n\r\n" + body)
			.getBytes(StandardCharsets.US_ASCII);
	}

	/**
	 * The bytes this responder sends.
	 * @return the whole response
	 */
	public byte[] response() {
		return this.response.clone();
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case NET_ACCEPT -> {
				// Ours until we close it; its first read starts at the request's first byte.
				VConn vconn = (VConn) data;
				this.client = vconn;
				vconn.read(this, this.in, Long.MAX_VALUE);
			}
			case VCONN_READ_READY -> {
				this.head.append(this.request.readAll(StandardCharsets.ISO_8859_1));
				VConn vconn = this.client;
				if (vconn != null && this.head.indexOf("\r\n\r\n") >= 0) {
					vconn.read(this, this.in, 0);
					this.out.write(this.response);
					vconn.write(this, this.out.allocReader(), this.response.length);
				}
			}
			case VCONN_WRITE_COMPLETE, VCONN_EOS, ERROR, VCONN_INACTIVITY_TIMEOUT, VCONN_ACTIVE_TIMEOUT -> close();
			case NET_ACCEPT_FAILED -> release();
			default -> {
			}
		}
	}

	private void close() {
		VConn vconn = this.client;
		if (vconn != null) {
			vconn.close();
		}
		release();
	}

	private void release() {
		this.in.close();
		this.out.close();
	}

}
