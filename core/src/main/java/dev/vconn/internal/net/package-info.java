/**
 * Socket VConns: fd probing and adoption, native calls, the Netty channel handler, epoll registration.
 * Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.net;

import org.jspecify.annotations.NullMarked;
