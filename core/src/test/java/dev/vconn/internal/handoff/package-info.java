/** Tests of the takeover protocol, with rogue peers made of the real socket class. */
@NullMarked
package dev.vconn.internal.handoff;

import org.jspecify.annotations.NullMarked;
