package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.shim.Mem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FlowCacheTest {
    private final FlowCache cache = new FlowCache(1);   // one bucket: every flow competes for its two ways
    private static final long STAMP = 7L << 32 | 3;
    private static final long NOW = 1_000_000_000_000L;

    @AfterEach
    void close() {
        cache.close();
    }

    private static long k1(int n) {
        return 0x0a00_0000_0000_0000L | n;
    }

    /** An entry whose new source address is n (the rest of its decision is fixed). */
    private void put(long k1, long k2, long stamp, long now, int newSrc) {
        FlowCache.write(cache.put(k1, k2, stamp, 0, now, now + FlowCache.LIFETIME_NANOS), newSrc, 0xC633_640A, 0x1234_0035,
                0xfeff, 0x1234, 0x0200_0000_0001L, 0x0200_0000_0002L, 1500, 3, true);
    }

    @Test
    void findsWhatWasPutWithItsRewrite() {
        long k2 = FlowCache.k2(1, 17, 0x1234_0035);
        put(k1(1), k2, STAMP, NOW, 0x0A03_010F);
        long e = cache.find(k1(1), k2, STAMP, NOW + 1);
        assertNotEquals(0, e);
        // the decision as the frame will carry it: network byte order, except MTU and slot
        assertEquals(0x0A03_010F, Mem.i32(e + FlowCache.OFF_ADDRESSES));
        assertEquals(0xC633_640A, Mem.i32(e + FlowCache.OFF_ADDRESSES + 4));
        assertEquals(0x1234_0035, Mem.i32(e + FlowCache.OFF_PORTS));
        assertEquals(0xfeff, Mem.u16(e + FlowCache.OFF_IP_DELTA));
        assertEquals(0x1234, Mem.u16(e + FlowCache.OFF_L4_DELTA));
        assertEquals(0x0200_0000_0001L, Mem.mac(e + FlowCache.OFF_MACS));
        assertEquals(0x0200_0000_0002L, Mem.mac(e + FlowCache.OFF_MACS + 6));
        assertEquals(1500, Mem.nativeU16(e + FlowCache.OFF_MTU));
        assertEquals(3, Mem.u8(e + FlowCache.OFF_SLOT));
        assertEquals(FlowCache.TRANSLATED, Mem.u8(e + FlowCache.OFF_FLAGS));
    }

    /** An entry names the NAT rule behind its decision; the rule is no part of the stamp it is valid under. */
    @Test
    void keepsTheRuleOfItsDecisionApartFromItsStamp() {
        long k2 = FlowCache.k2(1, 17, 0x1234_0035);
        FlowCache.write(cache.put(k1(1), k2, STAMP, 0xFFFF, NOW, NOW + FlowCache.LIFETIME_NANOS), 1, 2, 3, 0, 0, 0, 0,
                1500, 0, true);
        long e = cache.find(k1(1), k2, STAMP, NOW);
        assertNotEquals(0, e);
        assertEquals(0xFFFF, FlowCache.rule(e));
        assertEquals(0, cache.find(k1(1), k2, STAMP + 1, NOW), "another stamp: stale, whatever the rule");
        FlowCache.write(cache.put(k1(1), k2, STAMP, 7, NOW, NOW + FlowCache.LIFETIME_NANOS), 1, 2, 3, 0, 0, 0, 0,
                1500, 0, true);
        assertEquals(7, FlowCache.rule(cache.find(k1(1), k2, STAMP, NOW)), "the same way, rewritten");
    }

    @Test
    void missesOnAnyOtherInterfaceProtocolOrPort() {
        put(k1(1), FlowCache.k2(1, 17, 0x1234_0035), STAMP, NOW, 1);
        assertEquals(0, cache.find(k1(1), FlowCache.k2(0, 17, 0x1234_0035), STAMP, NOW));
        assertEquals(0, cache.find(k1(1), FlowCache.k2(1, 6, 0x1234_0035), STAMP, NOW));
        assertEquals(0, cache.find(k1(1), FlowCache.k2(1, 17, 0x1234_0036), STAMP, NOW));
        assertEquals(0, cache.find(k1(2), FlowCache.k2(1, 17, 0x1234_0035), STAMP, NOW));
    }

    @Test
    void anEntryIsValidOnlyUnderItsStampAndForItsLifetime() {
        long k2 = FlowCache.k2(0, 6, 80);
        put(k1(1), k2, STAMP, NOW, 1);
        assertEquals(0, cache.find(k1(1), k2, STAMP + 1, NOW), "another neighbour-table version");
        assertEquals(0, cache.find(k1(1), k2, STAMP + (1L << 32), NOW), "another snapshot");
        assertNotEquals(0, cache.find(k1(1), k2, STAMP, NOW + FlowCache.LIFETIME_NANOS - 1));
        assertEquals(0, cache.find(k1(1), k2, STAMP, NOW + FlowCache.LIFETIME_NANOS), "expired");
    }

    @Test
    void entriesFilledTogetherExpireSpreadOverTheLastQuarterOfTheirLifetime() {
        long quarter = FlowCache.LIFETIME_NANOS / 4;
        int[] perTenth = new int[10];
        for (int i = 0; i < 10_000; i++) {
            long lifetime = cache.expiry(NOW) - NOW;
            assertTrue(lifetime > FlowCache.LIFETIME_NANOS - quarter && lifetime <= FlowCache.LIFETIME_NANOS,
                    "lifetime " + lifetime);
            perTenth[(int) ((FlowCache.LIFETIME_NANOS - lifetime) * 10 / quarter)]++;
        }
        for (int t = 0; t < 10; t++) {
            assertTrue(perTenth[t] > 800 && perTenth[t] < 1200, "tenth " + t + " of the quarter: " + perTenth[t]);
        }
    }

    @Test
    void forgetDropsTheTupleOnEveryInterface() {
        long onWan = FlowCache.k2(0, 17, 0x1111_2222);
        long onLan = FlowCache.k2(1, 17, 0x1111_2222);
        put(k1(1), onWan, STAMP, NOW, 1);
        put(k1(1), onLan, STAMP, NOW, 1);
        cache.forget(k1(1), FlowCache.k2(5, 17, 0x1111_2222), NOW);
        assertEquals(0, cache.find(k1(1), onWan, STAMP, NOW));
        assertEquals(0, cache.find(k1(1), onLan, STAMP, NOW));
    }

    /** forget may skip the bucket once every flow's entry has expired, but not a moment before. */
    @Test
    void forgetDropsEveryEntryThatMayStillBeValid() {
        long k2 = FlowCache.k2(0, 17, 0x1111_2222);
        long last = NOW + FlowCache.LIFETIME_NANOS - 1; // the last moment the first entry is valid
        put(k1(1), k2, STAMP, NOW, 1);
        put(k1(2), k2, STAMP, NOW - FlowCache.LIFETIME_NANOS / 2, 2); // expires earlier, put later
        cache.forget(k1(1), k2, last);
        assertEquals(0, cache.find(k1(1), k2, STAMP, last), "the earlier expiry put later did not hide it");

        put(k1(3), k2, STAMP, NOW, 3);
        long route = 1L << 32 | (k1(4) & 0xffff_ffffL); // egress 1, next hop
        FlowCache.write(cache.put(route, FlowCache.ROUTE_K2, STAMP, 0, NOW, NOW + 5 * FlowCache.LIFETIME_NANOS),
                0, 0, 0, 0, 0, 0, 0, 0, 0, false);
        cache.forget(k1(3), k2, last);
        assertEquals(0, cache.find(k1(3), k2, STAMP, last));
        assertNotEquals(0, cache.find(route, FlowCache.ROUTE_K2, STAMP, last),
                "a route entry is no flow's: forget leaves it");

        long later = NOW + 3 * FlowCache.LIFETIME_NANOS;
        cache.forget(k1(3), k2, later); // nothing of a flow valid by then: nothing to do
        put(k1(5), k2, STAMP, later, 5);
        cache.forget(k1(5), k2, later);
        assertEquals(0, cache.find(k1(5), k2, STAMP, later), "a new entry is forgotten again");
    }

    @Test
    void aFlowTooManyReplacesAnInvalidWayFirstElseTheLastWay() {
        long k2 = FlowCache.k2(0, 17, 1);
        for (int i = 1; i <= FlowCache.WAYS; i++) {
            put(k1(i), k2, STAMP, NOW, i);
        }
        for (int i = 1; i <= FlowCache.WAYS; i++) {
            assertNotEquals(0, cache.find(k1(i), k2, STAMP, NOW), "flow " + i);
        }
        put(k1(99), k2, STAMP, NOW, 99);              // all valid: the last way goes
        assertNotEquals(0, cache.find(k1(99), k2, STAMP, NOW));
        assertEquals(0, cache.find(k1(FlowCache.WAYS), k2, STAMP, NOW));
        for (int i = 1; i < FlowCache.WAYS; i++) {
            assertNotEquals(0, cache.find(k1(i), k2, STAMP, NOW), "flow " + i);
        }
        cache.forget(k1(2), k2, NOW);                 // an invalid way is taken before any valid one
        put(k1(100), k2, STAMP, NOW, 100);
        assertNotEquals(0, cache.find(k1(100), k2, STAMP, NOW));
        assertNotEquals(0, cache.find(k1(99), k2, STAMP, NOW));
        assertNotEquals(0, cache.find(k1(1), k2, STAMP, NOW));
        long later = NOW + 2 * FlowCache.LIFETIME_NANOS;
        put(k1(5), k2, STAMP, later, 5);              // all expired: reused
        assertNotEquals(0, cache.find(k1(5), k2, STAMP, later));
        put(k1(5), k2, STAMP, later, 6);              // the same flow again: updated in place
        assertEquals(6, Mem.i32(cache.find(k1(5), k2, STAMP, later) + FlowCache.OFF_ADDRESSES));
    }

    @Test
    void bucketsMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new FlowCache(3));
    }
}
