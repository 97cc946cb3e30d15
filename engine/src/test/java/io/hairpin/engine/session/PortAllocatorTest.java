package io.hairpin.engine.session;

import io.hairpin.engine.testing.Allocations;
import static io.hairpin.engine.session.PortAllocator.ICMP;
import static io.hairpin.engine.session.PortAllocator.TCP;
import static io.hairpin.engine.session.PortAllocator.UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {
    private static final int[] ONE = {0xc6336401};
    private static final int[] FOUR = {0xc6336401, 0xc6336402, 0xc6336403, 0xc6336404};

    /** A pool's size is known before it is built: 24 KiB an address, what the built pool holds. */
    @Test
    void aPoolTakesWhatItsSizeSaysBeforeItIsBuilt() {
        for (int[] addresses : new int[][] {ONE, FOUR, new int[256]}) {
            assertEquals(new PortAllocator(addresses, 1, 0, false).footprintBytes(),
                    PortAllocator.heapBytesFor(addresses.length));
        }
        assertEquals(24_600L * 65536, PortAllocator.heapBytesFor(65536), "a /16: 1.5 GiB");
    }

    @Test
    void preservesAFreePortOfTheSlice() {
        PortAllocator a = new PortAllocator(ONE, 1, 0, false, 1);
        assertEquals(40000, a.allocate(TCP, 0, 40000));
        assertTrue(a.isAllocated(TCP, 0, 40000));
        assertFalse(a.isAllocated(UDP, 0, 40000), "protocols are separate");
        assertEquals(40000, a.allocate(UDP, 0, 40000));
        assertEquals(40000, a.allocate(ICMP, 0, 40000));
        int other = a.allocate(TCP, 0, 40000);
        assertTrue(other >= 1024 && other != 40000, "taken: another high port, " + other);
        assertEquals(123, a.allocate(UDP, 0, 123));

        PortAllocator w1of2 = new PortAllocator(ONE, 2, 1, false, 1);
        assertEquals(40001, w1of2.allocate(TCP, 0, 40001));
        int p = w1of2.allocate(TCP, 0, 40000);
        assertTrue(p != 40000 && p % 2 == 1, "40000 belongs to worker 0: " + p);
    }

    @Test
    void theNextAllocationsCanBeToldAheadFromTheGeneratorState() {
        // what the worker relies on to load a burst's bitmap words and index slots before it
        // allocates: the port each allocation hands out, told from the state before it
        for (int workers : new int[] {1, 3}) {
            PortAllocator a = new PortAllocator(FOUR, workers, workers - 1, false, 99);
            Random rnd = new Random(5);
            long state = a.randomState();
            int draws = 0;
            for (int i = 0; i < 20000; i++) {
                int proto = i % 3 == 0 ? UDP : i % 3 == 1 ? TCP : ICMP;
                int addr = rnd.nextInt(FOUR.length);
                int internal = i % 5 == 0 ? rnd.nextInt(1024) : 1024 + rnd.nextInt(4096); // often taken
                int told;
                if (a.available(proto, addr, internal) == 0) {
                    told = -1;
                } else if (a.wouldKeep(proto, addr, internal)) {
                    told = internal;
                } else {
                    told = a.firstFreeFrom(proto, addr, internal, a.startOf(proto, internal, state));
                    state = PortAllocator.advance(state);
                    draws++;
                }
                assertEquals(told, a.allocate(proto, addr, internal), "allocation " + i);
                assertEquals(state, a.randomState(), "the generator moves on a draw only");
            }
            assertTrue(draws > 1000, "allocations that drew: " + draws);
        }
    }

    @Test
    void everyWorkerStaysInItsSliceAndRange() {
        for (int workers : new int[] {1, 2, 3, 4}) {
            for (int w = 0; w < workers; w++) {
                PortAllocator a = new PortAllocator(ONE, workers, w, false, 17 + w);
                Random rnd = new Random(w);
                for (int i = 0; i < 5000; i++) {
                    int internal = rnd.nextInt(65536);
                    for (int proto : new int[] {TCP, UDP, ICMP}) {
                        int p = a.allocate(proto, 0, internal);
                        if (p < 0) {
                            continue;
                        }
                        assertEquals(w, PortAllocator.owner(p, workers), "slice property");
                        assertTrue(p >= 1 && p <= 65535);
                        if (proto != ICMP) {
                            assertEquals(internal < 1024, p < 1024, "range of " + internal + " -> " + p);
                        }
                    }
                }
            }
        }
    }

    @Test
    void fillsThePoolCompletelyThenFailsThenReusesFreedPorts() {
        for (int workers : new int[] {1, 2, 4}) {
            int w = workers - 1;
            PortAllocator a = new PortAllocator(ONE, workers, w, false, 99);
            Set<Integer> high = new HashSet<>();
            int expectedHigh = 0;
            for (int p = 1024; p <= 65535; p++) {
                expectedHigh += p % workers == w ? 1 : 0;
            }
            assertEquals(expectedHigh, a.available(UDP, 0, 5000));
            int p;
            while ((p = a.allocate(UDP, 0, 5000)) >= 0) {
                assertTrue(high.add(p), "no port handed out twice");
            }
            assertEquals(expectedHigh, high.size(), "every port of the slice was used");
            assertEquals(0, a.available(UDP, 0, 5000));
            assertEquals(-1, a.allocate(UDP, 0, 60001));
            // the low range is separate, and is not used as an overflow
            Set<Integer> low = new HashSet<>();
            while ((p = a.allocate(UDP, 0, 53)) >= 0) {
                assertTrue(p >= 1 && p <= 1023 && low.add(p));
            }
            int expectedLow = 0;
            for (int q = 1; q <= 1023; q++) {
                expectedLow += q % workers == w ? 1 : 0;
            }
            assertEquals(expectedLow, low.size());
            assertEquals(-1, a.allocate(UDP, 0, 53));
            // TCP untouched
            assertTrue(a.allocate(TCP, 0, 5000) >= 1024);
            // free and reuse
            int victim = high.iterator().next();
            assertTrue(a.free(UDP, 0, victim));
            assertFalse(a.free(UDP, 0, victim), "double free is a no-op");
            assertEquals(1, a.available(UDP, 0, 5000));
            assertEquals(victim, a.allocate(UDP, 0, 7777));
            assertEquals(-1, a.allocate(UDP, 0, 7777));
            assertTrue(a.free(UDP, 0, victim));
            assertEquals(victim, a.allocate(UDP, 0, victim), "a freed port can be preserved again");
        }
    }

    @Test
    void staticPortGivenPerCallSharesOneBitmapWithTheOtherMode() {
        PortAllocator a = new PortAllocator(ONE, 1, 0, false, 1);
        assertEquals(5060, a.allocate(UDP, 0, 5060, true), "static-port keeps a free port");
        assertEquals(-1, a.allocate(UDP, 0, 5060, true), "and fails when it is taken");
        int other = a.allocate(UDP, 0, 5060, false);
        assertTrue(other >= 1024 && other != 5060, "the other mode picks another port of the same bitmap");
        assertEquals(-1, a.allocate(UDP, 0, other, true), "which static-port then sees as taken");
        assertTrue(a.free(UDP, 0, 5060));
        assertEquals(5060, a.allocate(UDP, 0, 5060, true));
    }

    @Test
    void icmpIdentifiersUseTheWholeRange() {
        PortAllocator a = new PortAllocator(ONE, 1, 0, false, 5);
        int n = 0;
        boolean sawLow = false;
        int id;
        while ((id = a.allocate(ICMP, 0, 0)) >= 0) {
            assertTrue(id >= 1 && id <= 65535);
            sawLow |= id < 1024;
            n++;
        }
        assertEquals(65535, n);
        assertTrue(sawLow);
    }

    @Test
    void pairedPoolingIsStableAndDoesNotMoveAnExhaustedHost() {
        PortAllocator w0 = new PortAllocator(FOUR, 2, 0, false, 1);
        PortAllocator w1 = new PortAllocator(FOUR, 2, 1, false, 2);
        int[] perAddress = new int[4];
        for (int host = 0x0a000000; host < 0x0a000000 + 4000; host++) {
            int idx = w0.addressFor(host);
            assertEquals(idx, w1.addressFor(host), "every worker picks the same address");
            assertEquals(idx, w0.addressFor(host), "stable");
            perAddress[idx]++;
        }
        for (int c : perAddress) {
            assertTrue(c > 800 && c < 1200, "hosts spread over the pool: " + java.util.Arrays.toString(perAddress));
        }
        // exhaust the host's address for UDP: allocation fails even though other addresses are free
        int host = 0x0a000063;
        int idx = w0.addressFor(host);
        while (w0.allocate(UDP, idx, 40000) >= 0) {
            // fill
        }
        assertEquals(-1, w0.allocate(UDP, w0.addressFor(host), 40000));
        assertEquals(idx, w0.addressFor(host));
        assertTrue(w0.allocate(UDP, (idx + 1) % 4, 40000) >= 0);
        assertEquals(FOUR[idx], w0.address(idx));
        assertEquals(4, w0.addressCount());
    }

    @Test
    void randomPortsAreNotSequential() {
        PortAllocator a = new PortAllocator(ONE, 1, 0, false, new Random().nextLong());
        // the preferred ports are taken, so every allocation is a random one
        for (int p = 30000; p < 30200; p++) {
            assertEquals(p, a.allocate(TCP, 0, p));
        }
        int prev = -1;
        int sequential = 0;
        Set<Integer> seen = new HashSet<>();
        for (int p = 30000; p < 30200; p++) {
            int got = a.allocate(TCP, 0, p);
            assertTrue(got >= 1024 && seen.add(got));
            if (prev >= 0 && Math.abs(got - prev) <= 1) {
                sequential++;
            }
            prev = got;
        }
        assertTrue(sequential < 5, "random ports should not follow each other: " + sequential);
        // and two allocators with different seeds do not agree
        PortAllocator b = new PortAllocator(ONE, 1, 0, false, 1);
        PortAllocator c = new PortAllocator(ONE, 1, 0, false, 2);
        b.allocate(UDP, 0, 5000);
        c.allocate(UDP, 0, 5000);
        int same = 0;
        for (int i = 0; i < 100; i++) {
            same += b.allocate(UDP, 0, 5000) == c.allocate(UDP, 0, 5000) ? 1 : 0;
        }
        assertTrue(same < 5);
    }

    @Test
    void staticPortKeepsThePortOrFails() {
        PortAllocator a = new PortAllocator(ONE, 4, 1, true, 3);
        assertEquals(5001, a.allocate(UDP, 0, 5001));
        assertEquals(-1, a.allocate(UDP, 0, 5001), "taken: fail, never another port");
        assertEquals(80, a.allocate(TCP, 0, 80));
        assertEquals(5002, a.allocate(UDP, 0, 5002), "slice rules do not apply to static-port");
        assertEquals(-1, a.allocate(UDP, 0, 0));
        assertTrue(a.free(UDP, 0, 5001));
        assertEquals(5001, a.allocate(UDP, 0, 5001));
    }

    @Test
    void ownerHelpers() {
        assertEquals(3, PortAllocator.owner(40003, 4));
        assertEquals(0, PortAllocator.owner(40003, 1));
        for (int workers : new int[] {1, 2, 3, 4, 8}) {
            int[] hits = new int[workers];
            for (int i = 0; i < 8000; i++) {
                int o = PortAllocator.ownerOf(i % 3 == 0 ? 6 : 17, 0x0a000000 + i / 4, 1000 + i % 4, workers);
                assertTrue(o >= 0 && o < workers);
                assertEquals(o, PortAllocator.ownerOf(i % 3 == 0 ? 6 : 17, 0x0a000000 + i / 4, 1000 + i % 4, workers));
                hits[o]++;
            }
            for (int h : hits) {
                assertTrue(h > 8000 / workers * 8 / 10, "ownerOf spreads flows");
            }
        }
        assertTrue(PortAllocator.ownerOf(6, 0xffffffff, 65535, 7) < 7);
    }

    @Test
    void unknownProtocolFails() {
        PortAllocator a = new PortAllocator(ONE, 1, 0, false, 3);
        assertEquals(-1, a.allocate(47, 0, 1000));
        assertFalse(a.free(47, 0, 1000));
    }

    @Test
    void steadyStateAllocatesNothing() {
        PortAllocator a = new PortAllocator(FOUR, 2, 0, false, 8);
        int[] held = new int[4096];
        int[] heldAddr = new int[4096];
        Runnable work = new Runnable() {
            int k;

            @Override
            public void run() {
                for (int i = 0; i < 1_000_000; i++) {
                    int slot = k & 4095;
                    if (held[slot] > 0) {
                        a.free(UDP, heldAddr[slot], held[slot]);
                    }
                    int host = 0x0a000000 + (k & 1023);
                    int idx = a.addressFor(host);
                    heldAddr[slot] = idx;
                    held[slot] = a.allocate(UDP, idx, 1024 + (k & 0x7fff));
                    k++;
                }
            }
        };
        work.run();
        work.run();
        assertEquals(0, Allocations.during(work));
    }
}
