package dev.vconn.autoconfigure.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations VConn records, with their key names. {@code docs/tracing.md} lists the same,
 * and a test keeps the two in step.
 *
 * @since 0.1.0
 */
public enum VConnObservationDocumentation implements ObservationDocumentation {

	/**
	 * One adoption of a descriptor or a channel, or one connect: from the call to the factory until
	 * the VConn is live or the attempt failed.
	 */
	ADOPTION {

		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultAdoptionObservationConvention.class;
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return AdoptionLowCardinalityKeys.values();
		}

		@Override
		public KeyName[] getHighCardinalityKeyNames() {
			return PeerKeys.values();
		}

	},

	/**
	 * One transaction of the intercept listener: from the moment its request head is read until its
	 * response was relayed, the connection handed over, or the transaction failed or was abandoned.
	 */
	TRANSACTION {

		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultTransactionObservationConvention.class;
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return TransactionLowCardinalityKeys.values();
		}

		@Override
		public KeyName[] getHighCardinalityKeyNames() {
			return PeerKeys.values();
		}

	};

	/** Low-cardinality keys of {@link #ADOPTION}. */
	public enum AdoptionLowCardinalityKeys implements KeyName {

		/** {@code success} or {@code failure}. */
		OUTCOME {
			@Override
			public String asString() {
				return "outcome";
			}
		},

		/** Why the attempt failed: an {@link dev.vconn.AdoptionFailureReason} in lower case, or {@code none}. */
		REASON {
			@Override
			public String asString() {
				return "reason";
			}
		},

		/** What was adopted: {@code fd}, {@code channel} or {@code connect}. */
		SOURCE {
			@Override
			public String asString() {
				return "source";
			}
		}

	}

	/** Low-cardinality keys of {@link #TRANSACTION}. */
	public enum TransactionLowCardinalityKeys implements KeyName {

		/**
		 * How the transaction ended: a {@link dev.vconn.intercept.TransactionOutcome} in lower case
		 * ({@code completed}, {@code rejected}, {@code aborted}, {@code abandoned}).
		 */
		OUTCOME {
			@Override
			public String asString() {
				return "outcome";
			}
		},

		/** How a hook claimed it: {@code intercept}, {@code server_intercept}, or {@code none}. */
		TYPE {
			@Override
			public String asString() {
				return "type";
			}
		},

		/**
		 * Which way it was served: {@code intercepted}, {@code server_intercepted},
		 * {@code pass_through}, or {@code none} when a hook threw.
		 */
		PATH {
			@Override
			public String asString() {
				return "path";
			}
		},

		/** The name of the hook that claimed it or threw, or {@code none}; hook names are configured, so bounded. */
		HOOK {
			@Override
			public String asString() {
				return "hook";
			}
		},

		/** The request method, {@code other} for one outside RFC 9110's and {@code PATCH}. */
		METHOD {
			@Override
			public String asString() {
				return "method";
			}
		},

		/** The final status the client got, such as {@code 200} or {@code 502}, or {@code none}. */
		STATUS {
			@Override
			public String asString() {
				return "status";
			}
		}

	}

	/** High-cardinality keys of both observations: the peer of the connection. */
	public enum PeerKeys implements KeyName {

		/**
		 * The peer's IP address (the client of a transaction, the remote end of an adopted or
		 * connected socket), the path of a Unix domain socket, or {@code unknown}.
		 */
		PEER_ADDRESS {
			@Override
			public String asString() {
				return "network.peer.address";
			}
		},

		/** The peer's port; absent for a Unix domain socket or an unknown peer. */
		PEER_PORT {
			@Override
			public String asString() {
				return "network.peer.port";
			}

			@Override
			public boolean isRequired() {
				return false;
			}
		}

	}

}
