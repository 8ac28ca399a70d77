/**
 * Spring Boot auto-configuration for VConn: the runtime, factory and intercept hook registry
 * beans, their properties and lifecycle, and the wiring of metrics, endpoint and health.
 */
@NullMarked
package dev.vconn.autoconfigure;

import org.jspecify.annotations.NullMarked;
