package dev.vconn.autoconfigure.observation;

import java.net.SocketAddress;

import dev.vconn.intercept.Transaction;
import dev.vconn.intercept.TransactionResult;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link TransactionObservationConvention} reads about one transaction of the intercept
 * listener: the request's method and client at the start, the {@link TransactionResult} at the end.
 * It is a server-side {@link ReceiverContext} whose carrier is the {@link Transaction}, so a tracing
 * handler continues the trace of a client that sent a trace context in its request headers.
 *
 * <p><b>Threads:</b> created and completed on the client connection's event thread. The carrier
 * is read only while the observation starts, during
 * {@link dev.vconn.intercept.InterceptObserver#onTransactionStarted}; what the convention needs
 * later is copied then.
 *
 * @since 0.1.0
 */
public class TransactionObservationContext extends ReceiverContext<Transaction> {

	private final String method;

	private final @Nullable SocketAddress clientAddress;

	private @Nullable TransactionResult result;

	/** The client as high-cardinality key values, made once: the observation asks at its start and its stop. */
	private @Nullable KeyValues peerKeyValues;

	/** Key values kept here rather than in the maps of Micrometer's context; see {@link ContextKeyValues}. */
	private final ContextKeyValues lowCardinality = new ContextKeyValues();

	private final ContextKeyValues highCardinality = new ContextKeyValues();

	/**
	 * Creates the context of a transaction that is starting.
	 * @param transaction the transaction, valid during the start of the observation only
	 */
	public TransactionObservationContext(Transaction transaction) {
		super((carrier, key) -> carrier.header(key).orElse(null), Kind.SERVER);
		setCarrier(transaction);
		this.method = transaction.method();
		this.clientAddress = transaction.clientAddress();
	}

	/**
	 * The request method, as sent.
	 * @return the method
	 */
	public String getMethod() {
		return this.method;
	}

	/**
	 * The client's address.
	 * @return the address, or {@code null} if unknown
	 */
	public @Nullable SocketAddress getClientAddress() {
		return this.clientAddress;
	}

	/**
	 * How the transaction ended.
	 * @return the result once it ended, else {@code null}
	 */
	public @Nullable TransactionResult getResult() {
		return this.result;
	}

	KeyValues peerKeyValues() {
		KeyValues keyValues = this.peerKeyValues;
		if (keyValues == null) {
			keyValues = KeyValueFormat.peer(this.clientAddress);
			this.peerKeyValues = keyValues;
		}
		return keyValues;
	}

	/**
	 * Sets how the transaction ended.
	 * @param result the result
	 */
	public void setResult(TransactionResult result) {
		this.result = result;
	}

	@Override
	public Observation.Context addLowCardinalityKeyValue(KeyValue keyValue) {
		this.lowCardinality.add(keyValue);
		return this;
	}

	@Override
	public Observation.Context addLowCardinalityKeyValues(KeyValues keyValues) {
		this.lowCardinality.add(keyValues);
		return this;
	}

	@Override
	public Observation.Context removeLowCardinalityKeyValue(String keyName) {
		this.lowCardinality.remove(keyName);
		return this;
	}

	@Override
	public Observation.Context removeLowCardinalityKeyValues(String... keyNames) {
		this.lowCardinality.remove(keyNames);
		return this;
	}

	@Override
	public KeyValues getLowCardinalityKeyValues() {
		return this.lowCardinality.all();
	}

	@Override
	public @Nullable KeyValue getLowCardinalityKeyValue(String key) {
		return this.lowCardinality.get(key);
	}

	@Override
	public Observation.Context addHighCardinalityKeyValue(KeyValue keyValue) {
		this.highCardinality.add(keyValue);
		return this;
	}

	@Override
	public Observation.Context addHighCardinalityKeyValues(KeyValues keyValues) {
		this.highCardinality.add(keyValues);
		return this;
	}

	@Override
	public Observation.Context removeHighCardinalityKeyValue(String keyName) {
		this.highCardinality.remove(keyName);
		return this;
	}

	@Override
	public Observation.Context removeHighCardinalityKeyValues(String... keyNames) {
		this.highCardinality.remove(keyNames);
		return this;
	}

	@Override
	public KeyValues getHighCardinalityKeyValues() {
		return this.highCardinality.all();
	}

	@Override
	public @Nullable KeyValue getHighCardinalityKeyValue(String key) {
		return this.highCardinality.get(key);
	}

}
