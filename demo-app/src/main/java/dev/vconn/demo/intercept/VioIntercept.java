package dev.vconn.demo.intercept;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import com.sun.jna.LastErrorException;
import dev.vconn.Continuation;
import dev.vconn.IOBuffer;
import dev.vconn.IOBufferReader;
import dev.vconn.VConn;
import dev.vconn.VConnEvent;
import dev.vconn.VIO;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Serves one server-intercepted transaction the way Traffic Server's {@code intercept} example
 * plugin does ({@code example/plugins/c-api/intercept/intercept.cc}): connect to the origin, adopt
 * the connected socket with {@code fdCreate}, and shuffle bytes between the two VConns with four
 * VIOs until both are closed.
 *
 * <p>The two sides are the <em>client</em> (the intercept's end of the VConn pair, behind which
 * the listener plays the client) and the <em>server</em> (the origin). One handler serves the
 * four VIOs; the side an event concerns is the one whose VConn the VIO belongs to.
 *
 * <table>
 * <caption>Events on side A, whose other side is B</caption>
 * <tr><th>event</th><th>what the handler does</th></tr>
 * <tr><td>{@code VCONN_READ_READY}</td><td>move everything A's read buffer holds into B's write
 * buffer and reenable both VIOs, unless B's write buffer is at high water: then leave it, and A's
 * read stops once its own buffer is full. If B is closed, A's input has nowhere to go and is
 * dropped.</td></tr>
 * <tr><td>{@code VCONN_WRITE_READY}</td><td>if B is closed and A's write buffer is empty, close A
 * (nothing it is owed is lost); otherwise take whatever B's read left waiting.</td></tr>
 * <tr><td>{@code VCONN_EOS}, {@code ERROR}</td><td>move what A's read buffer still holds to B,
 * close A, and close B if its write buffer is empty; otherwise B's {@code VCONN_WRITE_READY}
 * closes it once drained (the no-truncation rule).</td></tr>
 * <tr><td>{@code VCONN_INACTIVITY_TIMEOUT}, {@code VCONN_ACTIVE_TIMEOUT}</td><td>close both
 * sides.</td></tr>
 * </table>
 *
 * <p>Where the port differs from the seed (see its "limits"): the connect never blocks an event
 * thread (it starts there without blocking; a connect not made at once is waited for on a
 * connector thread), and the connected socket is adopted on the client VConn's event thread
 * ({@link VConn#eventThread()}), so both VConns share one; buffers are bounded (a
 * read is not reenabled while the other side's write buffer is at high water, and resumes on
 * that side's {@code VCONN_WRITE_READY});
 * a side whose peer closed is closed only once its write buffer is drained, in the read branch
 * too; and a timeout closes both sides instead of being ignored.
 *
 * <p><b>Threads:</b> events of both VConns arrive on the client VConn's event thread holding this
 * continuation's mutex, so the state below is only touched under it; the connector thread takes
 * the mutex only to abort the client when the connect failed.
 */
final class VioIntercept implements Continuation {

	private static final Log logger = LogFactory.getLog(VioIntercept.class);

	private final InterceptSettings settings;

	/** Its own lock, made with it, as the seed's {@code TSContCreate(handler, TSMutexCreate())}. */
	private final Lock mutex = new ReentrantLock();

	/** The client VConn from NET_ACCEPT until the shuffle starts. */
	private @Nullable VConn accepted;

	private @Nullable Side client;

	private @Nullable Side server;

	private boolean finished;

	VioIntercept(InterceptSettings settings) {
		this.settings = settings;
	}

	@Override
	public Lock mutex() {
		return this.mutex;
	}

	@Override
	public void handleEvent(VConnEvent event, @Nullable Object data) {
		switch (event) {
			case NET_ACCEPT -> accept((VConn) requireData(event, data));
			case NET_ACCEPT_FAILED -> logger.debug("Intercept not needed: the transaction ended first");
			case VCONN_READ_READY -> readReady(requireSide(data));
			case VCONN_WRITE_READY -> writeReady(requireSide(data));
			case VCONN_EOS, ERROR -> endOfStream(requireSide(data), event);
			case VCONN_INACTIVITY_TIMEOUT, VCONN_ACTIVE_TIMEOUT -> timeout(event);
			default -> logger.debug("Intercept: unexpected " + event);
		}
	}

	// ---- NET_ACCEPT: connect to the origin without blocking the event thread, adopt, start four VIOs ----

	/**
	 * Starts the connect without blocking. An origin on this host has usually accepted by the time
	 * {@code connect(2)} returns: then the socket goes straight to the client VConn's event thread
	 * to be adopted (the thread NET_ACCEPT comes on, where queuing it costs no wake-up), with no
	 * other thread involved. Otherwise a connector thread waits for the connect first.
	 */
	private void accept(VConn clientVConn) {
		this.accepted = clientVConn;
		// also bounds the wait for the connect: a client that times out is closed, then the server
		clientVConn.setInactivityTimeout(this.settings.inactivityTimeout());
		NativeSockets.Connecting origin;
		try {
			origin = NativeSockets.startConnect(this.settings.origin().address());
		}
		catch (IOException | RuntimeException | LinkageError ex) {
			connectFailed(clientVConn, ex.getMessage(), errno(ex));
			return;
		}
		int fd = origin.fd();
		if (origin.connected()) {
			this.settings.connects().succeeded();
			handBack(clientVConn, fd);
			return;
		}
		try {
			this.settings.connector().execute(() -> awaitOrigin(clientVConn, fd));
		}
		catch (RejectedExecutionException ex) {
			NativeSockets.close(fd);
			logger.warn("Intercept: no connector thread (shutting down?); aborting the client VConn");
			clientVConn.abort(0);
		}
	}

	/**
	 * Runs on a connector thread: waits for a connect still being made, which must never happen on
	 * an event thread. The connected descriptor then goes back to the client VConn's event thread
	 * (Traffic Server's {@code TSContScheduleOnThread}), where {@code fdCreate} puts the origin VConn
	 * on that same thread: the events of both sides then arrive on one thread, and the shuffle never
	 * waits for its mutex across threads.
	 */
	private void awaitOrigin(VConn clientVConn, int fd) {
		try {
			if (!NativeSockets.finishConnect(fd, this.settings.connectTimeout())) {
				NativeSockets.close(fd);
				connectFailed(clientVConn, "connect() to " + this.settings.origin().address() + " timed out after "
						+ this.settings.connectTimeout().toMillis() + " ms", NativeSockets.ETIMEDOUT);
				return;
			}
		}
		catch (IOException | RuntimeException | LinkageError ex) {
			connectFailed(clientVConn, ex.getMessage(), errno(ex));
			return;
		}
		this.settings.connects().succeeded();
		handBack(clientVConn, fd);
	}

	private void connectFailed(VConn clientVConn, String why, int errno) {
		this.settings.connects().failed();
		logger.warn("Intercept: " + why + "; aborting the client VConn");
		abort(clientVConn, errno);
	}

	/** Queues the adoption of the connected {@code fd} on the client VConn's event thread. */
	private void handBack(VConn clientVConn, int fd) {
		try {
			clientVConn.eventThread().execute(() -> adoptOrigin(clientVConn, fd));
		}
		catch (RejectedExecutionException ex) {
			// the runtime is closed, and the client VConn with it: the descriptor is still ours
			NativeSockets.close(fd);
			logger.debug("Intercept: the runtime closed while connecting to the origin");
		}
	}

	/** Runs on the client VConn's event thread: adopts the origin socket there, starts four VIOs. */
	private void adoptOrigin(VConn clientVConn, int fd) {
		Lock mutex = mutex();
		if (!mutex.tryLock()) {
			// held for a moment elsewhere (whoever delivered NET_ACCEPT): an event thread never waits
			handBack(clientVConn, fd);
			return;
		}
		try {
			if (clientVConn.isClosed()) {
				// the client went away (or timed out) while we were connecting: nobody owns the socket yet
				this.accepted = null;
				NativeSockets.close(fd);
				return;
			}
			VConn serverVConn = this.settings.factory().fdCreate(fd);
			if (serverVConn == null) {
				// adoption failed: the descriptor is unchanged and still ours to close
				NativeSockets.close(fd);
				logger.warn("Intercept: fdCreate(" + fd + ") returned null; aborting the client VConn");
				this.accepted = null;
				clientVConn.abort(0);
				return;
			}
			startShuffle(clientVConn, serverVConn);
		}
		finally {
			mutex.unlock();
		}
	}

	private void abort(VConn clientVConn, int error) {
		Lock mutex = mutex();
		mutex.lock();
		try {
			this.accepted = null;
			clientVConn.abort(error);
		}
		finally {
			mutex.unlock();
		}
	}

	private void startShuffle(VConn clientVConn, VConn serverVConn) {
		this.accepted = null;
		Side client = new Side("client", clientVConn);
		Side server = new Side("server", serverVConn);
		this.client = client;
		this.server = server;
		serverVConn.setInactivityTimeout(this.settings.inactivityTimeout());
		client.readVio = clientVConn.read(this, client.readBuffer, Long.MAX_VALUE);
		server.readVio = serverVConn.read(this, server.readBuffer, Long.MAX_VALUE);
		client.writeVio = clientVConn.write(this, client.writeReader, Long.MAX_VALUE);
		server.writeVio = serverVConn.write(this, server.writeReader, Long.MAX_VALUE);
		if (clientVConn.isClosed()) {
			// ended between the check and the reads: no event will come for it
			endOfStream(client, VConnEvent.ERROR);
		}
	}

	// ---- the shuffle ----

	private void readReady(Side a) {
		Side b = other(a);
		if (b.closed) {
			// nowhere to send A's input; A itself closes once what it is owed has been written
			a.readReader.consume(a.readReader.avail());
			closeIfDrained(a);
			finishIfDone();
			return;
		}
		transfer(a, b, false);
	}

	private void writeReady(Side a) {
		Side b = other(a);
		if (b.closed) {
			// B, A's data source, is gone: close A once its write buffer is empty
			closeIfDrained(a);
			finishIfDone();
			return;
		}
		// A's write buffer has room again: take what B's read left waiting, and reenable it
		transfer(b, a, false);
	}

	private void endOfStream(Side a, VConnEvent event) {
		logger.trace("Intercept: " + event + " on the " + a.name);
		Side b = other(a);
		if (!b.closed) {
			transfer(a, b, true); // what A sent before it ended still goes to B
		}
		close(a);
		closeIfDrained(b); // otherwise B's WRITE_READY closes it once drained
		finishIfDone();
	}

	private void timeout(VConnEvent event) {
		logger.debug("Intercept: " + event + "; closing both sides");
		VConn accepted = this.accepted;
		if (accepted != null) {
			// still connecting: the connector closes the server VConn when it sees this
			accepted.close();
			return;
		}
		if (this.client != null && this.server != null) {
			close(this.client);
			close(this.server);
			finishIfDone();
		}
	}

	/**
	 * Moves every byte A has read into B's write buffer and reenables both VIOs. Unless forced,
	 * nothing moves while B's write buffer is at high water: A's read then stops once its own
	 * buffer is full, and B's next WRITE_READY moves the bytes on. So each direction holds at most
	 * about two water marks.
	 */
	private static void transfer(Side a, Side b, boolean force) {
		long avail = a.readReader.avail();
		if (avail == 0 || (!force && b.writeBuffer.isHighWater())) {
			return;
		}
		b.writeBuffer.write(a.readReader, avail);
		a.readReader.consume(avail);
		b.writeVio().reenable();
		a.readVio().reenable();
	}

	private static void closeIfDrained(Side side) {
		if (!side.closed && side.writeReader.avail() == 0) {
			close(side);
		}
	}

	private static void close(Side side) {
		if (side.closed) {
			return;
		}
		side.closed = true;
		side.vconn.close();
		side.readBuffer.close();
		side.writeBuffer.close();
	}

	private void finishIfDone() {
		Side client = this.client;
		Side server = this.server;
		if (!this.finished && client != null && server != null && client.closed && server.closed) {
			this.finished = true;
			logger.trace("Intercept finished: both sides closed");
		}
	}

	private Side other(Side side) {
		Side other = (side == this.client) ? this.server : this.client;
		if (other == null) {
			throw new IllegalStateException("the shuffle has not started");
		}
		return other;
	}

	private Side requireSide(@Nullable Object data) {
		VConn vconn = (data instanceof VIO vio) ? vio.vconn() : (VConn) data;
		Side client = this.client;
		Side server = this.server;
		if (client != null && vconn == client.vconn) {
			return client;
		}
		if (server != null && vconn == server.vconn) {
			return server;
		}
		throw new IllegalStateException("an event for a VConn this intercept does not know");
	}

	private static Object requireData(VConnEvent event, @Nullable Object data) {
		if (data == null) {
			throw new IllegalStateException(event + " without data");
		}
		return data;
	}

	private static int errno(Throwable ex) {
		return (ex.getCause() instanceof LastErrorException errno) ? errno.getErrorCode() : 0;
	}

	/** One side of the shuffle: its VConn, its read and write VIOs and their buffers. */
	private static final class Side {

		final String name;

		final VConn vconn;

		final IOBuffer readBuffer = IOBuffer.create();

		final IOBufferReader readReader = this.readBuffer.allocReader();

		final IOBuffer writeBuffer = IOBuffer.create();

		final IOBufferReader writeReader = this.writeBuffer.allocReader();

		@Nullable VIO readVio;

		@Nullable VIO writeVio;

		boolean closed;

		Side(String name, VConn vconn) {
			this.name = name;
			this.vconn = vconn;
		}

		VIO readVio() {
			VIO vio = this.readVio;
			if (vio == null) {
				throw new IllegalStateException("no read on the " + this.name);
			}
			return vio;
		}

		VIO writeVio() {
			VIO vio = this.writeVio;
			if (vio == null) {
				throw new IllegalStateException("no write on the " + this.name);
			}
			return vio;
		}

	}

}
