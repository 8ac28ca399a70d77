/**
 * Recipes the documentation shows, compiled and run against real servers on loopback.
 */
@NullMarked
package dev.vconn.recipes;

import org.jspecify.annotations.NullMarked;
