package io.hairpin.control.appliance;

import io.hairpin.control.service.ControlService;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import java.util.List;

/**
 * What the control plane asks of a running engine beyond its counters and snapshot: the rule swap,
 * the session table and packet tracing. A seam so that the apply logic can be tested with an
 * engine that refuses or fails on cue.
 */
interface EngineOps {

    /**
     * Swaps in the rules of config; returns the new snapshot's version.
     *
     * @throws IllegalArgumentException when the change needs a restart (nothing changed)
     */
    long apply(EngineConfig config, long timeoutMillis);

    long sessionCount();

    List<ControlService.Session> sessions(ControlService.SessionFilter filter, int limit);

    int flushSessions(ControlService.SessionFilter filter);

    List<ControlService.TraceRecord> trace(int n, long timeoutMillis);

    /** The operations of a running engine. */
    static EngineOps of(Engine engine) {
        return new EngineOps() {
            @Override
            public long apply(EngineConfig config, long timeoutMillis) {
                throw new UnsupportedOperationException("This build's engine cannot swap rules while running; restart to apply.");
            }

            @Override
            public long sessionCount() {
                return 0;
            }

            @Override
            public List<ControlService.Session> sessions(ControlService.SessionFilter filter, int limit) {
                throw new UnsupportedOperationException("This build's engine cannot list sessions.");
            }

            @Override
            public int flushSessions(ControlService.SessionFilter filter) {
                throw new UnsupportedOperationException("This build's engine cannot flush sessions.");
            }

            @Override
            public List<ControlService.TraceRecord> trace(int n, long timeoutMillis) {
                throw new UnsupportedOperationException("This build's engine cannot trace packets.");
            }
        };
    }
}
