/**
 * The runtime behind VConnRuntime: event loops, connection slots, the live set, listener dispatch.
 * Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.runtime;

import org.jspecify.annotations.NullMarked;
