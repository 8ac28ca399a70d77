package dev.vconn.internal.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * The rules of relaying an exchange's messages between the client and the next hop that are not
 * about one response head's bytes (those are {@link ResponseHeadRules}'): which request headers are
 * hop-by-hop, and which responses are interim.
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

	/** Whether a status is interim: a 1xx other than 101, followed by the final response. */
	static boolean isInterim(int status) {
		return status >= 100 && status < 200 && status != 101;
	}

}
