package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class NatTablesTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /**
     * What the session state for a max-sessions takes is known before it is built: the figure is
     * what the built tables then hold. Oracle: each table's own count of its arrays and records.
     */
    @Test
    void theFootprintIsWhatTheBuiltTablesHold() {
        for (int max : new int[] {1, 16, 1000, 65536, 65537, 100_000, 1_000_000}) {
            NatTables t = NatTables.build(max);
            NatTables.Footprint f = NatTables.footprint(max);
            assertEquals(Math.max(16, max), t.capacity);
            assertEquals(t.footprintBytes(), f.totalBytes(), "max-sessions " + max);
            assertEquals((64L + 32L) * t.capacity, f.offHeapBytes(), "a session's and a mapping's record, max-sessions " + max);
        }
    }

    /** Port pools that would not fit the heap's room, besides the session state built with them, are refused. */
    @Test
    void portPoolsThatDoNotFitAreRefusedWithTheFigures() {
        long slash16 = 24_600L * 65536;
        NatTables.Pools slash16Pool = new NatTables.Pools(65536, slash16);
        assertNull(NatTables.poolsCannotFit(slash16Pool, 0, slash16));
        assertEquals("the NAT port pools these rules add (65536 addresses, 24 KiB each) need 1.5 GiB of Java heap, but"
                        + " the Java heap has room for 1.0 GiB: use smaller pools, or give the Java heap more room"
                        + " (HAIRPIN_JVM_OPTS=-Xmx..., whose default is a quarter of the machine's memory).",
                NatTables.poolsCannotFit(slash16Pool, 0, GIB));
        assertEquals("the NAT port pools these rules add (65536 addresses, 24 KiB each) need 1.5 GiB of Java heap,"
                        + " besides 73.9 MiB for the session state, but the Java heap has room for 1.5 GiB: use smaller"
                        + " pools, or give the Java heap more room (HAIRPIN_JVM_OPTS=-Xmx..., whose default is a quarter of"
                        + " the machine's memory).",
                NatTables.poolsCannotFit(slash16Pool, NatTables.footprint(1_000_000).heapBytes(), slash16));
    }

    /**
     * The state is refused when its heap part does not fit the heap's room, or when what it adds
     * to the process (its records, and the heap it needs beyond the heap's committed free bytes)
     * does not fit the machine's available memory less the reserve; an unknown MemAvailable is
     * not checked.
     */
    @Test
    void stateThatDoesNotFitIsRefusedWithTheFigures() {
        NatTables.Footprint need = new NatTables.Footprint(2 * GIB, 3 * GIB);
        assertEquals("nat.max-sessions 5000000 needs 5.0 GiB of session state (2.0 GiB of it on the Java heap), but the"
                        + " Java heap has room for 1.5 GiB: lower nat.max-sessions, or give the Java heap more room"
                        + " (HAIRPIN_JVM_OPTS=-Xmx..., whose default is a quarter of the machine's memory).",
                NatTables.cannotHold(5_000_000, need, 1536 * MIB, 0, 64 * GIB));
        assertNull(NatTables.cannotHold(5_000_000, need, 2 * GIB, 0, 5 * GIB + NatTables.MEMORY_RESERVE));
        assertEquals("nat.max-sessions 5000000 needs 5.0 GiB of session state (2.0 GiB of it on the Java heap), but"
                        + " this machine has 5.2 GiB of memory available (MemAvailable), and leaves 256.0 MiB to the"
                        + " rest: lower nat.max-sessions or free memory.",
                NatTables.cannotHold(5_000_000, need, 2 * GIB, 0, 5 * GIB + NatTables.MEMORY_RESERVE - 1));
        assertNull(NatTables.cannotHold(5_000_000, need, 2 * GIB, GIB, 4 * GIB + NatTables.MEMORY_RESERVE),
                "a gigabyte of the heap part in heap already committed and free");
        assertNull(NatTables.cannotHold(5_000_000, need, 2 * GIB, 0, -1), "MemAvailable not known");
    }
}
