package dev.vconn.autoconfigure;

import dev.vconn.VConnRuntime;

/**
 * Customizes the {@link VConnRuntime.Builder} of the auto-configured runtime, for settings that
 * have no {@code vconn.*} property (for example
 * {@link VConnRuntime.Builder#allowStandardStreams(boolean)}). Declare beans of this type; they
 * run in {@code @Order}, after the properties and listeners were applied, just before the
 * runtime is built.
 *
 * <p><b>Threads:</b> called once, on the thread that creates the runtime bean.
 *
 * <p><b>Lifecycle:</b> not called when the application defines its own {@link VConnRuntime} bean.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface VConnRuntimeBuilderCustomizer {

	/**
	 * Customizes the builder.
	 * @param builder the builder, already configured from the properties
	 */
	void customize(VConnRuntime.Builder builder);

}
