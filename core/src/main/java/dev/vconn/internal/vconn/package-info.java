/**
 * What every VConn kind shares: the VIO implementation, timeouts, the managed-VConn contract.
 * Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.vconn;

import org.jspecify.annotations.NullMarked;
