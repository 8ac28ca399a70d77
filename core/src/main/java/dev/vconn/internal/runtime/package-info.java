/**
 * The runtime behind VConnRuntime: event loops, connection slots, the live set, listener dispatch.
 * The bottom of the internal packages: it depends on none of them; the socket layer is plugged in
 * through {@link dev.vconn.internal.runtime.SocketLayer}. Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.runtime;

import org.jspecify.annotations.NullMarked;
