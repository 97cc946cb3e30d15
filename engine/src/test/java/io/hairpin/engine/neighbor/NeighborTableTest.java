package io.hairpin.engine.neighbor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NeighborTableTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void learnsLooksUpAndExpires() {
        NeighborTable t = new NeighborTable(64, 300 * SECOND);
        assertEquals(NeighborTable.UNKNOWN, t.mac(0x0a000001));
        assertTrue(t.learn(0x0a000001, 0x020000000001L, 10 * SECOND));
        assertEquals(0x020000000001L, t.mac(0x0a000001));
        assertFalse(t.isStale(0x0a000001, 309 * SECOND));
        assertTrue(t.isStale(0x0a000001, 311 * SECOND));
        assertEquals(0, t.expire(312 * SECOND, 5 * SECOND));
        assertEquals(1, t.expire(316 * SECOND, 5 * SECOND));
        assertEquals(NeighborTable.UNKNOWN, t.mac(0x0a000001));
    }

    @Test
    void requestsAreRateLimitedPerNeighbour() {
        NeighborTable t = new NeighborTable(64, 300 * SECOND);
        assertTrue(t.shouldRequest(0x0a000002, 100 * SECOND, SECOND));
        assertFalse(t.shouldRequest(0x0a000002, 100 * SECOND + SECOND / 2, SECOND));
        assertTrue(t.shouldRequest(0x0a000002, 101 * SECOND + 1, SECOND));
        assertTrue(t.shouldRequest(0x0a000003, 100 * SECOND, SECOND));
        t.learn(0x0a000002, 0x02aa, 102 * SECOND);
        assertFalse(t.shouldRequest(0x0a000002, 110 * SECOND, SECOND));
    }

    @Test
    void gleaningOnlyRefreshesKnownNeighbours() {
        NeighborTable t = new NeighborTable(64, 300 * SECOND);
        t.refreshIfKnown(0x0a000009, 0x02bb, SECOND);
        assertEquals(NeighborTable.UNKNOWN, t.mac(0x0a000009));
        t.learn(0x0a000009, 0x02bb, SECOND);
        t.refreshIfKnown(0x0a000009, 0x02cc, 2 * SECOND);
        assertEquals(0x02cc, t.mac(0x0a000009));
    }

    @Test
    void aFullTableRefusesNewEntriesButKeepsOldOnes() {
        NeighborTable t = new NeighborTable(16, 300 * SECOND);
        for (int i = 1; i <= t.capacity(); i++) {
            assertTrue(t.learn(i, i, SECOND));
        }
        assertFalse(t.learn(0x7f000000, 1, SECOND));
        assertEquals(5, t.mac(5));
    }
}
