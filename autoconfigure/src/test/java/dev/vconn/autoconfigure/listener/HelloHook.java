package dev.vconn.autoconfigure.listener;

import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.Transaction;

import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Takes over the connections whose first request asks for {@code /hooked}, and answers them
 * itself with a {@link HelloResponder}. Quoted in docs/getting-started.md.
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
		if (txn.target().startsWith("/hooked")) {
			txn.intercept(new HelloResponder(txn.method() + " " + txn.target()));
		}
	}

}
