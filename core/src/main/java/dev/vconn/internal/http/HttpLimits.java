package dev.vconn.internal.http;

import java.time.Duration;

/**
 * Every size and time limit of an intercept listener's HTTP handling, in one place: the request
 * head decoder, the origin-side codecs and the timers of each exchange all read them from here.
 *
 * @param maxRequestLine the longest request line accepted, without its CRLF (414 above it)
 * @param maxHeaderSize the largest request head: request line, header lines and every line end,
 * the final empty line included (431 above it)
 * @param headerTimeout how long a client has to send a whole request head (408)
 * @param idleTimeout how long a keep-alive client connection may wait for its next request
 * @param originTimeout how long the next hop (origin or server intercept) has to start its
 * response once the request went to it, counted from the last request byte it was given (504)
 * @param originIdleTimeout how long an idle pooled origin connection is kept
 */
public record HttpLimits(int maxRequestLine, int maxHeaderSize, Duration headerTimeout, Duration idleTimeout,
		Duration originTimeout, Duration originIdleTimeout) {

	/** Largest piece of a body decoded at once. */
	static final int MAX_CHUNK_SIZE = 8192;

	/**
	 * Largest response head accepted from an origin or a server intercept. Responses carry more
	 * headers than requests (cookies, security policies), so this bound is looser than the request
	 * head limit; a larger head fails the exchange with 502.
	 */
	static final int MAX_RESPONSE_HEAD_SIZE = 64 * 1024;

	public HttpLimits {
		if (maxRequestLine <= 0 || maxHeaderSize <= 0) {
			throw new IllegalArgumentException("head limits must be positive");
		}
	}

}
