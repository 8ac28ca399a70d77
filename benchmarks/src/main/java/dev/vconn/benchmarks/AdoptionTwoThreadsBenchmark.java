package dev.vconn.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * The benchmarks of {@link AdoptionBenchmark} on two threads adopting at once (each with its own
 * batch of sockets, one runtime and one Netty group shared): what contention on the runtime's
 * registry and event loops costs.
 */
@Threads(2)
public class AdoptionTwoThreadsBenchmark extends AdoptionBenchmark {

}
