package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;

/**
 * The VConn contract ({@link VConnContractTests}) on NIO runtime, adopt(SocketChannel),
 * with adaptive buffers.
 */
@DisplayName("VConn contract: NIO runtime, adopt(SocketChannel), adaptive buffers")
class NioChannelVConnContractTests extends VConnContractTests {

	NioChannelVConnContractTests() {
		super(TransportFixture.jdkChannel(Transport.NIO, BufferAllocator.ADAPTIVE));
	}

}
