package dev.vconn.testing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.vconn.IOBuffer;
import dev.vconn.VConnEvent;
import dev.vconn.VConnPair;
import dev.vconn.VConnRuntime;

/**
 * A point that comes later on the event loops of a runtime than everything they were due to do
 * before it: a marker {@link VConnPair} per event thread whose active timeout fires on the runtime's
 * own timer. A loop runs its scheduled tasks in deadline order, and handles the I/O that was ready
 * before a task's turn ahead of it, so once the markers fired, a timer armed earlier for no later, a
 * retry a loop had queued, and bytes that had reached a socket of a loop have all been handled. A
 * test that waits for the fence and then finds that nothing happened has shown that nothing happened
 * up to that point, without sleeping.
 *
 * <p>Armed on an event thread of the runtime (in a continuation), every marker joins that thread's
 * loop. Armed elsewhere, the markers are spread one per loop by the runtime's round-robin choice of
 * loop: nothing else may pick a loop (connect, adopt, accept, make a pair) meanwhile.
 */
public final class TimerFence {

	private final CompletableFuture<?>[] markers;

	private TimerFence(int loops) {
		this.markers = new CompletableFuture<?>[loops];
	}

	/**
	 * Arms the markers, each to fire after {@code delay} on the runtime's timer.
	 * @param runtime the runtime whose loops the markers join
	 * @param delay how long after now, by the loops' clock
	 * @return the fence, to {@link #await}
	 */
	public static TimerFence arm(VConnRuntime runtime, Duration delay) {
		TimerFence fence = new TimerFence(runtime.eventThreads());
		for (int i = 0; i < fence.markers.length; i++) {
			fence.markers[i] = marker(runtime, delay);
		}
		return fence;
	}

	private static CompletableFuture<Void> marker(VConnRuntime runtime, Duration delay) {
		CompletableFuture<Void> fired = new CompletableFuture<>();
		VConnPair marker = VConnPair.create(runtime);
		IOBuffer buffer = IOBuffer.create();
		marker.active().read((event, data) -> {
			if (event == VConnEvent.VCONN_ACTIVE_TIMEOUT) {
				marker.active().close();
				marker.passive().close();
				buffer.close();
				fired.complete(null);
			}
		}, buffer, Long.MAX_VALUE);
		marker.active().setActiveTimeout(delay);
		return fired;
	}

	/** Waits until every marker fired (at most ten seconds). */
	public void await() {
		CompletableFuture.allOf(this.markers).orTimeout(10, TimeUnit.SECONDS).join();
	}

}
