package io.hairpin.engine.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HostCountersTest {

    @Test
    void countsPerHostAndForgetsAtZero() {
        HostCounters h = new HostCounters(2, 1);
        assertEquals(0, h.hostSessions(0x0a000001));
        assertEquals(1, h.hostAdd(0x0a000001, 1));
        assertEquals(3, h.hostAdd(0x0a000001, 2));
        assertEquals(1, h.hostAdd(0xffffffff, 1));
        assertEquals(-1, h.hostAdd(0x0a000002, 1), "full: a third host does not fit");
        assertEquals(0, h.hostSessions(0x0a000002));
        assertEquals(0, h.hostAdd(0xffffffff, -1));
        assertEquals(1, h.hostAdd(0x0a000002, 1), "room again after a host went to zero");
        assertEquals(3, h.hostSessions(0x0a000001));
        assertEquals(2, h.hosts());
        assertThrows(IllegalStateException.class, () -> h.hostAdd(0x0a000002, -2));
        assertEquals(1, h.hostSessions(0x0a000002));
        assertEquals(0, h.hostAdd(0x0a000002, -1));
        assertEquals(1, h.hostAdd(0, 1), "address 0 is an ordinary key");
        assertEquals(1, h.hostSessions(0));
    }

    @Test
    void matchesHashMapOracle() {
        Random rnd = new Random(9);
        HostCounters h = new HostCounters(300, rnd.nextLong());
        Map<Integer, Integer> model = new HashMap<>();
        for (int op = 0; op < 200_000; op++) {
            int ip = 0x0a000000 + rnd.nextInt(400);
            int cur = model.getOrDefault(ip, 0);
            int delta = cur > 0 && rnd.nextBoolean() ? -1 - rnd.nextInt(cur) : 1 + rnd.nextInt(3);
            int n = cur + delta;
            int got = h.hostAdd(ip, delta);
            if (cur == 0 && model.size() == 300) {
                assertEquals(-1, got);
            } else {
                assertEquals(n, got);
                if (n == 0) {
                    model.remove(ip);
                } else {
                    model.put(ip, n);
                }
            }
            assertEquals(model.size(), h.hosts());
            int probe = 0x0a000000 + rnd.nextInt(400);
            assertEquals(model.getOrDefault(probe, 0), h.hostSessions(probe));
        }
    }
}
