package dev.vconn.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import dev.vconn.VConnRuntime;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.testing.NativeFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The splice pipe pool keeps empty pipes for reuse while the runtime runs, counts them exactly, and
 * closes every one of them when the runtime closes, including a pipe given back after that. A pipe
 * size the kernel refuses is reported once.
 */
@EnabledOnOs(OS.LINUX)
class PipePoolTests {

	@Test
	void idlePipesAreCountedAndClosedWithTheRuntime() {
		VConnRuntime runtime = VConnRuntime.builder().eventThreads(1).shutdownTimeout(Duration.ofMillis(100)).build();
		PipePool pool = NetVConnFactory.of(RuntimeAccess.core(runtime)).pipes();
		List<PipePool.Pipe> borrowed = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			borrowed.add(pool.acquire());
		}
		Set<String> pipes = targets(borrowed);
		assertThat(pipes).hasSize(3).allMatch((target) -> target.startsWith("pipe:"));
		pool.release(borrowed.get(0), true);
		pool.release(borrowed.get(1), true);
		assertThat(NetVConnFactory.of(RuntimeAccess.core(runtime)).idlePipes()).as("idle pipes kept").isEqualTo(2);
		assertThat(pool.open()).isEqualTo(3);

		runtime.close();
		assertThat(NetVConnFactory.of(RuntimeAccess.core(runtime)).idlePipes()).isZero();
		pool.release(borrowed.get(2), true); // a direction giving its pipe back after the runtime closed
		assertThat(pool.open()).as("pipes open after the runtime closed").isZero();
		assertThat(openTargets()).as("descriptors still referring to the pool's pipes").doesNotContainAnyElementsOf(pipes);
		borrowed.forEach((pipe) -> {
			assertThat(HeldFds.isHeld(pipe.readFd)).isFalse();
			assertThat(HeldFds.isHeld(pipe.writeFd)).isFalse();
		});
	}

	/**
	 * Above {@code fs.pipe-max-size}, without {@code CAP_SYS_RESOURCE}, the kernel refuses a pipe's
	 * size: the pool says so once, with the size asked, the size pipes have and what to change, and
	 * every pipe keeps the kernel's size and is counted as such.
	 */
	@Test
	void aPipeSizeTheKernelRefusesIsReportedOnceAndThePipesKeepTheirOwn() {
		int asked = 64 * 1024 * 1024;
		assumeTrue(kernelRefuses(asked), "this process may make pipes of 64 MiB (CAP_SYS_RESOURCE)");
		List<LogRecord> records = new CopyOnWriteArrayList<>();
		Handler recorder = new Handler() {

			@Override
			public void publish(LogRecord record) {
				records.add(record);
			}

			@Override
			public void flush() {
			}

			@Override
			public void close() {
			}

		};
		Logger log = Logger.getLogger(PipePool.class.getName());
		log.addHandler(recorder);
		PipePool pool = new PipePool(4, asked);
		try {
			List<PipePool.Pipe> pipes = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				pipes.add(pool.acquire());
			}
			assertThat(pipes).allSatisfy((pipe) -> {
				assertThat(pipe.capacity).isEqualTo(LibC.fcntl(pipe.writeFd, LibC.F_GETPIPE_SZ, 0)).isLessThan(asked);
			});
			assertThat(records).singleElement().satisfies((record) -> {
				assertThat(record.getLevel()).isEqualTo(Level.WARNING);
				assertThat(record.getMessage()).contains(
						"have " + pipes.get(0).capacity + " bytes, not the " + asked + " asked",
						"vconn.pipe-size", "fs.pipe-max-size, " + pipeMaxSize() + " bytes");
			});
			pipes.forEach((pipe) -> pool.release(pipe, true));
		}
		finally {
			pool.close();
			log.removeHandler(recorder);
		}
	}

	/** Whether this process may not give a pipe of its own {@code size} bytes. */
	private static boolean kernelRefuses(int size) {
		int[] fds = new int[2];
		assertThat(LibC.pipe2(fds, LibC.O_CLOEXEC)).isZero();
		try {
			return LibC.fcntl(fds[1], LibC.F_SETPIPE_SZ, size) == -1;
		}
		finally {
			LibC.close(fds[0]);
			LibC.close(fds[1]);
		}
	}

	private static String pipeMaxSize() {
		try {
			String size = Files.readAllLines(Path.of("/proc/sys/fs/pipe-max-size")).get(0).trim();
			assertThat(Integer.parseInt(size)).as("fs.pipe-max-size").isGreaterThanOrEqualTo(4096);
			return size;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static Set<String> targets(List<PipePool.Pipe> pipes) {
		return pipes.stream()
			.map((pipe) -> NativeFds.identities().get(pipe.readFd).target())
			.collect(Collectors.toSet());
	}

	private static Set<String> openTargets() {
		return NativeFds.identities().values().stream().map(NativeFds.FdIdentity::target).collect(Collectors.toSet());
	}

}
