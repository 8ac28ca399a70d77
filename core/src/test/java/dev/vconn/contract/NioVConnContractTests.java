package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;

/**
 * The VConn contract (see {@link VConnContractTests}) on NIO runtime, connect().
 */
@DisplayName("VConn contract: NIO runtime, connect()")
class NioVConnContractTests extends VConnContractTests {

	NioVConnContractTests() {
		super(TransportFixture.connect(Transport.NIO));
	}

}
