package dev.vconn.internal.runtime;

import java.util.Objects;
import java.util.function.Function;

import dev.vconn.VConnRuntime;

/**
 * Reaches the engine behind a public {@link VConnRuntime} without widening its API: the runtime
 * class installs the accessor when it is initialised, which has happened once any instance exists.
 */
public final class RuntimeAccess {

	private static volatile Function<VConnRuntime, RuntimeCore> accessor;

	private RuntimeAccess() {
	}

	public static void install(Function<VConnRuntime, RuntimeCore> function) {
		accessor = Objects.requireNonNull(function);
	}

	public static RuntimeCore core(VConnRuntime runtime) {
		return accessor.apply(Objects.requireNonNull(runtime, "runtime"));
	}

}
