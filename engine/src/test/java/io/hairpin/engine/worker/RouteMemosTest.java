package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.session.SessionTable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteMemosTest {

    /** One number per decision (interface and key) in a generation, never 0; numbers run out at MAX - 1. */
    @Test
    void eachDecisionHasOneNumberUntilTheyRunOut() {
        RouteMemos m = new RouteMemos();
        Map<Long, Integer> seen = new HashMap<>();
        for (int i = 0; i < RouteMemos.MAX - 1; i++) {
            int in = i % 3;
            long key = (long) (i % 5) << 32 | (0xc0a80000L + i);
            int n = m.number(in, key, 0x1000L + i);
            assertNotEquals(0, n);
            assertEquals(null, seen.put(key, n), "a new number for a new decision");
            assertTrue(m.madeFor(n, in));
            assertFalse(m.madeFor(n, in + 1), "for its own interface only");
            assertEquals(key, m.key(n));
            assertEquals(0x1000L + i, m.bucket(n));
        }
        for (Map.Entry<Long, Integer> e : seen.entrySet()) {
            int i = (int) (e.getKey() - 0xc0a80000L & 0xffffffffL);
            assertEquals(e.getValue(), m.number(i % 3, e.getKey(), 0), "the same decision, the same number");
        }
        assertEquals(0, m.number(7, 42, 0), "all taken: none");
        assertEquals(seen.get((long) 0xc0a80000L), m.number(0, 0xc0a80000L, 0), "old ones still found");
    }

    @Test
    void aNewGenerationForgetsAndItsCountWraps() {
        RouteMemos m = new RouteMemos(4);
        int first = m.number(1, 99, 5);
        assertEquals(0, m.generation());
        m.advance();
        assertEquals(1, m.generation());
        int again = m.number(2, 98, 6);
        assertEquals(first, again, "numbers start over");
        assertTrue(m.madeFor(again, 2));
        assertEquals(98, m.key(again));
        m.advance();
        m.advance();
        m.advance();
        assertEquals(0, m.generation(), "the fourth advance wraps to generation 0");
        assertThrows(IllegalArgumentException.class, () -> new RouteMemos(1));
        assertThrows(IllegalArgumentException.class, () -> new RouteMemos(6));
    }

    /** Every record within half the generations' cycle: 1 a change at a million sessions, 64 at the most sessions a table takes. */
    @Test
    void theSweepCoversATableInHalfTheCycle() {
        RouteMemos m = new RouteMemos();
        int half = 1 << (SessionTable.MEMO_GENERATION_BITS - 1);
        assertEquals(1, m.sweepPerAdvance(1_000_000));
        assertEquals(1, m.sweepPerAdvance(half));
        assertEquals(2, m.sweepPerAdvance(half + 1));
        assertEquals(64, m.sweepPerAdvance(SessionTable.MAX_CAPACITY));
        assertEquals(5, new RouteMemos(4).sweepPerAdvance(10));
    }

    /**
     * The property the sweep is for, against an oracle of when each memo was made: over many
     * cycles of a short generation count, with memos made at random in every generation, a
     * flow's memo is only ever visible in the generation it was made in, never again when that
     * generation's number comes round. Without the sweep the same run sees old memos.
     */
    @Test
    void noMemoOutlivesItsGenerationNumber() {
        for (int generations : new int[] {2, 4, 8, 16}) {
            for (int capacity : new int[] {1, 7, 64, 100}) {
                assertEquals(0, staleMemosSeen(generations, capacity, true), generations + " generations, " + capacity);
            }
        }
        assertTrue(staleMemosSeen(8, 64, false) > 0, "the test sees stale memos when nothing sweeps");
    }

    /** Runs the simulation; the count of memos seen outside the advance they were made in. */
    private static int staleMemosSeen(int generations, int capacity, boolean sweep) {
        SessionTable t = new SessionTable(capacity);
        int[] sessions = new int[capacity];
        for (int s = 0; s < capacity; s++) {
            sessions[s] = t.create(0x0a000001L << 32 | s, 17L << 32 | 1000 + s, 0xc6336401L << 32 | s,
                    17L << 32 | 2000 + s, 0, 1L << 40);
        }
        RouteMemos m = new RouteMemos(generations);
        int[] madeAt = new int[2 * capacity];
        Arrays.fill(madeAt, -1);
        Random rnd = new Random(generations * 1000L + capacity);
        int stale = 0;
        for (int step = 0; step < 6 * generations; step++) {
            for (int s : sessions) {
                for (int flow = 2 * s; flow <= 2 * s + 1; flow++) {
                    int seen = t.routeMemo(flow, m.generation());
                    if (seen != 0 && madeAt[flow] != step) {
                        stale++;
                    }
                    if (rnd.nextInt(3) == 0) {
                        t.setRouteMemo(flow, m.generation(), 1 + rnd.nextInt(1000));
                        madeAt[flow] = step;
                        madeAt[flow ^ 1] = madeAt[flow ^ 1] == step ? step : -1; // the other flow's older memo is dropped
                    }
                }
            }
            m.advance();
            if (sweep) {
                t.sweepRouteMemos(m.sweepPerAdvance(capacity));
            }
        }
        return stale;
    }
}
