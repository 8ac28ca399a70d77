package dev.vconn.autoconfigure.observation;

import java.net.SocketAddress;
import java.util.Objects;

import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.VConn;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * What an {@link AdoptionObservationConvention} reads about one adoption or connect: its source and
 * target at the start, the VConn or the failure reason at the end.
 *
 * <p><b>Threads:</b> filled in on the thread that starts the attempt and on the one that ends it
 * (see {@link dev.vconn.AdoptionObserver}); the observation hands it over.
 *
 * @since 0.1.0
 */
public class AdoptionObservationContext extends Observation.Context {

	private final AdoptionSource source;

	private final @Nullable SocketAddress remote;

	private @Nullable VConn vconn;

	private @Nullable AdoptionFailureReason failureReason;

	/** The peer's key values, kept for the observation's stop, and the address they were made of. */
	private @Nullable KeyValues peerKeyValues;

	private @Nullable SocketAddress peerKeyValuesOf;

	/** Key values kept here rather than in the maps of Micrometer's context; see {@link ContextKeyValues}. */
	private final ContextKeyValues lowCardinality = new ContextKeyValues();

	private final ContextKeyValues highCardinality = new ContextKeyValues();

	/**
	 * Creates the context of an attempt that is starting.
	 * @param source what is being adopted
	 * @param remote the address a connect goes to, or {@code null} for an adoption
	 */
	public AdoptionObservationContext(AdoptionSource source, @Nullable SocketAddress remote) {
		this.source = source;
		this.remote = remote;
	}

	/**
	 * What is being adopted.
	 * @return the source
	 */
	public AdoptionSource getSource() {
		return this.source;
	}

	/**
	 * The peer: the VConn's remote address once adopted, else the address a connect goes to.
	 * @return the address, or {@code null} while unknown (an adoption not yet done or failed)
	 */
	public @Nullable SocketAddress getRemoteAddress() {
		VConn adopted = this.vconn;
		SocketAddress peer = (adopted != null) ? adopted.remoteAddress() : null;
		return (peer != null) ? peer : this.remote;
	}

	/**
	 * The new VConn.
	 * @return the VConn once adopted, else {@code null}
	 */
	public @Nullable VConn getVConn() {
		return this.vconn;
	}

	/**
	 * Sets the VConn the attempt produced.
	 * @param vconn the new VConn
	 */
	public void setVConn(VConn vconn) {
		this.vconn = vconn;
	}

	/**
	 * Why the attempt failed.
	 * @return the reason once it failed, else {@code null}
	 */
	public @Nullable AdoptionFailureReason getFailureReason() {
		return this.failureReason;
	}

	/**
	 * Sets why the attempt failed.
	 * @param failureReason the reason
	 */
	public void setFailureReason(AdoptionFailureReason failureReason) {
		this.failureReason = failureReason;
	}

	/** The peer as high-cardinality key values, made again only if the peer changed since the last call. */
	KeyValues peerKeyValues() {
		SocketAddress peer = getRemoteAddress();
		KeyValues keyValues = this.peerKeyValues;
		if (keyValues == null || !Objects.equals(peer, this.peerKeyValuesOf)) {
			keyValues = KeyValueFormat.peer(peer);
			this.peerKeyValues = keyValues;
			this.peerKeyValuesOf = peer;
		}
		return keyValues;
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
