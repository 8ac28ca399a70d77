package dev.vconn.intercept;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records each handoff as {@code "DIRECTION KIND OUTCOME reason"}. */
final class RecordingHandoffObserver implements VConnHandoff.Observer {

	final List<String> counted = new CopyOnWriteArrayList<>();

	@Override
	public void handoff(VConnHandoff.Direction direction, VConnHandoff.Kind kind, VConnHandoff.Outcome outcome,
			String reason) {
		this.counted.add(direction + " " + kind + " " + outcome + " " + reason);
	}

}
