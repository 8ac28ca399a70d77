/**
 * Micrometer support: the {@link dev.vconn.autoconfigure.metrics.MicrometerVConnListener} that
 * records VConn's meters, and the {@link dev.vconn.autoconfigure.metrics.VConnMeters} that
 * document them.
 */
@NullMarked
package dev.vconn.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
