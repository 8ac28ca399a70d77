package dev.vconn.contract;

import dev.vconn.Transport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The VConn contract ({@link VConnContractTests}) on epoll runtime, adopt(SocketChannel) on its NIO loops,
 * with unpooled buffers.
 */
@EnabledOnOs(OS.LINUX)
@DisplayName("VConn contract: epoll runtime, adopt(SocketChannel) on its NIO loops, unpooled buffers")
class EpollChannelVConnContractTests extends VConnContractTests {

	EpollChannelVConnContractTests() {
		super(TransportFixture.jdkChannel(Transport.EPOLL, BufferAllocator.UNPOOLED));
	}

}
