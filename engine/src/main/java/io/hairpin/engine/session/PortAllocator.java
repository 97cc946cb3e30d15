package io.hairpin.engine.session;

import java.security.SecureRandom;

/**
 * External ports (and ICMP query identifiers) of one translation pool, for one worker
 * (single-threaded). Worker {@code w} of {@code W} only ever hands out ports with
 * {@code port % W == w}, so the owner of an inbound packet is {@link #owner(int, int)} of its
 * destination port, with no shared state between workers.
 *
 * <p>Behaviour (RFC 4787, RFC 6056):
 * <ul>
 *   <li>Paired pooling (REQ-2): {@link #addressFor} picks one pool address per internal host by a
 *       fixed hash of the host address (the same on every worker and across restarts). When that
 *       address has no port left, allocation fails; the host is never moved to another address.</li>
 *   <li>Port range (REQ-3): for TCP and UDP, an internal port below 1024 gets a port from
 *       1..1023, any other from 1024..65535; a range being full fails (returns -1), it never
 *       spills into the other. ICMP identifiers use 1..65535.</li>
 *   <li>Port preservation: {@code preferredPort} is returned when it is free, belongs to this
 *       worker's slice and is not 0; otherwise a random port of the slice and range is chosen and
 *       the slice searched linearly from there (RFC 6056 algorithm 1) — start drawn from an
 *       xorshift64* generator seeded once from {@link SecureRandom}.</li>
 *   <li>{@code static-port} mode: {@link #allocate} returns {@code preferredPort} when it is free
 *       (range and slice rules do not apply), else -1. With W &gt; 1 such a port is owned by worker
 *       {@code port % W} like any other: the caller must hand the session to that worker, which
 *       is then the one that allocates it.</li>
 * </ul>
 * Memory: one 65536-bit bitmap per protocol (TCP, UDP, ICMP) and pool address, 24 KiB per pool
 * address per worker. Nothing is allocated after construction.
 */
public final class PortAllocator {
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;

    private static final int PROTOS = 3;
    private static final int WORDS = 65536 / 64;

    private final int[] addresses;
    private final int workers;
    private final int worker;
    private final boolean staticPort;
    /** bits[((proto * n + addr) << 10) + (port >>> 6)], bit (port & 63) set = in use. */
    private final long[] bits;
    /** Free ports of this worker's slice per (proto, address, range): range 0 = low (ICMP: all), 1 = high. */
    private final int[] free;
    private long rnd;

    /** What a pool of this many addresses takes on the Java heap: 24 KiB an address (without array headers). */
    public static long heapBytesFor(int addresses) {
        return 8L * PROTOS * addresses * WORDS + 4L * PROTOS * addresses * 2;
    }

    /** Bytes the pool's arrays hold (without array headers). */
    public long footprintBytes() {
        return 8L * bits.length + 4L * free.length;
    }

    public PortAllocator(int[] addresses, int workers, int worker, boolean staticPort) {
        this(addresses, workers, worker, staticPort, new SecureRandom().nextLong());
    }

    /**
     * @param addresses  the pool's addresses (at least one); copied
     * @param workers    number of workers W sharing the pool (1..65535)
     * @param worker     this worker's index w, 0..W-1
     * @param staticPort pfSense "static-port": keep the internal port or fail
     * @param seed       seed of the port randomisation (tests)
     */
    public PortAllocator(int[] addresses, int workers, int worker, boolean staticPort, long seed) {
        if (addresses.length == 0) {
            throw new IllegalArgumentException("a pool needs at least one address");
        }
        if (workers < 1 || workers > 65535 || worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " of " + workers);
        }
        this.addresses = addresses.clone();
        this.workers = workers;
        this.worker = worker;
        this.staticPort = staticPort;
        this.bits = new long[PROTOS * addresses.length * WORDS];
        this.free = new int[PROTOS * addresses.length * 2];
        for (int pi = 0; pi < PROTOS; pi++) {
            for (int a = 0; a < addresses.length; a++) {
                if (pi == 2) {
                    free[counter(pi, a, 0)] = sliceCount(1, 65535);
                } else {
                    free[counter(pi, a, 0)] = sliceCount(1, 1023);
                    free[counter(pi, a, 1)] = sliceCount(1024, 65535);
                }
            }
        }
        long s = seed ^ 0x5DEECE66DL;
        this.rnd = s == 0 ? 0x9E3779B97F4A7C15L : s;
    }

    private int sliceCount(int lo, int hi) {
        int first = firstOfSlice(lo);
        return first > hi ? 0 : (hi - first) / workers + 1;
    }

    /** The smallest port >= lo of this worker's slice. */
    private int firstOfSlice(int lo) {
        return lo + Math.floorMod(worker - lo, workers);
    }

    private static int protoIndex(int proto) {
        switch (proto) {
            case TCP:
                return 0;
            case UDP:
                return 1;
            case ICMP:
                return 2;
            default:
                return -1;
        }
    }

    private static int rangeOf(int pi, int port) {
        return pi != 2 && port >= 1024 ? 1 : 0;
    }

    /** Where address addressIndex's bitmap for protocol index pi starts in {@code bits}. */
    private int base(int pi, int addressIndex) {
        return (pi * addresses.length + addressIndex) * WORDS;
    }

    /** The {@code free} counter of that address's range (0: below 1024, or ICMP's whole range). */
    private int counter(int pi, int addressIndex, int range) {
        return (pi * addresses.length + addressIndex) * 2 + range;
    }

    /** The generator's state after one more draw (xorshift64*). */
    public static long advance(long state) {
        long x = state;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        return x;
    }

    private static long scramble(long state) {
        return state * 0x2545F4914F6CDD1DL;
    }

    /**
     * The state of the port randomisation now: with {@link #advance} and {@link #startOf}, a
     * caller can tell ahead of a burst where the searches of its next draws start, and load
     * those bitmap words first. Reading it changes nothing.
     */
    public long randomState() {
        return rnd;
    }

    // ---------------------------------------------------------------- ownership helpers

    /** The worker that owns a translated port (its allocator handed it out). */
    public static int owner(int port, int workers) {
        return port % workers;
    }

    /**
     * The worker owning a flow that has no translated port (1:1 NAT): a fixed integer mix of
     * (proto, internal address, internal port) reduced to 0..workers-1. Both directions of a flow
     * must call it with the same internal values.
     */
    public static int ownerOf(int proto, int internalIp, int internalPort, int workers) {
        long h = ((internalIp & 0xFFFF_FFFFL) << 24 | (long) (internalPort & 0xFFFF) << 8 | (proto & 0xFF))
                * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (((h >>> 32) * workers) >>> 32);
    }

    // ---------------------------------------------------------------- pool addresses

    public int addressCount() {
        return addresses.length;
    }

    public int address(int index) {
        return addresses[index];
    }

    /** Index of the pool address an internal host always uses (paired pooling). */
    public int addressFor(int internalIp) {
        if (addresses.length == 1) {
            return 0;
        }
        long h = (internalIp & 0xFFFF_FFFFL) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        h *= 0xD6E8FEB86659FD93L;
        return (int) (((h >>> 32) * addresses.length) >>> 32);
    }

    // ---------------------------------------------------------------- allocation

    /**
     * Allocates an external port (ICMP: identifier) on pool address {@code addressIndex}.
     *
     * @param proto         6, 17 or 1; anything else fails
     * @param preferredPort the internal port, kept when possible
     * @return the port, or -1 when the range of this worker's slice is exhausted (static-port:
     *         when {@code preferredPort} is taken)
     */
    public int allocate(int proto, int addressIndex, int preferredPort) {
        return allocate(proto, addressIndex, preferredPort, staticPort);
    }

    /**
     * As {@link #allocate(int, int, int)} with the static-port mode given per call, so rules with
     * and without static-port that share the pool's addresses share one bitmap (one owner per
     * external port) while each keeps its own mode.
     */
    public int allocate(int proto, int addressIndex, int preferredPort, boolean staticPort) {
        final int pi = protoIndex(proto);
        if (pi < 0) {
            return -1;
        }
        final int base = base(pi, addressIndex);
        if (staticPort) {
            if (preferredPort <= 0 || preferredPort > 65535 || isSet(base, preferredPort)) {
                return -1;
            }
            take(pi, addressIndex, base, preferredPort);
            return preferredPort;
        }
        final int range = rangeOf(pi, preferredPort);
        if (free[counter(pi, addressIndex, range)] == 0) {
            return -1;
        }
        if (keeps(base, preferredPort)) {
            take(pi, addressIndex, base, preferredPort);
            return preferredPort;
        }
        int p = firstFree(base, pi, range, start(pi, range, rnd));
        rnd = advance(rnd);
        if (p < 0) {
            // cannot happen while the counter is right; fail rather than hand out a used port
            return -1;
        }
        take(pi, addressIndex, base, p);
        return p;
    }

    /** The preferred port is handed out as it is: in range, in this worker's slice and free. */
    private boolean keeps(int base, int preferredPort) {
        return preferredPort > 0 && preferredPort <= 65535 && preferredPort % workers == worker
                && !isSet(base, preferredPort);
    }

    /** Where a random search of the range starts when the generator draws from {@code state}. */
    private int start(int pi, int range, long state) {
        final int first = lowOf(range);
        final int n = (highOf(pi, range) - first) / workers + 1;
        return first + (int) (((scramble(advance(state)) >>> 32) * n) >>> 32) * workers;
    }

    /** The lowest port of this worker's slice of the range. */
    private int lowOf(int range) {
        return firstOfSlice(range == 1 ? 1024 : 1);
    }

    private static int highOf(int pi, int range) {
        return pi != 2 && range == 0 ? 1023 : 65535;
    }

    /** The first free port of the range's slice from start on, wrapping round once; -1 if none. */
    private int firstFree(int base, int pi, int range, int start) {
        int p = scan(base, start, highOf(pi, range));
        return p >= 0 ? p : scan(base, lowOf(range), start - workers);
    }

    // ---------------------------------------------------------------- a burst's allocations ahead

    /**
     * True when {@link #allocate} (not static-port) would hand out {@code preferredPort} itself,
     * without a random draw. Changes nothing.
     */
    public boolean wouldKeep(int proto, int addressIndex, int preferredPort) {
        int pi = protoIndex(proto);
        return pi >= 0 && keeps(base(pi, addressIndex), preferredPort);
    }

    /**
     * The port a random search of {@code preferredPort}'s range starts from when the generator
     * is at {@code state} (see {@link #randomState}); -1 for an unknown protocol.
     */
    public int startOf(int proto, int preferredPort, long state) {
        int pi = protoIndex(proto);
        return pi < 0 ? -1 : start(pi, rangeOf(pi, preferredPort), state);
    }

    /**
     * The port a random search from {@code start} (see {@link #startOf}) would find free now,
     * or -1. Changes nothing.
     */
    public int firstFreeFrom(int proto, int addressIndex, int preferredPort, int start) {
        int pi = protoIndex(proto);
        return pi < 0 || start < 0 ? -1
                : firstFree(base(pi, addressIndex), pi, rangeOf(pi, preferredPort), start);
    }

    /**
     * Returns a port to the pool. Freeing a port that is not allocated does nothing.
     *
     * @return true when the port was allocated
     */
    public boolean free(int proto, int addressIndex, int port) {
        final int pi = protoIndex(proto);
        if (pi < 0 || port <= 0 || port > 65535) {
            return false;
        }
        final int w = base(pi, addressIndex) + (port >>> 6);
        final long bit = 1L << port;
        if ((bits[w] & bit) == 0) {
            return false;
        }
        bits[w] &= ~bit;
        if (port % workers == worker) {
            free[counter(pi, addressIndex, rangeOf(pi, port))]++;
        }
        return true;
    }

    /** True when the port is in use. */
    public boolean isAllocated(int proto, int addressIndex, int port) {
        int pi = protoIndex(proto);
        return pi >= 0 && port > 0 && port <= 65535
                && isSet(base(pi, addressIndex), port);
    }

    /**
     * Free ports left in this worker's slice of the range {@code forPort} falls into (the range an
     * internal port of that value would be allocated from).
     */
    public int available(int proto, int addressIndex, int forPort) {
        int pi = protoIndex(proto);
        return pi < 0 ? 0 : free[counter(pi, addressIndex, rangeOf(pi, forPort))];
    }

    /**
     * The bitmap word holding the port, for {@link #loadWord}, or -1 for an unknown protocol:
     * a batch's words are computed first and loaded in a loop that does nothing else.
     */
    public int wordOf(int proto, int addressIndex, int port) {
        int pi = protoIndex(proto);
        return pi < 0 ? -1 : base(pi, addressIndex) + ((port & 0xffff) >>> 6);
    }

    /** Loads a {@link #wordOf} word (a hint; the value only gives the load a use). */
    public long loadWord(int word) {
        return word < 0 ? 0 : bits[word];
    }

    private boolean isSet(int base, int port) {
        return (bits[base + (port >>> 6)] & (1L << port)) != 0;
    }

    private void take(int pi, int addressIndex, int base, int port) {
        bits[base + (port >>> 6)] |= 1L << port;
        if (port % workers == worker) {
            free[counter(pi, addressIndex, rangeOf(pi, port))]--;
        }
    }

    /** First free port of the slice in [from, to] (from in the slice), or -1; skips full words. */
    private int scan(int base, int from, int to) {
        final long[] bits = this.bits;
        final int step = workers;
        int p = from;
        if (step == 1) {
            while (p <= to) {
                long avail = ~bits[base + (p >>> 6)] & (-1L << p);
                if (avail != 0) {
                    int q = (p & ~63) + Long.numberOfTrailingZeros(avail);
                    return q <= to ? q : -1;
                }
                p = (p | 63) + 1;
            }
            return -1;
        }
        while (p <= to) {
            long word = bits[base + (p >>> 6)];
            if (word == -1L) {
                int nextWord = (p | 63) + 1;
                p += (nextWord - p + step - 1) / step * step;
                continue;
            }
            if ((word & (1L << p)) == 0) {
                return p;
            }
            p += step;
        }
        return -1;
    }
}
