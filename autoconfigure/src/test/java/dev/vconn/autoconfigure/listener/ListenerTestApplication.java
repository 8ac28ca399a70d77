package dev.vconn.autoconfigure.listener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.vconn.TunnelResult;
import dev.vconn.VConnListener;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.Transaction;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * A web application with the actuator, VConn's intercept listener and three hooks: {@link HelloHook}
 * takes {@code /hooked} over, {@code failing} throws on {@code /boom}, {@code observer} only
 * watches. Everything else reaches {@link OriginController} through a tunnel.
 */
@SpringBootApplication
public class ListenerTestApplication {

	@Bean
	@Order(2)
	InterceptHook failingHook() {
		return new InterceptHook() {

			@Override
			public String name() {
				return "failing";
			}

			@Override
			public void onTransaction(Transaction txn) {
				if (txn.target().startsWith("/boom")) {
					throw new IllegalStateException("boom");
				}
			}

		};
	}

	@Bean
	@Order(3)
	ObservingHook observingHook() {
		return new ObservingHook();
	}

	@Bean
	TunnelResults tunnelResults() {
		return new TunnelResults();
	}

	/** Sees every transaction the hooks before it let through. */
	static class ObservingHook implements InterceptHook {

		final List<String> targets = new CopyOnWriteArrayList<>();

		@Override
		public String name() {
			return "observer";
		}

		@Override
		public void onTransaction(Transaction txn) {
			this.targets.add(txn.method() + " " + txn.target());
		}

	}

	/** Keeps every tunnel's result. */
	static class TunnelResults implements VConnListener {

		final List<TunnelResult> results = new CopyOnWriteArrayList<>();

		@Override
		public void onTunnelEnded(TunnelResult result) {
			this.results.add(result);
		}

	}

}
