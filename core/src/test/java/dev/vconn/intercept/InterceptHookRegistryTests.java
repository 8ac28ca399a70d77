package dev.vconn.intercept;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class InterceptHookRegistryTests {

	@Test
	void registerWithoutOrderAppendsInRegistrationOrder() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		InterceptHook a = new NamedHook("a");
		InterceptHook b = new NamedHook("b");
		registry.register(a);
		registry.register(b);
		assertThat(registry.hooks()).containsExactly(a, b);
		assertThat(registry.registrations()).extracting(InterceptHookRegistry.Registration::order)
			.containsExactly(InterceptHookRegistry.LOWEST_PRECEDENCE, InterceptHookRegistry.LOWEST_PRECEDENCE);
	}

	@Test
	void registerWithOrderSortsAndKeepsRegistrationOrderForTies() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		InterceptHook last = new NamedHook("last");
		InterceptHook tenFirst = new NamedHook("ten-first");
		InterceptHook tenSecond = new NamedHook("ten-second");
		InterceptHook first = new NamedHook("first");
		registry.register(last);
		registry.register(tenFirst, 10);
		registry.register(tenSecond, 10);
		registry.register(first, InterceptHookRegistry.HIGHEST_PRECEDENCE);
		assertThat(registry.hooks()).containsExactly(first, tenFirst, tenSecond, last);
		assertThat(registry.size()).isEqualTo(4);
	}

	@Test
	void unregisterRemovesOnlyThatHook() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		InterceptHook a = new NamedHook("a");
		InterceptHook b = new NamedHook("b");
		registry.register(a, 1);
		registry.register(b, 2);
		assertThat(registry.unregister(a)).isTrue();
		assertThat(registry.unregister(a)).isFalse();
		assertThat(registry.hooks()).containsExactly(b);
	}

	@Test
	void registerWhenAlreadyRegisteredThrowsIllegalArgumentException() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		InterceptHook a = new NamedHook("a");
		registry.register(a);
		assertThatIllegalArgumentException().isThrownBy(() -> registry.register(a, 5)).withMessageContaining("'a'");
		assertThat(registry.hooks()).containsExactly(a);
	}

	@Test
	void registerWhenNullThrowsNullPointerException() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		assertThatNullPointerException().isThrownBy(() -> registry.register(null));
		assertThatNullPointerException().isThrownBy(() -> registry.unregister(null));
	}

	@Test
	void hooksIsAnUnmodifiableSnapshot() {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		registry.register(new NamedHook("a"));
		List<InterceptHook> snapshot = registry.hooks();
		registry.register(new NamedHook("b"));
		assertThat(snapshot).hasSize(1);
		assertThat(registry.hooks()).hasSize(2);
	}

	@Test
	void nameDefaultsToSimpleClassNameOrFullNameWhenAnonymous() {
		assertThat(new DefaultNamedHook().name()).isEqualTo("DefaultNamedHook");
		InterceptHook anonymous = new InterceptHook() {
		};
		assertThat(anonymous.name()).isEqualTo(anonymous.getClass().getName()).isNotEmpty();
	}

	@Test
	void concurrentRegistrationsAreAllKeptInOrder() throws Exception {
		InterceptHookRegistry registry = new InterceptHookRegistry();
		int threads = 4;
		int perThread = 250;
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				int base = t;
				futures.add(executor.submit(() -> {
					start.await();
					for (int i = 0; i < perThread; i++) {
						registry.register(new NamedHook("h" + base + "-" + i), i);
						registry.hooks();
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> future : futures) {
				future.get(30, TimeUnit.SECONDS);
			}
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(registry.registrations()).hasSize(threads * perThread)
			.extracting(InterceptHookRegistry.Registration::order)
			.isSorted();
	}

	static final class DefaultNamedHook implements InterceptHook {

	}

	record NamedHook(String name) implements InterceptHook {

	}

}
