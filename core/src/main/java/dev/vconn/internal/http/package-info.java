/**
 * The HTTP intercept listener: both listener modes, transactions, the origin pool.
 * Not public API: anything here may change in any release.
 */
@NullMarked
package dev.vconn.internal.http;

import org.jspecify.annotations.NullMarked;
