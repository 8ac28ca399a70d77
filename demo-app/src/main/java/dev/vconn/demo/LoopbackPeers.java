package dev.vconn.demo;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.vconn.CloseKind;
import dev.vconn.VConn;
import dev.vconn.VConnListener;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Holds the far end of each adopted loopback connection and closes it when its VConn ends. As a
 * {@link VConnListener} bean it is added to the runtime when the runtime is built, so it depends
 * on nothing of VConn's itself.
 */
@Component
class LoopbackPeers implements VConnListener, DisposableBean {

	private final Map<Long, SocketChannel> peers = new ConcurrentHashMap<>();

	void hold(VConn vconn, SocketChannel peer) {
		this.peers.put(vconn.id(), peer);
		if (vconn.isClosed()) {
			// Ended before the peer was recorded: onClosed may already have run.
			release(vconn.id());
		}
	}

	@Override
	public void onClosed(VConn vconn, CloseKind how) {
		release(vconn.id());
	}

	private void release(long id) {
		@Nullable SocketChannel peer = this.peers.remove(id);
		if (peer != null) {
			try {
				peer.close();
			}
			catch (IOException ex) {
				// Nothing more to release.
			}
		}
	}

	@Override
	public void destroy() {
		this.peers.keySet().forEach(this::release);
	}

}
