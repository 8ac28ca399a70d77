package dev.vconn.internal.http;

import java.net.SocketAddress;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.vconn.Continuation;
import dev.vconn.intercept.InterceptHook;
import dev.vconn.intercept.InterceptObserver;
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.Transaction;
import dev.vconn.intercept.TransactionObserver;
import dev.vconn.intercept.TransactionOutcome;
import dev.vconn.intercept.TransactionPath;
import dev.vconn.intercept.TransactionResult;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import org.jspecify.annotations.Nullable;

/**
 * The transaction view offered to hooks: the decoded request head, and who claimed it how. It also
 * carries the transaction's report to the observers: started once, ended once, whichever way the
 * listener finishes it.
 */
final class HttpTransaction implements Transaction {

	private static final AtomicLong IDS = new AtomicLong();

	private final long id = IDS.incrementAndGet();

	private final Channel channel;

	private final HttpRequest request;

	private final boolean serverInterceptSupported;

	private boolean dispatching = true;

	private @Nullable InterceptHook offeredTo;

	private @Nullable String claimedBy;

	private @Nullable Continuation continuation;

	private @Nullable InterceptType type;

	private TransactionObserver observer = TransactionObserver.noop();

	private @Nullable TransactionPath path;

	private int status;

	private boolean ended;

	HttpTransaction(Channel channel, HttpRequest request, boolean serverInterceptSupported) {
		this.channel = channel;
		this.request = request;
		this.serverInterceptSupported = serverInterceptSupported;
	}

	@Override
	public long id() {
		return this.id;
	}

	@Override
	public @Nullable SocketAddress clientAddress() {
		return this.channel.remoteAddress();
	}

	@Override
	public @Nullable SocketAddress localAddress() {
		return this.channel.localAddress();
	}

	@Override
	public String method() {
		return this.request.method().name();
	}

	@Override
	public String target() {
		return this.request.uri();
	}

	@Override
	public String version() {
		return this.request.protocolVersion().text();
	}

	@Override
	public Set<String> headerNames() {
		// header names are case-insensitive: one entry per name, spelled as first seen
		Set<String> lowerCase = new java.util.HashSet<>();
		Set<String> names = new LinkedHashSet<>();
		this.request.headers().forEach((entry) -> {
			if (lowerCase.add(entry.getKey().toLowerCase(java.util.Locale.ROOT))) {
				names.add(entry.getKey());
			}
		});
		return Collections.unmodifiableSet(names);
	}

	@Override
	public List<String> headers(String name) {
		return Collections.unmodifiableList(this.request.headers().getAll(name));
	}

	@Override
	public Transaction setHeader(String name, String value) {
		ensureDispatching();
		this.request.headers().set(name, value);
		return this;
	}

	@Override
	public Transaction addHeader(String name, String value) {
		ensureDispatching();
		this.request.headers().add(name, value);
		return this;
	}

	@Override
	public Transaction removeHeader(String name) {
		ensureDispatching();
		this.request.headers().remove(name);
		return this;
	}

	@Override
	public void intercept(Continuation cont) {
		claim(cont, InterceptType.INTERCEPT);
	}

	@Override
	public void serverIntercept(Continuation cont) {
		if (!this.serverInterceptSupported) {
			throw new IllegalStateException("server intercepts need a per-transaction listener");
		}
		claim(cont, InterceptType.SERVER_INTERCEPT);
	}

	private void claim(Continuation cont, InterceptType how) {
		Objects.requireNonNull(cont, "cont");
		ensureDispatching();
		if (this.offeredTo == null) {
			throw new IllegalStateException("only a hook may claim transaction " + this.id);
		}
		if (this.claimedBy != null) {
			throw new IllegalStateException("transaction " + this.id + " is already claimed by " + this.claimedBy);
		}
		this.claimedBy = this.offeredTo.name();
		this.continuation = cont;
		this.type = how;
	}

	private void ensureDispatching() {
		if (!this.dispatching) {
			throw new IllegalStateException("the hooks have already run for transaction " + this.id);
		}
	}

	@Override
	public @Nullable String claimedBy() {
		return this.claimedBy;
	}

	// ---- for the listener ----

	HttpRequest request() {
		return this.request;
	}

	/** The head is well-formed: the observers hear of the transaction before the hooks see it. */
	void started(InterceptObserver observers) {
		this.observer = observers.onTransactionStarted(this);
	}

	/** The hooks have run: where the transaction goes. */
	void routed(TransactionPath path) {
		this.path = path;
	}

	/** The head of the final response went to the client. */
	void responded(int status) {
		this.status = status;
	}

	/** Tells the observers how the transaction ended; only the first call counts. */
	void ended(TransactionOutcome outcome, int status) {
		if (this.ended) {
			return;
		}
		this.ended = true;
		if (this.observer != TransactionObserver.noop()) {
			int sent = (status != 0) ? status : this.status;
			String hook = (this.claimedBy != null) ? this.claimedBy
					: (this.path == null && this.offeredTo != null) ? this.offeredTo.name() : null;
			this.observer.onEnded(TransactionResult.of(outcome, this.path, this.type, hook, sent));
		}
	}


	void offeredTo(InterceptHook hook) {
		this.offeredTo = hook;
	}

	void endDispatch() {
		this.dispatching = false;
	}

	@Nullable Continuation continuation() {
		return this.continuation;
	}

	@Nullable InterceptType type() {
		return this.type;
	}

}
