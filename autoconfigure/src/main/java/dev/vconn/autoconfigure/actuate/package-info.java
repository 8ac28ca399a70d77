/**
 * Actuator support: the {@code vconn} endpoint and the {@code vconn} health indicator.
 */
@NullMarked
package dev.vconn.autoconfigure.actuate;

import org.jspecify.annotations.NullMarked;
