package dev.vconn.internal.net;

import org.jspecify.annotations.Nullable;

/**
 * Where the socket activation variables ({@code LISTEN_PID}, {@code LISTEN_FDS},
 * {@code LISTEN_FDNAMES}) come from, and how they are cleared once read: the process environment in
 * production, a map in tests.
 */
public interface ActivationEnvironment {

	/** The first passed descriptor, {@code SD_LISTEN_FDS_START}. */
	int SYSTEMD_FIRST_FD = 3;

	@Nullable String get(String name);

	/** This process's id, compared with {@code LISTEN_PID}. */
	long pid();

	/** The descriptor {@code LISTEN_FDS} counts from. */
	default int firstFd() {
		return SYSTEMD_FIRST_FD;
	}

	/** Removes the variables, so that they are neither read again nor inherited by children. */
	void clear();

	/**
	 * The process environment. {@link #clear()} unsets the variables with libc's {@code unsetenv},
	 * so child processes do not inherit them; {@link System#getenv()} keeps its start-up snapshot,
	 * so this reader remembers that it was cleared and reads nothing afterwards.
	 */
	static ActivationEnvironment process() {
		return ProcessEnvironment.INSTANCE;
	}

	/** The process environment, read at most once. */
	final class ProcessEnvironment implements ActivationEnvironment {

		static final ProcessEnvironment INSTANCE = new ProcessEnvironment();

		private volatile boolean cleared;

		private ProcessEnvironment() {
		}

		@Override
		public @Nullable String get(String name) {
			return this.cleared ? null : System.getenv(name);
		}

		@Override
		public long pid() {
			return ProcessHandle.current().pid();
		}

		@Override
		public void clear() {
			this.cleared = true;
			if (LibC.isAvailable()) {
				for (String name : SocketActivation.VARIABLES) {
					LibC.unsetenv(name);
				}
			}
		}

	}

}
