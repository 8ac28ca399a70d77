/**
 * Statistics of a runtime and its intercept listeners, counted once, without a metrics library:
 * {@link dev.vconn.metrics.VConnStatistics} keeps the totals that monitoring (Micrometer meters,
 * the actuator endpoint) reads.
 */
@NullMarked
package dev.vconn.metrics;

import org.jspecify.annotations.NullMarked;
