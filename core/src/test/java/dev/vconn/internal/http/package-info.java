/**
 * Tests of the HTTP listener's internals that need package access: the origin response scanner.
 */
@NullMarked
package dev.vconn.internal.http;

import org.jspecify.annotations.NullMarked;
