/**
 * Tests of the per-transaction intercept listener with real clients (raw sockets, the JDK
 * HttpClient, curl) and a real origin on loopback: keep-alive and pipelined requests mixing server
 * intercepts and pass-through, HTTP/1.1 framing, smuggling, backpressure, broken intercepts,
 * metrics callbacks and resource accounting.
 */
@NullMarked
package dev.vconn.transaction;

import org.jspecify.annotations.NullMarked;
