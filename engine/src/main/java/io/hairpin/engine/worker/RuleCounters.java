package io.hairpin.engine.worker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One worker's counters per NAT rule: the packets and bytes (IP total length) each rule
 * translated, both directions and reflected traffic included, and the sessions it opened. A rule
 * is known by its counter id ({@link io.hairpin.engine.nat.RuleIds}), which the flow cache's
 * entries and the session records carry in 16 bits; id 0 is no rule, a sink the fast path counts
 * untranslated packets into rather than branch. Only the worker writes (plain stores); others read
 * with opaque loads. Monotonic, never reset: a rule's figures are differences from a baseline the
 * reader keeps.
 */
public final class RuleCounters {
    /** Counter ids: 16 bits, 0 = none. */
    public static final int IDS = 1 << 16;
    /** A rule's counters fill half a cache line: packets, bytes, sessions, unused. */
    private static final int STRIDE_SHIFT = 2;
    private static final int PACKETS = 0;
    private static final int BYTES = 1;
    private static final int SESSIONS = 2;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[IDS << STRIDE_SHIFT];

    /** A packet of {@code bytes} (IP total length) translated by rule {@code id} (any 16-bit value). */
    void packet(int id, int bytes) {
        int i = (id & (IDS - 1)) << STRIDE_SHIFT;
        values[i + PACKETS]++;
        values[i + BYTES] += bytes;
    }

    /** A session opened by rule {@code id}. */
    void session(int id) {
        values[((id & (IDS - 1)) << STRIDE_SHIFT) + SESSIONS]++;
    }

    /** Read from another thread. */
    public long packets(int id) {
        return read(id, PACKETS);
    }

    public long bytes(int id) {
        return read(id, BYTES);
    }

    public long sessions(int id) {
        return read(id, SESSIONS);
    }

    private long read(int id, int counter) {
        return (long) LONGS.getOpaque(values, ((id & (IDS - 1)) << STRIDE_SHIFT) + counter);
    }
}
