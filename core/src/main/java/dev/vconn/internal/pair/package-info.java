/**
 * In-memory VConn pairs.
 * Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.pair;

import org.jspecify.annotations.NullMarked;
