package dev.vconn.contract;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The VConn contract (see {@link VConnContractTests}) on epoll runtime, adopt(int fd) of a raw connected descriptor.
 */
@EnabledOnOs(OS.LINUX)
@DisplayName("VConn contract: epoll runtime, adopt(int fd) of a raw connected descriptor")
class EpollFdVConnContractTests extends VConnContractTests {

	EpollFdVConnContractTests() {
		super(TransportFixture.rawFd());
	}

}
