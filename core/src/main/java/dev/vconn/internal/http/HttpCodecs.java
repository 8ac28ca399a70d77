package dev.vconn.internal.http;

/**
 * Makes the HTTP codecs of an intercept listener from one {@link HttpLimits}: the limits a listener
 * applies are the ones configured for it, and nowhere else. Responses of the next hops, the origin
 * and server intercepts, are read by {@link ResponseScanner} within
 * {@link HttpLimits#MAX_RESPONSE_HEAD_SIZE}.
 */
final class HttpCodecs {

	private final HttpLimits limits;

	HttpCodecs(HttpLimits limits) {
		this.limits = limits;
	}

	HttpLimits limits() {
		return this.limits;
	}

	/** Reads the requests of a client connection. */
	RequestHeadDecoder requestDecoder() {
		return new RequestHeadDecoder(this.limits);
	}

}
