package io.hairpin.engine.worker;

import io.hairpin.engine.session.SlotBatch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One physical port's RX burst between its reception and its processing: with a big session
 * table, {@link Worker#doWork} receives and classifies each port's burst a burst ahead of its
 * processing, so that the misses its session look-ups start with arrive while the burst before
 * it is processed.
 */
final class RxBurst {
    final MemorySegment rx;
    final long rxAddr;
    /** Per packet: its flow key and flow-cache bucket (0: not for the fast path). */
    final long[] k1 = new long[Worker.BURST];
    final long[] k2 = new long[Worker.BURST];
    final long[] bucket = new long[Worker.BURST];
    /** The packets whose session flows are looked up at once: their tuples, burst positions and flows. */
    final long[] sessionK1 = new long[Worker.BURST];
    final long[] sessionK2 = new long[Worker.BURST];
    final int[] sessionAt = new int[Worker.BURST];
    final int[] sessionFlow = new int[Worker.BURST];
    int n;
    long bytes;
    /** The flow cache stands aside for the whole burst (see Worker.classifyAside). */
    boolean aside;
    /** Its session flows are looked up at once (see Worker.lookUpSessions). */
    boolean lookedUp;
    /** How many of sessionK1, sessionK2 and sessionAt hold the burst's. */
    int sessions;
    /** The port is an internal one (its session flows are looked for as outbound). */
    boolean inside;
    /**
     * Their mapping-index home slots and keys' hashes when {@link #homesReady} (see
     * Nat44.findHomes), the slots prefetched up to {@link #homesUpTo}; their candidate sessions
     * once the look-ups have {@link #started}, up to {@link #candidatesUpTo}
     * (Nat44.establishedCandidates).
     */
    final SlotBatch batch = new SlotBatch();
    boolean homesReady;
    int homesUpTo;
    boolean started;
    int candidatesUpTo;
    /** The session table's removal count when its look-ups started (Nat44.sessionRemovals). */
    long removals;

    RxBurst(Arena arena) {
        rx = arena.allocate(ValueLayout.JAVA_LONG, Worker.BURST);
        rxAddr = rx.address();
    }
}
