/**
 * The VConn demo application: Traffic Server's {@code intercept} example plugin, ported, behind
 * VConn's listener, in front of an embedded origin, with its meters on a live page.
 */
@NullMarked
package dev.vconn.demo;

import org.jspecify.annotations.NullMarked;
