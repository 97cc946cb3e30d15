package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
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
        assertFalse(m.advance());
        assertEquals(1, m.generation());
        int again = m.number(2, 98, 6);
        assertEquals(first, again, "numbers start over");
        assertTrue(m.madeFor(again, 2));
        assertEquals(98, m.key(again));
        assertFalse(m.advance());
        assertFalse(m.advance());
        assertTrue(m.advance(), "the fourth advance wraps to generation 0");
        assertEquals(0, m.generation());
    }
}
