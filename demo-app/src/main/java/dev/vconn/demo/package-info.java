/**
 * A small application that adopts loopback sockets through the VConn starter, to watch them in
 * the {@code vconn} actuator endpoint and the {@code vconn.*} metrics.
 */
@NullMarked
package dev.vconn.demo;

import org.jspecify.annotations.NullMarked;
