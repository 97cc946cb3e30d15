package io.hairpin.perf;

import io.hairpin.engine.worker.Counters;

/**
 * Readings of a worker's counters that a run compares: every event, then each port's TX_FULL;
 * and the drops between two of them (every drop reason and TX full).
 */
final class WorkerCounters {
    /**
     * The events of the engine on the classpath, read when this class loads, not the constant
     * this module was compiled against: perf/ab.sh runs older engines' jars under this module,
     * and their counters may be fewer.
     */
    static final int EVENTS = Counters.EVENT_NAMES.length;

    private WorkerCounters() {
    }

    static long[] read(Counters c) {
        return read(c, new long[EVENTS + c.ports()]);
    }

    static long[] read(Counters c, long[] into) {
        for (int e = 0; e < EVENTS; e++) {
            into[e] = c.event(e);
        }
        for (int p = 0; p < c.ports(); p++) {
            into[EVENTS + p] = c.port(p, Counters.TX_FULL);
        }
        return into;
    }

    /** Drop counters plus TX-full between two readings. */
    static long drops(long[] from, long[] to, Counters c) {
        long d = 0;
        for (int e = 0; e < Counters.DROP_REASONS; e++) {
            d += to[e] - from[e];
        }
        for (int p = 0; p < c.ports(); p++) {
            d += to[EVENTS + p] - from[EVENTS + p];
        }
        return d;
    }

    /** The drop counters that moved between two readings, "name=count,..." ("" when none). */
    static String dropDetail(long[] from, long[] to, Counters c) {
        StringBuilder sb = new StringBuilder();
        for (int e = 0; e < Counters.DROP_REASONS; e++) {
            if (to[e] != from[e]) {
                sb.append(sb.isEmpty() ? "" : ",").append(Counters.EVENT_NAMES[e]).append('=').append(to[e] - from[e]);
            }
        }
        for (int p = 0; p < c.ports(); p++) {
            long d = to[EVENTS + p] - from[EVENTS + p];
            if (d != 0) {
                sb.append(sb.isEmpty() ? "" : ",").append("tx_full_port").append(p).append('=').append(d);
            }
        }
        return sb.toString();
    }
}
