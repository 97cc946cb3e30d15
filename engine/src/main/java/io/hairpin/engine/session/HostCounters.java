package io.hairpin.engine.session;

import java.security.SecureRandom;

/**
 * Sessions per internal host, for per-host limits (one per worker, single-threaded). A host has
 * an entry only while its count is above 0, so {@code maxHosts} = the session table's capacity
 * can never run out. Nothing is allocated after construction; about 24–48 bytes per host.
 */
public final class HostCounters {
    private final LongIntIndex counts;

    public HostCounters(int maxHosts) {
        this(maxHosts, new SecureRandom().nextLong());
    }

    public HostCounters(int maxHosts, long seed) {
        counts = new LongIntIndex(maxHosts, seed);
    }

    /** What counters for maxHosts take on the Java heap (without array headers). */
    public static long heapBytesFor(int maxHosts) {
        return LongIntIndex.bytesFor(maxHosts);
    }

    /** Bytes the counters' arrays hold (without array headers). */
    public long footprintBytes() {
        return counts.footprintBytes();
    }

    /** Sessions the host has now (0 when unknown). */
    public int hostSessions(int intIp) {
        int c = counts.get(intIp & 0xFFFF_FFFFL);
        return c < 0 ? 0 : c;
    }

    /**
     * Adds delta (negative to subtract) to the host's count.
     *
     * @return the new count, or -1 when a new host does not fit (nothing changed)
     * @throws IllegalStateException when the count would drop below 0 (a caller bug)
     */
    public int hostAdd(int intIp, int delta) {
        long key = intIp & 0xFFFF_FFFFL;
        int c = counts.get(key);
        int n = (c < 0 ? 0 : c) + delta;
        if (n < 0) {
            throw new IllegalStateException("host session count below zero");
        }
        if (n == 0) {
            counts.remove(key);
            return 0;
        }
        return counts.put(key, n) ? n : -1;
    }

    /** Hosts with at least one session. */
    public int hosts() {
        return counts.size();
    }
}
