package dev.vconn.demo.intercept;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.vconn.Continuation;
import dev.vconn.Tunnel;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The same intercept as {@link VioIntercept} in a few lines: connect to the origin without
 * blocking ({@code VConnFactory.connect}), then let a {@link Tunnel} shuffle the bytes, with
 * bounded buffers, half-close without truncation, and both sides aborted on a timeout.
 */
final class TunnelIntercept implements Continuation {

	private static final Log logger = LogFactory.getLog(TunnelIntercept.class);

	private final InterceptSettings settings;

	/** Its own lock, made with it, as the seed's {@code TSContCreate(handler, TSMutexCreate())}. */
	private final Lock mutex = new ReentrantLock();

	TunnelIntercept(InterceptSettings settings) {
		this.settings = settings;
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		if (event != VConnEvent.NET_ACCEPT || !(data instanceof VConn client)) {
			return; // NET_ACCEPT_FAILED: nothing was allocated
		}
		this.settings.factory().connect(this.settings.origin().address()).whenComplete((server, failure) -> {
			if (failure != null) {
				this.settings.connects().failed();
				logger.warn("Intercept: connect to the origin failed (" + failure.getMessage()
						+ "); aborting the client VConn");
				client.abort(0);
				return;
			}
			this.settings.connects().succeeded();
			client.setInactivityTimeout(this.settings.inactivityTimeout());
			server.setInactivityTimeout(this.settings.inactivityTimeout());
			Tunnel.start(client, server);
		});
	}

}
