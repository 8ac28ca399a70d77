package dev.vconn.autoconfigure.listener;

import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.Transaction;

import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Answers {@code /served} itself, one transaction at a time, and takes over the connections whose
 * request asks for {@code /hooked}; both with a {@link HelloResponder}. Quoted in
 * docs/getting-started.md.
 */
@Component
@Order(1)
public class HelloHook implements InterceptHook {

	@Override
	public String name() {
		return "hello";
	}

	@Override
	public void onTransaction(Transaction txn) {
		if (txn.target().startsWith("/served")) {
			// this transaction only: the listener relays the response and keeps the client connection
			txn.serverIntercept(new HelloResponder(txn.method() + " " + txn.target()));
		}
		else if (txn.target().startsWith("/hooked")) {
			// the whole client connection, until the responder closes it
			txn.intercept(new HelloResponder(txn.method() + " " + txn.target()));
		}
	}

}
