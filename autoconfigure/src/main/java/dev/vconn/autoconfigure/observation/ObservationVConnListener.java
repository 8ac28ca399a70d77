package dev.vconn.autoconfigure.observation;

import java.net.SocketAddress;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionObserver;
import dev.vconn.AdoptionSource;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * A {@link VConnListener} that records a {@link VConnObservationDocumentation#ADOPTION} observation
 * around each adoption and connect. Add it to the runtime with
 * {@link dev.vconn.VConnRuntime.Builder#addListener}; the Spring Boot starter does so when an
 * {@link ObservationRegistry} bean exists.
 *
 * <p><b>Threads:</b> the observation starts on the thread that calls the factory, so its parent is
 * the observation current there (the request that asked for the connect, for example); it stops on
 * the thread that ends the attempt, often an event thread. No scope is opened, so nothing is left
 * in the thread-locals of either thread.
 *
 * <p><b>Cost:</b> with a no-op registry (or one without handlers) each attempt costs one check and
 * allocates nothing.
 *
 * @since 0.1.0
 */
public final class ObservationVConnListener implements VConnListener {

	private final ObservationRegistry registry;

	private final @Nullable AdoptionObservationConvention convention;

	/**
	 * Creates a listener with the default convention (or a global one registered with the registry).
	 * @param registry where observations are recorded
	 */
	public ObservationVConnListener(ObservationRegistry registry) {
		this(registry, null);
	}

	/**
	 * Creates a listener.
	 * @param registry where observations are recorded
	 * @param convention the convention to use instead of the default, or {@code null}
	 */
	public ObservationVConnListener(ObservationRegistry registry, @Nullable AdoptionObservationConvention convention) {
		this.registry = registry;
		this.convention = convention;
	}

	@Override
	public AdoptionObserver onAdoptionStarted(AdoptionSource source, @Nullable SocketAddress remote) {
		if (this.registry.isNoop()) {
			return AdoptionObserver.noop();
		}
		AdoptionObservationContext context = new AdoptionObservationContext(source, remote);
		Observation observation = VConnObservationDocumentation.ADOPTION.start(this.convention,
				DefaultAdoptionObservationConvention.INSTANCE, () -> context, this.registry);
		return new AdoptionObserver() {

			@Override
			public void onAdopted(VConn vconn) {
				context.setVConn(vconn);
				observation.stop();
			}

			@Override
			public void onFailed(AdoptionFailureReason reason) {
				context.setFailureReason(reason);
				observation.stop();
			}

		};
	}

	@Override
	public String toString() {
		return "ObservationVConnListener[registry=" + this.registry + "]";
	}

}
