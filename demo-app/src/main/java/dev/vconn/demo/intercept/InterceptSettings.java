package dev.vconn.demo.intercept;

import java.time.Duration;
import java.util.concurrent.Executor;

import dev.vconn.VConnFactory;
import dev.vconn.demo.origin.Origin;

/**
 * What every intercept of the example shares.
 *
 * @param factory adopts the origin sockets
 * @param connector waits, off the event threads, for the connects to the origin not made at once
 * @param origin where to connect
 * @param connectTimeout the longest a connect may take
 * @param inactivityTimeout set on both sides of each intercept
 * @param connects counts the connects to the origin
 */
public record InterceptSettings(VConnFactory factory, Executor connector, Origin origin, Duration connectTimeout,
		Duration inactivityTimeout, OriginConnects connects) {
}
