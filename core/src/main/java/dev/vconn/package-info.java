/**
 * VConn: adopt already-connected sockets as event-driven virtual connections.
 *
 * <p>Entry points: {@link dev.vconn.VConnRuntime} owns the event threads and hands out a
 * {@link dev.vconn.VConnFactory}, whose {@code fdCreate}/{@code adopt}/{@code connect} turn sockets
 * into {@link dev.vconn.VConn}s. Data moves through {@link dev.vconn.VIO} operations on
 * {@link dev.vconn.IOBuffer}s, and progress is reported to a {@link dev.vconn.Continuation} as
 * {@link dev.vconn.VConnEvent}s, as in Apache Traffic Server's VConnection model.
 */
@NullMarked
package dev.vconn;

import org.jspecify.annotations.NullMarked;
