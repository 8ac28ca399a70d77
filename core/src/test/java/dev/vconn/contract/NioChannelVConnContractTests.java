package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;

/**
 * The VConn contract (see {@link VConnContractTests}) on NIO runtime, adopt(SocketChannel).
 */
@DisplayName("VConn contract: NIO runtime, adopt(SocketChannel)")
class NioChannelVConnContractTests extends VConnContractTests {

	NioChannelVConnContractTests() {
		super(TransportFixture.jdkChannel(Transport.NIO));
	}

}
