package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;

/**
 * The VConn contract ({@link VConnContractTests}) on NIO runtime, connect(),
 * with unpooled buffers.
 */
@DisplayName("VConn contract: NIO runtime, connect(), unpooled buffers")
class NioVConnContractTests extends VConnContractTests {

	NioVConnContractTests() {
		super(TransportFixture.connect(Transport.NIO, BufferAllocator.UNPOOLED));
	}

}
