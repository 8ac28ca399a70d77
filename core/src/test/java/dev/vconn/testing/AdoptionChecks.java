package dev.vconn.testing;

import java.nio.channels.SocketChannel;
import java.time.Duration;

import dev.vconn.Adoption;
import dev.vconn.AdoptionException;
import dev.vconn.AdoptionFailureReason;
import dev.vconn.AdoptionSource;
import dev.vconn.VConn;
import dev.vconn.VConnRuntime;
import dev.vconn.testing.NativeFds.FdState;
import dev.vconn.testing.RecordingListener.Failed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.fail;

/**
 * Assertions of the adoption contract, shared by the adoption test classes. Each failing
 * adoption is attempted twice, with {@code fdCreate} and with {@code adopt}, and after each
 * attempt the descriptor's whole observable state is compared with a snapshot taken before.
 */
public final class AdoptionChecks {

	private final VConnRuntime runtime;

	private final RecordingListener listener;

	private final NativeFds fds;

	/** The transport, named in every failure message. */
	private final String where;

	/**
	 * Checks on one runtime.
	 * @param runtime the runtime under test
	 * @param listener a listener registered on that runtime
	 * @param fds the fixture that owns the test's descriptors
	 */
	public AdoptionChecks(VConnRuntime runtime, RecordingListener listener, NativeFds fds) {
		this.runtime = runtime;
		this.listener = listener;
		this.fds = fds;
		this.where = "[" + runtime.transport() + "] ";
	}

	/**
	 * Asserts that adopting {@code fd} fails with {@code reason}, through {@code fdCreate} (null) and
	 * {@code adopt} (a failure), and that the descriptor is exactly as it was after each attempt:
	 * open (or still closed), same fdinfo flags, close-on-exec flag, offset, pending bytes, readiness
	 * (including a pending error) and socket options, registered with no epoll instance; and that
	 * the listener saw exactly one {@code onAdoptionFailed(FD, reason)} per attempt and nothing else.
	 * @param fd the descriptor
	 * @param reason the expected reason
	 * @return the failed adoption
	 */
	public Adoption assertFdAdoptionFails(int fd, AdoptionFailureReason reason) {
		return assertFdAdoptionFails(fd, reason, true);
	}

	/**
	 * Like {@link #assertFdAdoptionFails(int, AdoptionFailureReason)}, optionally comparing only
	 * what no other thread changes (for descriptors 0, 1 and 2, whose traffic and offsets move
	 * while the test runs).
	 * @param fd the descriptor
	 * @param reason the expected reason
	 * @param fullState whether to compare the full state or only flags, inode and options
	 * @return the failed adoption
	 */
	public Adoption assertFdAdoptionFails(int fd, AdoptionFailureReason reason, boolean fullState) {
		FdState before = snapshot(fd, fullState);
		int activeBefore = this.runtime.activeCount();
		this.listener.clear();

		VConn created = this.runtime.factory().fdCreate(fd);
		if (created != null) {
			this.fds.release(fd);
			fail(this.where + "fdCreate(%d) returned %s, expected null (%s); the fd now belongs to that VConn", fd, created,
					reason);
		}
		assertThat(this.listener.events()).as(this.where + "listener events after fdCreate(%d)", fd)
			.containsExactly(new Failed(AdoptionSource.FD, reason));
		assertThat(snapshot(fd, fullState)).as(this.where + "state of fd %d after fdCreate failed", fd).isEqualTo(before);

		Adoption adoption = this.runtime.factory().adopt(fd);
		if (adoption.isSuccess()) {
			this.fds.release(fd);
			fail(this.where + "adopt(%d) succeeded with %s, expected %s; the fd now belongs to that VConn", fd, adoption.vconn(),
					reason);
		}
		assertFailure(adoption, reason);
		assertThat(this.listener.events()).as(this.where + "listener events after fdCreate(%d) and adopt(%d)", fd, fd)
			.containsExactly(new Failed(AdoptionSource.FD, reason), new Failed(AdoptionSource.FD, reason));
		assertThat(snapshot(fd, fullState)).as(this.where + "state of fd %d after adopt failed", fd).isEqualTo(before);
		if (before.open()) {
			assertThat(NativeFds.epollWatchers(fd)).as(this.where + "epoll instances watching fd %d after the failures", fd)
				.isEmpty();
		}
		else {
			assertThat(NativeFds.isOpen(fd)).as(this.where + "fd %d still closed", fd).isFalse();
		}
		assertThat(this.runtime.activeCount()).as(this.where + "active VConns").isEqualTo(activeBefore);
		return adoption;
	}

	/**
	 * Asserts that adopting {@code channel} fails with {@code reason}, through {@code fdCreate} and
	 * {@code adopt}, that the channel keeps its open/connected/registered state and blocking mode,
	 * and that the listener saw exactly one {@code onAdoptionFailed(CHANNEL, reason)} per attempt.
	 * @param channel the channel
	 * @param reason the expected reason
	 * @return the failed adoption
	 */
	public Adoption assertChannelAdoptionFails(SocketChannel channel, AdoptionFailureReason reason) {
		ChannelState before = ChannelState.of(channel);
		int activeBefore = this.runtime.activeCount();
		this.listener.clear();

		VConn created = this.runtime.factory().fdCreate(channel);
		if (created != null) {
			fail(this.where + "fdCreate(%s) returned %s, expected null (%s)", channel, created, reason);
		}
		assertThat(this.listener.events()).as(this.where + "listener events after fdCreate(channel)")
			.containsExactly(new Failed(AdoptionSource.CHANNEL, reason));
		assertThat(ChannelState.of(channel)).as(this.where + "channel state after fdCreate failed").isEqualTo(before);

		Adoption adoption = this.runtime.factory().adopt(channel);
		if (adoption.isSuccess()) {
			fail(this.where + "adopt(%s) succeeded with %s, expected %s", channel, adoption.vconn(), reason);
		}
		assertFailure(adoption, reason);
		assertThat(this.listener.events()).as(this.where + "listener events after fdCreate(channel) and adopt(channel)")
			.containsExactly(new Failed(AdoptionSource.CHANNEL, reason), new Failed(AdoptionSource.CHANNEL, reason));
		assertThat(ChannelState.of(channel)).as(this.where + "channel state after adopt failed").isEqualTo(before);
		assertThat(this.runtime.activeCount()).as(this.where + "active VConns").isEqualTo(activeBefore);
		return adoption;
	}

	/**
	 * Adopts a descriptor that must be accepted; on success the fixture gives it up.
	 * @param fd the descriptor
	 * @return the VConn
	 */
	public VConn adopt(int fd) {
		Adoption adoption = this.runtime.factory().adopt(fd);
		if (adoption.isSuccess()) {
			this.fds.release(fd);
		}
		assertThat(adoption.isSuccess()).as(this.where + "adopt(%d): %s", fd, adoption).isTrue();
		return adoption.vconn();
	}

	/**
	 * Adopts a channel that must be accepted.
	 * @param channel the channel
	 * @return the VConn
	 */
	public VConn adopt(SocketChannel channel) {
		Adoption adoption = this.runtime.factory().adopt(channel);
		assertThat(adoption.isSuccess()).as(this.where + "adopt(%s): %s", channel, adoption).isTrue();
		return adoption.vconn();
	}

	/**
	 * Asserts the shape of a failed {@link Adoption}.
	 * @param adoption the result
	 * @param reason the expected reason
	 */
	public static void assertFailure(Adoption adoption, AdoptionFailureReason reason) {
		assertThat(adoption.isSuccess()).as("isSuccess of %s", adoption).isFalse();
		assertThat(adoption.vconn()).as("vconn of %s", adoption).isNull();
		assertThat(adoption.failureReason()).as("failureReason of %s", adoption).isEqualTo(reason);
		assertThat(adoption.message()).as("message of %s", adoption).isNotBlank();
		assertThatExceptionOfType(AdoptionException.class).isThrownBy(adoption::orElseThrow)
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(reason));
	}

	/**
	 * Waits for the runtime to have no live VConn.
	 * @param runtime the runtime
	 */
	public static void awaitNoActiveVConn(VConnRuntime runtime) {
		org.awaitility.Awaitility.await("no active VConn on " + runtime)
			.atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(5))
			.until(() -> runtime.activeCount() == 0);
	}

	private static FdState snapshot(int fd, boolean full) {
		if (fd < 0) {
			return new FdState(false, -1, -1, -1, -1, -1, (short) 0, java.util.Map.of());
		}
		FdState state = NativeFds.state(fd);
		if (full) {
			return state;
		}
		java.util.Map<String, String> options = new java.util.LinkedHashMap<>(state.socketOptions());
		return new FdState(state.open(), state.flags(), state.fdFlags(), -1, state.ino(), -1, (short) 0, options);
	}

	/**
	 * What adoption must leave alone on a JDK channel.
	 * @param open whether open
	 * @param blocking the blocking mode (when open)
	 * @param connected whether connected
	 * @param connectionPending whether a connect is in progress
	 * @param registered whether registered with a selector
	 * @param tcpNoDelay TCP_NODELAY, {@code null} when closed
	 */
	public record ChannelState(boolean open, boolean blocking, boolean connected, boolean connectionPending,
			boolean registered, Boolean tcpNoDelay) {

		/**
		 * Reads the state of a channel.
		 * @param channel the channel
		 * @return its state
		 */
		public static ChannelState of(SocketChannel channel) {
			Boolean noDelay = null;
			if (channel.isOpen()) {
				try {
					noDelay = channel.getOption(java.net.StandardSocketOptions.TCP_NODELAY);
				}
				catch (java.io.IOException | UnsupportedOperationException ex) {
					noDelay = null;
				}
			}
			return new ChannelState(channel.isOpen(), channel.isBlocking(), channel.isConnected(),
					channel.isConnectionPending(), channel.isRegistered(), noDelay);
		}

	}

}
