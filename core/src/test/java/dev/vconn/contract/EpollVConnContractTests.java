package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The VConn contract ({@link VConnContractTests}) on epoll runtime, connect(),
 * with pooled buffers.
 */
@EnabledOnOs(OS.LINUX)
@DisplayName("VConn contract: epoll runtime, connect(), pooled buffers")
class EpollVConnContractTests extends VConnContractTests {

	EpollVConnContractTests() {
		super(TransportFixture.connect(Transport.EPOLL, BufferAllocator.POOLED));
	}

}
