package dev.vconn.contract;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The VConn contract ({@link VConnContractTests}) on epoll runtime, adopt(int fd) of a raw connected descriptor,
 * with adaptive buffers.
 */
@EnabledOnOs(OS.LINUX)
@DisplayName("VConn contract: epoll runtime, adopt(int fd) of a raw connected descriptor, adaptive buffers")
class EpollFdVConnContractTests extends VConnContractTests {

	EpollFdVConnContractTests() {
		super(TransportFixture.rawFd(BufferAllocator.ADAPTIVE));
	}

}
