/**
 * The intercept example: Traffic Server's {@code intercept} plugin, ported to VConn, in two
 * styles.
 */
@NullMarked
package dev.vconn.demo.intercept;

import org.jspecify.annotations.NullMarked;
