/**
 * Internal: the takeover protocol that hands listening sockets and live client connections from
 * a running VConn process to its successor over a Unix domain socket. May change in any release.
 */
@NullMarked
package dev.vconn.internal.handoff;

import org.jspecify.annotations.NullMarked;
