package dev.vconn.internal.runtime;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;

/**
 * An event loop's I/O handler that passes every call to another; subclasses change the calls they
 * need to. Called on the loop's thread, as Netty calls any {@link IoHandler} (except
 * {@link #wakeup()}).
 */
public class ForwardingIoHandler implements IoHandler {

	protected final IoHandler delegate;

	protected ForwardingIoHandler(IoHandler delegate) {
		this.delegate = delegate;
	}

	@Override
	public void initialize() {
		this.delegate.initialize();
	}

	@Override
	public int run(IoHandlerContext context) {
		return this.delegate.run(context);
	}

	@Override
	public void prepareToDestroy() {
		this.delegate.prepareToDestroy();
	}

	@Override
	public void destroy() {
		this.delegate.destroy();
	}

	@Override
	public IoRegistration register(IoHandle handle) throws Exception {
		return this.delegate.register(handle);
	}

	@Override
	public void wakeup() {
		this.delegate.wakeup();
	}

	@Override
	public boolean isCompatible(Class<? extends IoHandle> handleType) {
		return this.delegate.isCompatible(handleType);
	}

}
