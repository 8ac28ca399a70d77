/**
 * The VConn I/O contract: one suite of real-socket tests run against every transport, plus
 * {@link dev.vconn.IOBuffer} unit tests.
 */
@NullMarked
package dev.vconn.contract;

import org.jspecify.annotations.NullMarked;
