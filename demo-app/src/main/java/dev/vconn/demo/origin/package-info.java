/**
 * The origin server of the demo: an embedded HTTP/1.1 server with small, large, streamed and
 * echoed responses, which can be stopped and started while the demo runs.
 */
@NullMarked
package dev.vconn.demo.origin;

import org.jspecify.annotations.NullMarked;
