package dev.vconn.internal.net;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.vconn.VConnRuntime;
import dev.vconn.internal.runtime.RuntimeAccess;
import dev.vconn.testing.NativeFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The splice pipe pool keeps empty pipes for reuse while the runtime runs, counts them exactly, and
 * closes every one of them when the runtime closes, including a pipe given back after that.
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

	private static Set<String> targets(List<PipePool.Pipe> pipes) {
		return pipes.stream()
			.map((pipe) -> NativeFds.identities().get(pipe.readFd).target())
			.collect(Collectors.toSet());
	}

	private static Set<String> openTargets() {
		return NativeFds.identities().values().stream().map(NativeFds.FdIdentity::target).collect(Collectors.toSet());
	}

}
