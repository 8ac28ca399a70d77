package dev.vconn.intercept;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The {@link InterceptHook}s of an application, in the order they run.
 *
 * <p><b>Order:</b> every registration carries an {@code int} order; lower values run first, and
 * hooks with equal orders run in the order they were registered. {@link #register(InterceptHook)}
 * uses {@link #LOWEST_PRECEDENCE}, so such hooks run after every hook given an explicit order.
 * The values follow the convention of Spring's {@code Ordered}, and the Spring Boot starter
 * registers every {@code InterceptHook} bean with its {@code @Order} or {@code Ordered} value.
 *
 * <p><b>Threads:</b> all methods are thread-safe. {@link #hooks()} and {@link #registrations()}
 * return snapshots and never block; registering and unregistering are serialized with each other.
 *
 * <p><b>Ownership and lifecycle:</b> the registry holds hooks by reference and never closes them.
 * A hook unregistered while a transaction is being dispatched may still see that transaction.
 *
 * @since 0.1.0
 */
public final class InterceptHookRegistry {

	/** The order that runs first. */
	public static final int HIGHEST_PRECEDENCE = Integer.MIN_VALUE;

	/** The order that runs last, used by {@link #register(InterceptHook)}. */
	public static final int LOWEST_PRECEDENCE = Integer.MAX_VALUE;

	private final CopyOnWriteArrayList<Registration> registrations = new CopyOnWriteArrayList<>();

	private final Object monitor = new Object();

	/**
	 * Creates an empty registry.
	 */
	public InterceptHookRegistry() {
	}

	/**
	 * Registers a hook to run after all hooks registered so far with an order of their own.
	 * @param hook the hook
	 * @throws IllegalArgumentException if the same hook instance is already registered
	 * @see #register(InterceptHook, int)
	 */
	public void register(InterceptHook hook) {
		register(hook, LOWEST_PRECEDENCE);
	}

	/**
	 * Registers a hook at a position given by its order: after every hook with a lower or equal
	 * order, before every hook with a higher one.
	 * @param hook the hook
	 * @param order lower runs first
	 * @throws IllegalArgumentException if the same hook instance is already registered
	 */
	public void register(InterceptHook hook, int order) {
		Objects.requireNonNull(hook, "hook");
		synchronized (this.monitor) {
			int index = 0;
			for (Registration registration : this.registrations) {
				if (registration.hook() == hook) {
					throw new IllegalArgumentException("Hook '" + hook.name() + "' is already registered");
				}
				if (registration.order() <= order) {
					index++;
				}
			}
			this.registrations.add(index, new Registration(hook, order));
		}
	}

	/**
	 * Removes a hook; it sees no transaction that starts afterwards.
	 * @param hook the hook
	 * @return {@code true} if it was registered
	 */
	public boolean unregister(InterceptHook hook) {
		Objects.requireNonNull(hook, "hook");
		synchronized (this.monitor) {
			return this.registrations.removeIf((registration) -> registration.hook() == hook);
		}
	}

	/**
	 * The registered hooks, in the order they run.
	 * @return an unmodifiable snapshot
	 */
	public List<InterceptHook> hooks() {
		List<InterceptHook> hooks = new ArrayList<>(this.registrations.size());
		for (Registration registration : this.registrations) {
			hooks.add(registration.hook());
		}
		return List.copyOf(hooks);
	}

	/**
	 * The registrations, with their orders, in the order the hooks run.
	 * @return an unmodifiable snapshot
	 */
	public List<Registration> registrations() {
		return List.copyOf(this.registrations);
	}

	/**
	 * How many hooks are registered.
	 * @return the count
	 */
	public int size() {
		return this.registrations.size();
	}

	@Override
	public String toString() {
		return "InterceptHookRegistry" + this.registrations;
	}

	/**
	 * A registered hook and its order.
	 *
	 * @param hook the hook
	 * @param order its order; lower runs first
	 */
	public record Registration(InterceptHook hook, int order) {

		/**
		 * Creates a registration.
		 * @param hook the hook
		 * @param order its order
		 */
		public Registration {
			Objects.requireNonNull(hook, "hook");
		}

		@Override
		public String toString() {
			return this.hook.name() + "@" + this.order;
		}

	}

}
