package dev.vconn;

/**
 * The Netty transport a {@link VConnRuntime} runs on.
 *
 * @since 0.1.0
 */
public enum Transport {

	/** Epoll when the Linux native transport is available, NIO otherwise. */
	AUTO,

	/** Linux epoll (native). Required to adopt raw file descriptors. */
	EPOLL,

	/** JDK NIO. Works everywhere; cannot adopt raw file descriptors. */
	NIO

}
