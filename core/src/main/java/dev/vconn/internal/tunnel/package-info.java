/**
 * The tunnel engine: copy and splice between two VConns.
 * Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.tunnel;

import org.jspecify.annotations.NullMarked;
