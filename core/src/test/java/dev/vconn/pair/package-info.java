/**
 * Tests of {@link dev.vconn.VConnPair}: the in-memory VConn pair against the VConn/VIO contract.
 */
@NullMarked
package dev.vconn.pair;

import org.jspecify.annotations.NullMarked;
