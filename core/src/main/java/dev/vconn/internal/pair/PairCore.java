package dev.vconn.internal.pair;

import dev.vconn.internal.runtime.RuntimeCore;
import java.util.Objects;

import dev.vconn.AdoptionException;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.VConn;
import io.netty.channel.EventLoop;

/**
 * Creates and holds the two connected ends of an in-memory VConn pair; the engine behind
 * {@code dev.vconn.VConnPair}. Both ends live on one event loop of the runtime, chosen like a
 * socket VConn's (the caller's own loop when called on one), and are live VConns of the runtime,
 * reported with {@link AdoptionSource#INTERCEPT}, holding no connection slot.
 */
public final class PairCore {

	private final PairVConn active;

	private final PairVConn passive;

	private PairCore(PairVConn active, PairVConn passive) {
		this.active = active;
		this.passive = passive;
	}

	/**
	 * Creates a connected pair on {@code runtime}.
	 * @param runtime the runtime whose event loop drives the pair and which counts its ends
	 * @param capacity the most bytes each direction holds between the ends, at least 1
	 * @return the pair, both ends open
	 * @throws AdoptionException with {@link AdoptionFailureReason#SHUTTING_DOWN} once the runtime is
	 * closing
	 */
	public static PairCore create(RuntimeCore runtime, int capacity) {
		Objects.requireNonNull(runtime, "runtime");
		if (capacity < 1) {
			throw new IllegalArgumentException("bufferWaterMark must be at least 1, was " + capacity);
		}
		long start = System.nanoTime();
		if (runtime.isRunning()) {
			EventLoop loop = RuntimeCore.chooseLoop(runtime.group());
			PairVConn active = new PairVConn(runtime, runtime.nextId(), "active", loop, capacity);
			PairVConn passive = new PairVConn(runtime, runtime.nextId(), "passive", loop, capacity);
			active.connect(passive);
			passive.connect(active);
			if (runtime.startInMemory(active, passive, start)) {
				return new PairCore(active, passive);
			}
			active.discard();
			passive.discard();
		}
		runtime.adoptionFailed(AdoptionSource.INTERCEPT, AdoptionFailureReason.SHUTTING_DOWN, start);
		throw new AdoptionException(AdoptionFailureReason.SHUTTING_DOWN, "the runtime is shutting down");
	}

	/**
	 * The end used by the proxy.
	 * @return the active end
	 */
	public VConn active() {
		return this.active;
	}

	/**
	 * The end handed to the plugin.
	 * @return the passive end
	 */
	public VConn passive() {
		return this.passive;
	}

}
