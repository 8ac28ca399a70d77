package dev.vconn.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * The benchmarks of {@link AdoptionFailureBenchmark} on two threads refused at once.
 */
@Threads(2)
public class AdoptionFailureTwoThreadsBenchmark extends AdoptionFailureBenchmark {

}
