/**
 * Tests of the test support users get in {@code dev.vconn.test}.
 */
@NullMarked
package dev.vconn.test;

import org.jspecify.annotations.NullMarked;
