package io.hairpin.engine.worker;

import io.hairpin.engine.session.SessionTable;
import java.util.Arrays;

/**
 * The route decisions of a worker's established-session path, numbered so that a session flow
 * can memoize its own in 16 bits its record has spare ({@link SessionTable#routeMemo}): a
 * decision is an ingress interface whose source checks the flow passed and the route-entry key
 * its translated packets leave by, with that key's flow-cache bucket. A flow's source,
 * destination and rewrite never change, so while the routes and the anti-spoofing settings stay
 * as they were (one generation) its decision is a function of the ingress interface alone, and a
 * packet whose flow has a memo skips both route look-ups. A new generation forgets every
 * number; the memos of the old one stop matching. Generations count mod
 * 2^{@link SessionTable#MEMO_GENERATION_BITS}, and at each advance the caller sweeps
 * {@link #sweepPerAdvance} session records ({@link SessionTable#sweepRouteMemos}), so that no memo
 * of a generation that many changes ago is left to be taken for a current one. Single-threaded;
 * allocates nothing after construction.
 */
final class RouteMemos {
    /** Numbers of one generation: 1 .. MAX - 1 (0 is "no memo"); decisions beyond get none. */
    static final int MAX = 1 << 14;
    private static final int SLOTS = 2 * MAX;

    private final long[] key = new long[MAX];
    private final long[] bucket = new long[MAX];
    private final int[] iface = new int[MAX];
    /** Open addressing over (interface, key): a number, 0 for an empty slot. */
    private final int[] slots = new int[SLOTS];
    private final int generations;
    private int count = 1;
    private int generation;

    RouteMemos() {
        this(1 << SessionTable.MEMO_GENERATION_BITS);
    }

    /** With a count of generations other than the session records' (a power of two), for tests of the wrap. */
    RouteMemos(int generations) {
        if (generations < 2 || Integer.bitCount(generations) != 1) {
            throw new IllegalArgumentException("generations must be a power of two from 2: " + generations);
        }
        this.generations = generations;
    }

    int generation() {
        return generation;
    }

    /** Starts a new generation. */
    void advance() {
        Arrays.fill(slots, 0);
        count = 1;
        generation = (generation + 1) & (generations - 1);
    }

    /** How many of a table's {@code capacity} records to sweep at each advance ({@link SessionTable#routeMemoSweep}). */
    int sweepPerAdvance(int capacity) {
        return SessionTable.routeMemoSweep(capacity, generations);
    }

    /** True when decision {@code memo} was made for packets from ingress interface {@code in}. */
    boolean madeFor(int memo, int in) {
        return iface[memo] == in;
    }

    long key(int memo) {
        return key[memo];
    }

    long bucket(int memo) {
        return bucket[memo];
    }

    /**
     * The number of decision (in, routeKey) in this generation, given one (with the key's
     * flow-cache bucket) if it has none; 0 when all are taken.
     */
    int number(int in, long routeKey, long routeBucket) {
        int i = slot(in, routeKey);
        while (true) {
            int m = slots[i];
            if (m == 0) {
                break;
            }
            if (iface[m] == in && key[m] == routeKey) {
                return m;
            }
            i = (i + 1) & (SLOTS - 1);
        }
        if (count == MAX) {
            return 0;
        }
        int m = count++;
        key[m] = routeKey;
        bucket[m] = routeBucket;
        iface[m] = in;
        slots[i] = m;
        return m;
    }

    private static int slot(int in, long routeKey) {
        long h = (routeKey ^ (long) in << 48) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (SLOTS - 1);
    }
}
