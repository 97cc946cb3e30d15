package io.hairpin.engine.session;

import io.hairpin.engine.testing.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MappingTableTest {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int IN = 0x0a000005;
    private static final int OUT = 0xc6336401;

    @Test
    void findsBothDirectionsAndKeepsTheFields() {
        MappingTable t = new MappingTable(8, 1);
        int m = t.create(UDP, IN, 5060, OUT, 61000);
        assertTrue(m >= 0);
        assertEquals(m, t.find(UDP, IN, 5060));
        assertEquals(m, t.findExternal(UDP, OUT, 61000));
        assertEquals(-1, t.find(TCP, IN, 5060), "protocol is part of the key");
        assertEquals(-1, t.findExternal(UDP, OUT, 61001));
        assertEquals(-1, t.find(UDP, OUT, 61000), "directions do not mix");
        assertEquals(UDP, t.proto(m));
        assertEquals(IN, t.internalIp(m));
        assertEquals(5060, t.internalPort(m));
        assertEquals(OUT, t.externalIp(m));
        assertEquals(61000, t.externalPort(m));
        int hi = t.create(TCP, 0xffffffff, 65535, 0x80000000, 65535);
        assertEquals(0xffffffff, t.internalIp(hi));
        assertEquals(65535, t.internalPort(hi));
        assertEquals(0x80000000, t.externalIp(hi));
        assertEquals(65535, t.externalPort(hi));
        assertEquals(TCP, t.proto(hi));
    }

    @Test
    void refusesDuplicatesAndOverflow() {
        MappingTable t = new MappingTable(3, 2);
        assertTrue(t.create(UDP, IN, 1000, OUT, 1000) >= 0);
        assertEquals(-1, t.create(UDP, IN, 1000, OUT, 2000), "internal endpoint mapped already");
        assertEquals(-1, t.create(UDP, IN + 1, 1000, OUT, 1000), "no port overloading");
        assertTrue(t.create(TCP, IN, 1000, OUT, 1000) >= 0);
        assertTrue(t.create(UDP, IN, 1001, OUT, 1001) >= 0);
        assertEquals(-1, t.create(UDP, IN, 1002, OUT, 1002), "full");
        assertEquals(3, t.size());
        assertEquals(3, t.capacity());
    }

    @Test
    void referenceCountRemovesAtZero() {
        MappingTable t = new MappingTable(4, 3);
        int m = t.create(TCP, IN, 40000, OUT, 40000);
        t.setTag(m, 7);
        t.retain(m);
        t.retain(m);
        t.retain(m);
        assertEquals(3, t.refs(m));
        assertFalse(t.release(m));
        assertFalse(t.release(m));
        assertEquals(m, t.find(TCP, IN, 40000));
        assertTrue(t.release(m), "last session gone: removed, caller frees the port");
        assertEquals(-1, t.find(TCP, IN, 40000));
        assertEquals(-1, t.findExternal(TCP, OUT, 40000));
        assertEquals(0, t.size());
        assertFalse(t.isLive(m));
        // still readable until reused, so the caller can free the right port
        assertEquals(40000, t.externalPort(m));
        assertEquals(7, t.tag(m));
        assertThrows(IllegalArgumentException.class, () -> t.release(m));
        assertThrows(IllegalArgumentException.class, () -> t.retain(m));
        int n = t.create(TCP, IN, 40000, OUT, 40001);
        assertEquals(0, t.refs(n));
        assertEquals(0, t.tag(n));
        assertThrows(IllegalArgumentException.class, () -> t.release(n), "never retained");
        t.remove(n);
        assertEquals(0, t.size());
    }

    private record Ep(int proto, int ip, int port) {
    }

    @Test
    void matchesHashMapOracle() {
        Random rnd = new Random(5);
        for (int cap : new int[] {1, 5, 200, 716}) { // 716: 1024 slots per index, a load of 0.7 when full
            MappingTable t = new MappingTable(cap, rnd.nextLong());
            Map<Ep, Integer> in = new HashMap<>();
            Map<Ep, Integer> ex = new HashMap<>();
            Map<Integer, int[]> live = new HashMap<>(); // m -> {refs}
            Map<Integer, Ep[]> eps = new HashMap<>();
            List<Integer> ids = new ArrayList<>();
            for (int op = 0; op < 100_000; op++) {
                int proto = rnd.nextBoolean() ? TCP : UDP;
                Ep i = new Ep(proto, 0x0a000000 + rnd.nextInt(20), 1000 + rnd.nextInt(20));
                Ep e = new Ep(proto, OUT + rnd.nextInt(2), 1000 + rnd.nextInt(200));
                int kind = rnd.nextInt(10);
                if (kind < 3) {
                    int m = t.create(i.proto, i.ip, i.port, e.ip, e.port);
                    boolean ok = live.size() < cap && !in.containsKey(i) && !ex.containsKey(e);
                    assertEquals(ok, m >= 0);
                    if (ok) {
                        in.put(i, m);
                        ex.put(e, m);
                        live.put(m, new int[] {0});
                        eps.put(m, new Ep[] {i, e});
                        ids.add(m);
                    }
                } else if (kind < 6) {
                    assertEquals(in.getOrDefault(i, -1), t.find(i.proto, i.ip, i.port));
                    assertEquals(ex.getOrDefault(e, -1), t.findExternal(e.proto, e.ip, e.port));
                } else if (!ids.isEmpty()) {
                    int m = ids.get(rnd.nextInt(ids.size()));
                    int[] r = live.get(m);
                    if (kind < 8 || r[0] == 0) {
                        t.retain(m);
                        r[0]++;
                    } else {
                        r[0]--;
                        boolean gone = t.release(m);
                        assertEquals(r[0] == 0, gone);
                        if (gone) {
                            Ep[] x = eps.remove(m);
                            assertEquals(x[1].port, t.externalPort(m));
                            in.remove(x[0]);
                            ex.remove(x[1]);
                            live.remove(m);
                            ids.remove(Integer.valueOf(m));
                        }
                    }
                }
                assertEquals(live.size(), t.size());
            }
            for (Map.Entry<Ep, Integer> x : in.entrySet()) {
                int m = x.getValue();
                assertEquals(m, t.find(x.getKey().proto, x.getKey().ip, x.getKey().port));
                assertEquals(live.get(m)[0], t.refs(m));
                Ep e = eps.get(m)[1];
                assertEquals(m, t.findExternal(e.proto, e.ip, e.port));
                assertEquals(e.ip, t.externalIp(m));
            }
        }
    }

    @Test
    void peersMatchACountingOracle() {
        Random rnd = new Random(11);
        // 200 mappings: the shared peer table holds more (mapping, remote) pairs than 10 live
        // mappings and 6 remotes can make, so every peer is recorded and the oracle is exact
        MappingTable t = new MappingTable(200, rnd.nextLong());
        Map<Long, Integer> count = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        for (int op = 0; op < 200_000; op++) {
            int kind = rnd.nextInt(10);
            if (live.size() < 10 && (live.isEmpty() || kind == 0)) {
                int m = t.create(UDP, IN, 2000 + op % 50_000, OUT, 2000 + op % 50_000);
                assertTrue(m >= 0);
                for (int r = 0; r < 6; r++) {
                    assertFalse(t.hasPeer(m, OUT + 100 + r), "a new mapping has no peers, whoever held the index before");
                }
                t.retain(m);
                live.add(m);
                continue;
            }
            int m = live.get(rnd.nextInt(live.size()));
            int remote = OUT + 100 + rnd.nextInt(6);
            long key = (long) m << 32 | (remote & 0xffffffffL);
            int c = count.getOrDefault(key, 0);
            if (kind < 5) {
                assertTrue(t.addPeer(m, remote));
                count.put(key, c + 1);
            } else if (kind < 8 && c > 0) {
                t.dropPeer(m, remote);
                count.put(key, c - 1);
            } else if (kind == 9 && live.size() > 1 && count.entrySet().stream()
                    .noneMatch(e -> e.getKey() >>> 32 == m && e.getValue() > 0)) {
                assertTrue(t.release(m), "its sessions are gone: so is the mapping");
                live.remove(Integer.valueOf(m));
            }
            for (int r = 0; r < 6; r++) {
                long k = (long) m << 32 | ((OUT + 100 + r) & 0xffffffffL);
                assertEquals(count.getOrDefault(k, 0) > 0, t.hasPeer(m, OUT + 100 + r), "op " + op);
            }
        }
    }

    @Test
    void aFullPeerTableFiltersMoreNotLess() {
        MappingTable t = new MappingTable(8, 12);
        int m = t.create(UDP, IN, 53, OUT, 53);
        int other = t.create(UDP, IN, 54, OUT, 54);
        int remote = OUT + 1000;
        int recorded = 0;
        while (t.addPeer(m, remote + recorded)) {
            recorded++;
            assertTrue(recorded < 1000, "the shared table is bounded");
        }
        int unrecorded = remote + recorded;
        assertFalse(t.hasPeer(m, unrecorded), "a remote with no room is not let in");
        for (int r = 0; r < recorded; r++) {
            assertTrue(t.hasPeer(m, remote + r));
        }
        assertTrue(t.addPeer(other, OUT + 7), "a mapping's own first peer needs no room in the table");
        assertTrue(t.hasPeer(other, OUT + 7));
        assertFalse(t.hasPeer(other, remote), "peers are per mapping");
        t.dropPeer(m, unrecorded); // its session ends: nothing to take off, nothing breaks
        t.dropPeer(m, remote + recorded - 1);
        assertFalse(t.hasPeer(m, remote + recorded - 1));
        assertTrue(t.addPeer(m, unrecorded), "room again");
        assertTrue(t.hasPeer(m, unrecorded));
    }

    @Test
    void steadyStateAllocatesNothing() {
        MappingTable t = new MappingTable(10_000, 4);
        HostCounters h = new HostCounters(10_000, 4);
        Runnable work = new Runnable() {
            int k;

            @Override
            public void run() {
                for (int i = 0; i < 1_000_000; i++) {
                    int host = 0x0a000000 + (k & 4095);
                    int port = 1024 + (k & 7);
                    int m = t.find(UDP, host, port);
                    if (m < 0) {
                        m = t.create(UDP, host, port, OUT, 1024 + (k & 0xffff) % 60000);
                    }
                    if (m >= 0) {
                        t.retain(m);
                        t.addPeer(m, OUT + (k & 3));
                        t.addPeer(m, OUT + 4 + (k & 3));
                        h.hostAdd(host, 1);
                        if (t.findExternal(UDP, t.externalIp(m), t.externalPort(m)) != m) {
                            throw new AssertionError();
                        }
                        t.dropPeer(m, OUT + (k & 3));
                        t.dropPeer(m, OUT + 4 + (k & 3));
                        t.release(m);
                        h.hostAdd(host, -1);
                    }
                    k += 7;
                }
            }
        };
        work.run();
        work.run();
        assertEquals(0, Allocations.during(work));
    }

    @Test
    void theExternalIndexCanBeDroppedAndBuiltAgainWhileMappingsComeAndGo() {
        // oracle: a map of the live mappings by external endpoint, kept beside the table
        MappingTable t = new MappingTable(1000, 9);
        Map<Long, Integer> live = new HashMap<>();
        Random rnd = new Random(17);
        boolean on = true;
        int port = 1;
        for (int round = 0; round < 4000; round++) {
            int op = rnd.nextInt(100);
            if (op < 45 && live.size() < 1000) {
                int p = port++;
                int m = t.create(UDP, IN + p, p, OUT, p);
                assertTrue(m >= 0);
                live.put((long) p, m);
            } else if (op < 85 && !live.isEmpty()) {
                long p = new ArrayList<>(live.keySet()).get(rnd.nextInt(live.size()));
                t.remove(live.remove(p));
            } else if (op < 88) {
                on = !on;
                t.indexExternal(on);
            } else {
                t.stepExternalIndex(1 + rnd.nextInt(64));
            }
            if (!on) {
                assertFalse(t.externalIndexed(), "off: new mappings are not indexed");
            }
            for (Map.Entry<Long, Integer> e : live.entrySet()) {
                int found = t.findExternal(UDP, OUT, (int) (long) e.getKey());
                if (t.externalComplete()) {
                    assertEquals(e.getValue(), found, "a complete index finds every live mapping");
                } else if (found >= 0) {
                    assertEquals(e.getValue(), found, "never another mapping");
                }
                if (!on) {
                    assertEquals(-1, found, "no lookups by external endpoint while the index is off");
                }
            }
            assertEquals(-1, t.findExternal(UDP, OUT, port), "a port never mapped");
        }
        t.indexExternal(true);
        for (int i = 0; i < 1000 && !t.externalComplete(); i++) {
            t.stepExternalIndex(16);
        }
        assertTrue(t.externalComplete(), "building ends");
        for (Map.Entry<Long, Integer> e : live.entrySet()) {
            assertEquals(e.getValue(), t.findExternal(UDP, OUT, (int) (long) e.getKey()));
            assertEquals(e.getValue(), t.find(UDP, IN + (int) (long) e.getKey(), (int) (long) e.getKey()));
        }
        for (int p = 1; p < port; p++) {
            if (!live.containsKey((long) p)) {
                assertEquals(-1, t.findExternal(UDP, OUT, p), "removed mappings stay gone: " + p);
            }
        }
    }

    @Test
    void anEmptyTableDropsItsExternalIndexAtOnce() {
        MappingTable t = new MappingTable(64, 10);
        t.indexExternal(false);
        assertFalse(t.externalComplete());
        assertFalse(t.externalIndexed());
        int m = t.create(TCP, IN, 40000, OUT, 40000);
        assertEquals(m, t.find(TCP, IN, 40000), "the internal index is kept");
        assertEquals(-1, t.findExternal(TCP, OUT, 40000));
        assertEquals(-1, t.create(TCP, IN, 40000, OUT, 40001), "still one mapping per internal endpoint");
        t.indexExternal(true);
        assertEquals(-1, t.findExternal(TCP, OUT, 40000), "not reached by the build yet");
        t.stepExternalIndex(64);
        assertTrue(t.externalComplete());
        assertEquals(m, t.findExternal(TCP, OUT, 40000));
    }
}
