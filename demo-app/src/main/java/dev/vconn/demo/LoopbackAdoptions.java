package dev.vconn.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import dev.vconn.Adoption;
import dev.vconn.VConn;
import dev.vconn.VConnFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Makes connected loopback socket pairs and adopts one end of each as a VConn with the injected
 * {@link VConnFactory}.
 */
@Component
class LoopbackAdoptions implements DisposableBean {

	private final VConnFactory factory;

	private final LoopbackPeers peers;

	private final ServerSocketChannel server;

	LoopbackAdoptions(VConnFactory factory, LoopbackPeers peers) throws IOException {
		this.factory = factory;
		this.peers = peers;
		this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
	}

	/**
	 * Connects a JDK socket channel to a loopback listener and adopts it.
	 * @return the adoption: the VConn, or why it failed (both ends are then closed here)
	 * @throws IOException if the loopback connection could not be made
	 */
	Adoption adoptLoopbackConnection() throws IOException {
		SocketChannel client = SocketChannel.open(this.server.getLocalAddress());
		SocketChannel peer = this.server.accept();
		Adoption adoption = this.factory.adopt(client);
		VConn vconn = adoption.vconn();
		if (vconn != null) {
			this.peers.hold(vconn, peer);
		}
		else {
			// A failed adoption leaves the channel ours to close.
			client.close();
			peer.close();
		}
		return adoption;
	}

	@Override
	public void destroy() throws IOException {
		this.server.close();
	}

}
