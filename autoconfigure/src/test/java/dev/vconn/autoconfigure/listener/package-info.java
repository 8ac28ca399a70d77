/**
 * End-to-end tests of the intercept listener in a running web application.
 */
@NullMarked
package dev.vconn.autoconfigure.listener;

import org.jspecify.annotations.NullMarked;
