/**
 * HTTP transaction intercepts: the {@link dev.vconn.intercept.InterceptHook} type and the
 * {@link dev.vconn.intercept.InterceptHookRegistry} that holds hooks in the order they run.
 */
@NullMarked
package dev.vconn.intercept;

import org.jspecify.annotations.NullMarked;
