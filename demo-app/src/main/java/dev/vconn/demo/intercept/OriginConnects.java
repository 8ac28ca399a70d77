package dev.vconn.demo.intercept;

import java.util.Locale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts the intercept's connects to the origin: {@code demo.origin.connects}, tagged
 * {@code outcome} ({@code success}, {@code failure}) and {@code style} ({@code vio},
 * {@code tunnel}). In the {@code vio} style a failed connect never reaches VConn (there is no
 * descriptor to adopt), so this counter is where it shows.
 */
public final class OriginConnects {

	/** The meter's name. */
	public static final String NAME = "demo.origin.connects";

	private final Counter success;

	private final Counter failure;

	/**
	 * Registers both counters of a style.
	 * @param registry where to register them
	 * @param style the intercept style, a tag
	 */
	public OriginConnects(MeterRegistry registry, Style style) {
		this.success = counter(registry, style, "success");
		this.failure = counter(registry, style, "failure");
	}

	void succeeded() {
		this.success.increment();
	}

	void failed() {
		this.failure.increment();
	}

	private static Counter counter(MeterRegistry registry, Style style, String outcome) {
		return Counter.builder(NAME)
			.description("Connects of the intercept example to the origin, by outcome")
			.tag("outcome", outcome)
			.tag("style", style.name().toLowerCase(Locale.ROOT))
			.register(registry);
	}

}
