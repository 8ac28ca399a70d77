/**
 * Helpers for testing code written against VConn without sockets: {@link dev.vconn.test.EventRecorder}
 * records the events a continuation receives, and {@link dev.vconn.test.VConnPeer} plays the other
 * side of a conversation on a VConn, typically the other end of a {@link dev.vconn.VConnPair}.
 * Built on the public API only, with no dependency on a test framework: a wait that times out
 * throws {@link java.lang.AssertionError}, which every test framework reports as a failure.
 */
@NullMarked
package dev.vconn.test;

import org.jspecify.annotations.NullMarked;
