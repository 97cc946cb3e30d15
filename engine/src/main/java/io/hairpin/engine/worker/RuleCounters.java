package io.hairpin.engine.worker;

import io.hairpin.shim.Mem;
import io.hairpin.shim.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One worker's counters per NAT rule: the packets and bytes (IP total length) each rule
 * translated, both directions and reflected traffic included, the sessions it opened and how many
 * of those have ended (their difference is the rule's active sessions, pfSense's "states"). A rule
 * is known by its counter id ({@link io.hairpin.engine.nat.RuleIds}), which the flow cache's
 * entries and the session records carry in 16 bits; id 0 is no rule, a sink the fast path counts
 * untranslated packets into rather than branch. Off-heap, so that a count is two adds at an
 * address with no array to load and bound. Only the worker writes; others read (an aligned long
 * is read whole). Monotonic, never reset: a rule's figures are differences from a baseline the
 * reader keeps. The memory lives as long as the process (a worker's counters are read after it
 * stopped).
 */
public final class RuleCounters {
    /** Counter ids: 16 bits, 0 = none. */
    public static final int IDS = 1 << 16;
    /** A rule's counters fill half a cache line: packets, bytes, sessions opened, sessions closed. */
    private static final int STRIDE_SHIFT = 5;
    private static final int PACKETS = 0;
    private static final int BYTES = 8;
    private static final int SESSIONS = 16;
    private static final int CLOSED = 24;

    /** Keeps the memory reachable while this object is. */
    private final MemorySegment memory;
    private final long base;

    public RuleCounters() {
        memory = OffHeap.allocate(Arena.ofAuto(), (long) IDS << STRIDE_SHIFT);
        memory.fill((byte) 0);
        base = memory.address();
    }

    /** A packet of {@code bytes} (IP total length) translated by rule {@code id} (any 16-bit value). */
    void packet(int id, int bytes) {
        long a = at(id);
        Mem.nativeLong(a + PACKETS, Mem.nativeLong(a + PACKETS) + 1);
        Mem.nativeLong(a + BYTES, Mem.nativeLong(a + BYTES) + bytes);
    }

    /** A session opened by rule {@code id}. */
    void session(int id) {
        long a = at(id) + SESSIONS;
        Mem.nativeLong(a, Mem.nativeLong(a) + 1);
    }

    /** A session opened by rule {@code id} ended, whatever ended it. */
    void closed(int id) {
        long a = at(id) + CLOSED;
        Mem.nativeLong(a, Mem.nativeLong(a) + 1);
    }

    /** Rule {@code id}'s counts so far, read from another thread. */
    public io.hairpin.engine.RuleCounts.Rule counts(int id) {
        long a = at(id);
        return new io.hairpin.engine.RuleCounts.Rule(Mem.nativeLong(a + PACKETS), Mem.nativeLong(a + BYTES),
                Mem.nativeLong(a + SESSIONS), Mem.nativeLong(a + CLOSED));
    }

    /** Where rule {@code id}'s counters are (any int is taken as its low 16 bits). */
    private long at(int id) {
        return base + ((long) (id & (IDS - 1)) << STRIDE_SHIFT);
    }
}
