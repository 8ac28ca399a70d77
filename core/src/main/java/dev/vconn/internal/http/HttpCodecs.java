package dev.vconn.internal.http;

import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;

/**
 * Makes every HTTP codec of an intercept listener, client side and next-hop side, from one
 * {@link HttpLimits}: the limits a listener applies are the ones configured for it, and nowhere
 * else.
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

	/**
	 * Talks to a next hop, the origin or a server intercept: writes requests, reads responses of
	 * heads up to {@link HttpLimits#MAX_RESPONSE_HEAD_SIZE}.
	 */
	HttpClientCodec nextHopCodec() {
		return new HttpClientCodec(new HttpDecoderConfig().setMaxInitialLineLength(HttpLimits.MAX_RESPONSE_HEAD_SIZE)
			.setMaxHeaderSize(HttpLimits.MAX_RESPONSE_HEAD_SIZE)
			.setMaxChunkSize(HttpLimits.MAX_CHUNK_SIZE), false, false);
	}

}
