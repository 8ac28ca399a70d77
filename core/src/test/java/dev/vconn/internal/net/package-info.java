/**
 * Tests of the socket layer's internals that need package access: the splice pipe pool.
 */
@NullMarked
package dev.vconn.internal.net;

import org.jspecify.annotations.NullMarked;
