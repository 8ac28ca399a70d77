/**
 * Implementation of VConn, one subpackage per job: {@code runtime} (event loops, slots, the live
 * set, listener dispatch), {@code vconn} (what every VConn kind shares), {@code net} (socket
 * VConns, fd probing, native calls), {@code pair} (in-memory pairs), {@code tunnel} (copy and
 * splice) and {@code http} (the intercept listener). Not public API: anything here may change in
 * any release.
 */
@NullMarked
package dev.vconn.internal;

import org.jspecify.annotations.NullMarked;
