package dev.vconn.autoconfigure.observation;

import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.Transaction;
import dev.vconn.intercept.TransactionObserver;
import dev.vconn.intercept.TransactionResult;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * An {@link InterceptObserver} that records a {@link VConnObservationDocumentation#TRANSACTION}
 * observation around each transaction of an intercept listener. Add it with
 * {@link dev.vconn.intercept.InterceptListener.Builder#addObserver}; the Spring Boot starter does so
 * when an {@link ObservationRegistry} bean exists.
 *
 * <p><b>Threads:</b> the observation starts and stops on the client connection's event thread,
 * which serves other connections in between. It is therefore started with no parent (whatever a
 * careless caller left current on that thread is ignored), continues the client's trace when the
 * request carries a trace context (the context is a {@link io.micrometer.observation.transport.ReceiverContext}),
 * and never opens a scope, so the event thread's thread-locals stay as they were.
 *
 * <p><b>Cost:</b> with a no-op registry (or one without handlers) each transaction costs one check
 * and allocates nothing.
 *
 * @since 0.1.0
 */
public final class ObservationInterceptObserver implements InterceptObserver {

	private final ObservationRegistry registry;

	private final @Nullable TransactionObservationConvention convention;

	/**
	 * Creates an observer with the default convention (or a global one registered with the registry).
	 * @param registry where observations are recorded
	 */
	public ObservationInterceptObserver(ObservationRegistry registry) {
		this(registry, null);
	}

	/**
	 * Creates an observer.
	 * @param registry where observations are recorded
	 * @param convention the convention to use instead of the default, or {@code null}
	 */
	public ObservationInterceptObserver(ObservationRegistry registry,
			@Nullable TransactionObservationConvention convention) {
		this.registry = registry;
		this.convention = convention;
	}

	@Override
	public TransactionObserver onTransactionStarted(Transaction txn) {
		if (this.registry.isNoop()) {
			return TransactionObserver.noop();
		}
		TransactionObservationContext context = new TransactionObservationContext(txn);
		Observation observation = VConnObservationDocumentation.TRANSACTION
			.observation(this.convention, DefaultTransactionObservationConvention.INSTANCE, () -> context,
					this.registry)
			.parentObservation(null)
			.start();
		return new TransactionObserver() {

			@Override
			public void onEnded(TransactionResult result) {
				context.setResult(result);
				observation.stop();
			}

		};
	}

	@Override
	public String toString() {
		return "ObservationInterceptObserver[registry=" + this.registry + "]";
	}

}
