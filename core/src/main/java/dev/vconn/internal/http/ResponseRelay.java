package dev.vconn.internal.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * The rules of relaying an exchange's messages between the client and the next hop: which headers
 * are hop-by-hop, what the client's copy of a response head says about the connection, and
 * whether the client can find the end of a response without the connection closing.
 */
final class ResponseRelay {

	private ResponseRelay() {
	}

	/**
	 * Removes the headers that concern only the client's connection to the listener (RFC 9110
	 * section 7.6.1): those named in {@code Connection}, and the standard hop-by-hop ones. Both next
	 * hops, the origin and a server intercept, get the request without them. {@code Content-Length},
	 * {@code Transfer-Encoding} and {@code Host} stay even when named in {@code Connection}: the body
	 * is forwarded as it was framed, and without its framing header the next hop would read the body
	 * as a request of its own.
	 */
	static void removeHopByHop(HttpHeaders headers) {
		for (String token : headers.getAll(HttpHeaderNames.CONNECTION)) {
			for (String name : token.split(",")) {
				String field = name.trim();
				if (!field.isEmpty() && !HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(field)
						&& !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(field)
						&& !HttpHeaderNames.HOST.contentEqualsIgnoreCase(field)) {
					headers.remove(field);
				}
			}
		}
		headers.remove(HttpHeaderNames.CONNECTION);
		headers.remove(HttpHeaderNames.KEEP_ALIVE);
		headers.remove("Proxy-Connection");
		headers.remove(HttpHeaderNames.UPGRADE);
		headers.remove(HttpHeaderNames.TE);
	}

	/**
	 * The response head as the client gets it: the next hop's hop-by-hop headers (RFC 9110 section
	 * 7.6.1) are its own, and the connection header is the listener's.
	 */
	static void prepareForClient(HttpResponse response, boolean keepAlive) {
		removeHopByHop(response.headers());
		if (!keepAlive) {
			response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		}
	}

	/** Whether a status is interim: a 1xx other than 101, followed by the final response. */
	static boolean isInterim(int status) {
		return status >= 100 && status < 200 && status != 101;
	}

	/** Whether a response is final: any status from 200, or 101, after which the connection is no longer HTTP. */
	static boolean isFinal(HttpResponse response) {
		int code = response.status().code();
		return code >= 200 || code == 101;
	}

	/** Whether the client can find the end of this response without the connection closing. */
	static boolean isFramed(HttpRequest request, HttpResponse response) {
		int code = response.status().code();
		return HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response)
				|| request.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD) || code == 204 || code == 304
				|| (code >= 100 && code < 200);
	}

	/**
	 * The connection header of a final response says what the listener will do (RFC 9112 section
	 * 9.6): {@code close} whenever the connection ends after it, {@code keep-alive} for an HTTP/1.0
	 * client whose connection stays open.
	 * @param close whether the connection was to end after this response already
	 * @return whether the connection ends after this response
	 */
	static boolean setConnectionHeader(HttpResponse response, boolean close, boolean http10Client) {
		HttpHeaders headers = response.headers();
		boolean closing = close || headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
		if (http10Client && HttpUtil.isTransferEncodingChunked(response)) {
			// an HTTP/1.0 client does not know chunked encoding (RFC 9112 section 7.1): without it the
			// encoder writes the body as it is, and the close ends it
			HttpUtil.setTransferEncodingChunked(response, false);
			closing = true;
		}
		if (closing) {
			headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		}
		else if (http10Client) {
			headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
		}
		return closing;
	}

}
