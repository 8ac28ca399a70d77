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
import dev.vconn.intercept.InterceptType;
import dev.vconn.intercept.Transaction;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import org.jspecify.annotations.Nullable;

/** The transaction view offered to hooks: the decoded request head, and who claimed it how. */
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
		if (this.claimedBy != null) {
			throw new IllegalStateException("transaction " + this.id + " is already claimed by " + this.claimedBy);
		}
		this.claimedBy = (this.offeredTo != null) ? this.offeredTo.name() : "unknown";
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
