package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The VConn contract (see {@link VConnContractTests}) on epoll runtime, connect().
 */
@EnabledOnOs(OS.LINUX)
@DisplayName("VConn contract: epoll runtime, connect()")
class EpollVConnContractTests extends VConnContractTests {

	EpollVConnContractTests() {
		super(TransportFixture.connect(Transport.EPOLL));
	}

}
