/**
 * Helpers the autoconfigure tests share: an actuator client and raw HTTP over real sockets, and
 * loopback sockets and raw descriptors to adopt.
 */
@NullMarked
package dev.vconn.autoconfigure.testing;

import org.jspecify.annotations.NullMarked;
