package io.hairpin.engine.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LinearProbingTest {

    @Test
    void indexesAreTheLeastPowerOfTwoAtALoadOfAtMostSevenTenths() {
        assertEquals(2, LinearProbing.slotsFor(1));
        assertEquals(4, LinearProbing.slotsFor(2));          // 2 / 0.7 = 2.9
        assertEquals(16, LinearProbing.slotsFor(7));         // exactly 0.7 would need 10
        assertEquals(16, LinearProbing.slotsFor(11));        // 11 / 16 = 0.69
        assertEquals(32, LinearProbing.slotsFor(12));        // 12 / 16 = 0.75: too full
        assertEquals(1 << 22, LinearProbing.slotsFor(2_000_000));   // 1 M sessions' flows: as before
        assertEquals(1 << 22, LinearProbing.slotsFor(1 << 21));     // 2^20 sessions' flows: as before
        assertEquals(1 << 25, LinearProbing.slotsFor(20_000_000));  // 10 M sessions' flows: 0.60, not 0.30
        assertEquals(1 << 24, LinearProbing.slotsFor(10_000_000));  // 10 M mappings
        assertEquals(1 << 29, LinearProbing.slotsFor(2L * SessionTable.MAX_CAPACITY));
        assertEquals(1 << 30, LinearProbing.slotsFor(1 << 29));     // RecordIndex's largest
    }

    @Test
    void refusesWhatNoArrayHolds() {
        assertThrows(IllegalArgumentException.class, () -> LinearProbing.slotsFor(0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbing.slotsFor(1L << 30));
    }
}
