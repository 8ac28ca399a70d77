/**
 * End-to-end tests of the starter in a running web application.
 */
@NullMarked
package dev.vconn.autoconfigure.it;

import org.jspecify.annotations.NullMarked;
