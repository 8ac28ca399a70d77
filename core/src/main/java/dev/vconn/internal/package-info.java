/**
 * Implementation of VConn, one subpackage per job: {@code runtime} (event loops, slots, the live
 * set, listener dispatch), {@code vconn} (what every VConn kind shares), {@code net} (socket
 * VConns, fd probing, native calls), {@code pair} (in-memory pairs), {@code tunnel} (copy and
 * splice) and {@code http} (the intercept listener). Not public API: anything here may change in
 * any release.
 *
 * <p>Arrows point down only: {@code http} uses {@code tunnel}, {@code net}, {@code pair},
 * {@code vconn} and {@code runtime}; {@code tunnel} uses {@code net}, {@code vconn} and
 * {@code runtime}; {@code net} and {@code pair} use {@code vconn} and {@code runtime};
 * {@code vconn} uses {@code runtime}; {@code runtime} uses none of them. What the runtime needs
 * from above it is given to it through its own small interfaces ({@code SocketLayer},
 * {@code LiveVConn}) by the composition root, {@code VConnRuntime}.
 */
@NullMarked
package dev.vconn.internal;

import org.jspecify.annotations.NullMarked;
