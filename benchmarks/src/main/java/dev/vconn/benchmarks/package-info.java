/**
 * JMH benchmarks of VConn (adoption, I/O paths, idle memory), each beside the raw Netty
 * equivalent where one exists. They use VConn's public API only, plus Netty for baselines and
 * loopback fixtures. Run with {@code java -jar benchmarks/target/benchmarks.jar} (see
 * {@code docs/benchmarks.md}).
 */
@NullMarked
package dev.vconn.benchmarks;

import org.jspecify.annotations.NullMarked;
