/**
 * Implementation of VConn: fd adoption per transport, the channel handler behind each VConn,
 * native calls. Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal;

import org.jspecify.annotations.NullMarked;
