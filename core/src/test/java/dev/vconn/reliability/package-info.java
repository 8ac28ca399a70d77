/**
 * The reliability suite: load, slow clients, faults and churn against a real runtime on loopback,
 * each test checking exact counters and that descriptors and threads return to their baseline,
 * and recording its figures for {@code docs/reliability.md}.
 */
@NullMarked
package dev.vconn.reliability;

import org.jspecify.annotations.NullMarked;
