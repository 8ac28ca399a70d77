/**
 * Helpers the autoconfigure tests share: an actuator client over real HTTP.
 */
@NullMarked
package dev.vconn.autoconfigure.testing;

import org.jspecify.annotations.NullMarked;
