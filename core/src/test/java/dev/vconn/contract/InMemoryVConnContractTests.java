package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;

/**
 * The VConn contract ({@link VConnContractTests}) on the passive end of an in-memory
 * {@link dev.vconn.VConnPair}, the active end playing the peer ({@link PairPeer}), on a NIO
 * runtime with pooled buffers.
 */
@DisplayName("VConn contract: NIO runtime, VConnPair, pooled buffers")
class InMemoryVConnContractTests extends VConnContractTests {

	InMemoryVConnContractTests() {
		super(TransportFixture.inMemoryPair(Transport.NIO, BufferAllocator.POOLED));
	}

}
