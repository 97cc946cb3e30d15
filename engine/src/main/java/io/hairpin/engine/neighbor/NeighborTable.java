package io.hairpin.engine.neighbor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The ARP cache, shared by all workers: open addressing over primitive arrays, keyed by IPv4
 * address (0 never is a neighbour). Any worker may learn (an ARP reply lands on whichever
 * queue RSS chose); a slot's key is claimed with CAS and never released, values are published
 * with release stores and read with acquire loads. No locks, no objects per entry.
 */
public final class NeighborTable {
    /** Returned by {@link #mac} when there is no usable entry. */
    public static final long UNKNOWN = -1L;

    private static final VarHandle INT = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONG = MethodHandles.arrayElementVarHandle(long[].class);

    private final int mask;
    private final int[] keys;
    private final long[] macs;
    private final long[] learnedAt;
    private final long[] requestedAt;
    private final long reachableNanos;
    private volatile long version;

    /**
     * @param capacity       slots (rounded up to a power of two)
     * @param reachableNanos how long a learned entry is trusted without a refresh
     */
    public NeighborTable(int capacity, long reachableNanos) {
        int cap = Integer.highestOneBit(Math.max(16, capacity - 1)) << 1;
        mask = cap - 1;
        keys = new int[cap];
        macs = new long[cap];
        learnedAt = new long[cap];
        requestedAt = new long[cap];
        java.util.Arrays.fill(macs, UNKNOWN);
        this.reachableNanos = reachableNanos;
    }

    private static int hash(int ip) {
        int h = ip * 0x9E3779B1;
        return h ^ (h >>> 16);
    }

    /** Slot of ip, claiming a free one if absent; -1 if the table is full. */
    private int slot(int ip, boolean claim) {
        int i = hash(ip) & mask;
        for (int probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
            int k = (int) INT.getAcquire(keys, i);
            if (k == ip) {
                return i;
            }
            if (k == 0) {
                if (!claim) {
                    return -1;
                }
                if (INT.compareAndSet(keys, i, 0, ip)) {
                    return i;
                }
                if ((int) INT.getAcquire(keys, i) == ip) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The MAC of ip as the low 48 bits, or {@link #UNKNOWN}. Stale entries stay usable until {@link #expire}. */
    public long mac(int ip) {
        int i = slot(ip, false);
        return i < 0 ? UNKNOWN : (long) LONG.getAcquire(macs, i);
    }

    /** Records ip → mac; returns false when the table is full. */
    public boolean learn(int ip, long mac, long nowNanos) {
        int i = slot(ip, true);
        if (i < 0) {
            return false;
        }
        LONG.setRelease(learnedAt, i, nowNanos);
        long old = (long) LONG.getAcquire(macs, i);
        LONG.setRelease(macs, i, mac);
        if (old != mac) {
            version++; // racy increment is fine: any change wakes waiters
        }
        return true;
    }

    /** Learns only if ip is already being tracked (RFC 826: update, don't create, on gleaned requests). */
    public void refreshIfKnown(int ip, long mac, long nowNanos) {
        int i = slot(ip, false);
        if (i >= 0) {
            learn(ip, mac, nowNanos);
        }
    }

    /**
     * Decides whether an ARP request for ip should go out now: the entry is missing or stale and
     * no request was sent within the retry interval. Creates the entry (unresolved) if needed.
     */
    public boolean shouldRequest(int ip, long nowNanos, long retryNanos) {
        int i = slot(ip, true);
        if (i < 0) {
            return false;
        }
        long mac = (long) LONG.getAcquire(macs, i);
        if (mac != UNKNOWN && nowNanos - (long) LONG.getAcquire(learnedAt, i) < reachableNanos) {
            return false;
        }
        long last = (long) LONG.getAcquire(requestedAt, i);
        if (last != 0 && nowNanos - last < retryNanos) {
            return false;
        }
        return LONG.compareAndSet(requestedAt, i, last, nowNanos);
    }

    /** True when ip's entry has aged past reachable (a refresh request is due). */
    public boolean isStale(int ip, long nowNanos) {
        int i = slot(ip, false);
        return i >= 0 && nowNanos - (long) LONG.getAcquire(learnedAt, i) >= reachableNanos;
    }

    /** Forgets entries not refreshed within reachable + grace; run by one worker's housekeeping. */
    public int expire(long nowNanos, long graceNanos) {
        int expired = 0;
        for (int i = 0; i <= mask; i++) {
            if ((int) INT.getAcquire(keys, i) != 0 && (long) LONG.getAcquire(macs, i) != UNKNOWN
                    && nowNanos - (long) LONG.getAcquire(learnedAt, i) >= reachableNanos + graceNanos) {
                LONG.setRelease(macs, i, UNKNOWN);
                version++; // what was learned is gone: decisions cached on it are not valid
                expired++;
            }
        }
        return expired;
    }

    /** Changes whenever a mapping is learned or changed, so workers know when to retry queued packets. */
    public long version() {
        return version;
    }

    public int capacity() {
        return mask + 1;
    }

    /** A copy for display: pairs of (ip, mac) for resolved entries. */
    public long[][] entries() {
        int n = 0;
        for (int i = 0; i <= mask; i++) {
            if (keys[i] != 0 && macs[i] != UNKNOWN) {
                n++;
            }
        }
        long[][] out = new long[n][];
        int j = 0;
        for (int i = 0; i <= mask && j < n; i++) {
            long mac = macs[i];
            if (keys[i] != 0 && mac != UNKNOWN) {
                out[j++] = new long[] {keys[i] & 0xffffffffL, mac};
            }
        }
        return out;
    }
}
