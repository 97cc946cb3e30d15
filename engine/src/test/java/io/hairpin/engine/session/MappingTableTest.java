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

    /** A session in the oracle: its mapping, its flow 0 key and rewrite, whether it is its mapping's first. */
    private record Live(int mapping, long k1, long k2, long rk1, long rk2, boolean first) {
        long revK1() {
            return SessionTableTest.reverseK1(rk1);
        }

        long revK2() {
            return SessionTableTest.reverseK2(rk2);
        }
    }

    private static int flowOf(SessionTable s, MappingTable t, long k1, long k2) {
        int f = s.lookup(k1, k2);
        if (f < 0) {
            f = t.firstFlow(k1, k2, true);
        }
        return f >= 0 ? f : t.firstFlow(k1, k2, false);
    }

    @Test
    void firstSessionsAreFoundThroughTheirMappingsWhateverComesAndGoes() {
        // oracle: the live sessions with their keys, kept beside a real session table; two pools
        // share internal endpoints, so keys that differ only in the pool share probe chains
        Random rnd = new Random(23);
        SessionTable s = new SessionTable(300, SessionTable.DEFAULT_TICK_SHIFT, 10, rnd.nextLong());
        MappingTable t = new MappingTable(300, rnd.nextLong(), s);
        Map<Integer, Live> sessions = new HashMap<>();
        Map<Integer, Integer> refs = new HashMap<>();
        Map<Integer, Integer> firstOf = new HashMap<>();
        long[] k1s = new long[8];
        long[] k2s = new long[8];
        int[] flows = new int[8];
        long[] scratch = new long[8];
        SlotBatch batch = new SlotBatch();
        for (int op = 0; op < 60_000; op++) {
            int proto = rnd.nextBoolean() ? TCP : UDP;
            int pool = rnd.nextInt(2);
            int ip = IN + rnd.nextInt(8);
            int port = 1000 + rnd.nextInt(8);
            int remote = OUT + 500 + rnd.nextInt(3);
            int remotePort = 53 + rnd.nextInt(2);
            int kind = rnd.nextInt(10);
            int m = t.find(proto | pool << 8, ip, port);
            long k1 = (long) ip << 32 | (remote & 0xFFFF_FFFFL);
            long k2 = (long) proto << 32 | (long) port << 16 | remotePort;
            if (kind < 5 && flowOf(s, t, k1, k2) < 0) {
                boolean first = m < 0;
                if (first) {
                    int extPort = 2000 + rnd.nextInt(400);
                    m = t.create(proto | pool << 8, ip, port, OUT + pool, extPort);
                    if (m < 0) {
                        continue; // its external port is taken, or the table is full
                    }
                }
                long rk1 = (long) t.externalIp(m) << 32 | (remote & 0xFFFF_FFFFL);
                long rk2 = (long) proto << 32 | (long) t.externalPort(m) << 16 | remotePort;
                if (flowOf(s, t, SessionTableTest.reverseK1(rk1), SessionTableTest.reverseK2(rk2)) >= 0) {
                    continue; // cannot happen to a new mapping's
                }
                int id = first ? s.createUnindexed(k1, k2, rk1, rk2, 0, 1L << 40) : s.create(k1, k2, rk1, rk2, 0, 1L << 40);
                if (id < 0) {
                    assertEquals(300, s.size());
                    if (first) {
                        t.remove(m);
                    }
                    continue;
                }
                s.setTag(id, m);
                t.retain(m);
                if (first && rnd.nextInt(4) == 0) {
                    // another mapping made and removed in between: m's entries may have moved
                    int x = t.create(proto | pool << 8, ip + 100, port, OUT + pool, 3000 + rnd.nextInt(400));
                    if (x >= 0) {
                        t.remove(x);
                    }
                }
                if (first) {
                    t.bindFirst(m, id);
                    firstOf.put(m, id);
                }
                refs.merge(m, 1, Integer::sum);
                sessions.put(id, new Live(m, k1, k2, rk1, rk2, first));
            } else if (kind < 8 && !sessions.isEmpty()) {
                int id = new ArrayList<>(sessions.keySet()).get(rnd.nextInt(sessions.size()));
                Live l = sessions.remove(id);
                assertEquals(!l.first, s.isIndexed(id));
                if (l.first && t.refs(l.mapping) > 1) {
                    t.unbindFirst(l.mapping);
                }
                if (l.first) {
                    firstOf.remove(l.mapping);
                }
                int left = refs.merge(l.mapping, -1, Integer::sum);
                assertEquals(left == 0, t.release(l.mapping));
                if (left == 0) {
                    refs.remove(l.mapping);
                }
                s.remove(id);
            }
            s.checkInvariants();
            assertEquals(refs.size(), t.size());
            int n = 0;
            for (Map.Entry<Integer, Live> e : sessions.entrySet()) {
                int id = e.getKey();
                Live l = e.getValue();
                assertEquals(2 * id, flowOf(s, t, l.k1, l.k2), "forward flow, op " + op);
                assertEquals(2 * id + 1, flowOf(s, t, l.revK1(), l.revK2()), "return flow, op " + op);
                assertEquals(l.first ? -1 : 2 * id, s.lookup(l.k1, l.k2), "a first session has no index entries");
                assertEquals(l.first ? 2 * id : -1, t.firstFlow(l.k1, l.k2, true));
                assertEquals(l.first ? 2 * id + 1 : -1, t.firstFlow(l.revK1(), l.revK2(), false));
                assertEquals(-1, t.firstFlow(l.k1, l.k2, false), "each flow is looked for in its own direction");
                assertEquals(l.mapping, t.find(t.proto(l.mapping), t.internalIp(l.mapping), t.internalPort(l.mapping)));
                assertEquals(l.mapping, t.findExternal(t.proto(l.mapping), t.externalIp(l.mapping), t.externalPort(l.mapping)));
                assertEquals(-1, t.find(t.proto(l.mapping) ^ 0x300, t.internalIp(l.mapping), t.internalPort(l.mapping)),
                        "the pool is part of the key");
                if (n < k1s.length) {
                    k1s[n] = l.k1;
                    k2s[n] = l.k2;
                    n++;
                }
            }
            // a burst: found by the session index, or through the mappings, or not at all
            if (n < k1s.length) {
                k1s[n] = (long) IN << 32 | 0x7f000001L;
                k2s[n] = (long) UDP << 32 | 9;
                n++;
            }
            for (int i = 0; i < n; i++) {
                flows[i] = s.lookup(k1s[i], k2s[i]);
            }
            int[] halves = flows.clone();
            // the same burst the way the worker looks it up: its home slots taken and prefetched
            // when it is received, then the two halves; other bursts may change the table in
            // between each step (here a mapping made and removed, which may move entries)
            // (the candidates in two pieces, as the worker finds them among another burst's packets)
            t.findHomes(k1s, k2s, n, true, batch, true);
            mappingMadeAndRemoved(t, rnd);
            int piece = rnd.nextInt(n + 1);
            t.firstCandidates(0, piece, halves, true, batch);
            mappingMadeAndRemoved(t, rnd);
            t.firstCandidates(piece, n, halves, true, batch);
            mappingMadeAndRemoved(t, rnd);
            t.confirmFirstFlows(k1s, k2s, n, halves, true, batch);
            t.firstFlows(k1s, k2s, n, flows, true, scratch);
            for (int i = 0; i < n; i++) {
                assertEquals(flowOf(s, t, k1s[i], k2s[i]), flows[i], "a burst finds what one look-up finds");
                assertEquals(flows[i], halves[i], "firstCandidates then confirmFirstFlows find what firstFlows finds");
            }
            // their return flows, looked for from outside
            for (int i = 0; i < n; i++) {
                long fk1 = k1s[i];
                long fk2 = k2s[i];
                int f = flowOf(s, t, fk1, fk2);
                k1s[i] = SessionTableTest.reverseK1(f < 0 ? fk1 : s.rewriteK1(f));
                k2s[i] = SessionTableTest.reverseK2(f < 0 ? fk2 : s.rewriteK2(f));
                halves[i] = -1;
            }
            // their home slots prefetched in pieces, as for a burst held over to the next round
            t.findHomes(k1s, k2s, n, false, batch, false);
            int homes = rnd.nextInt(n + 1);
            t.prefetchHomes(0, homes, false, batch);
            t.prefetchHomes(homes, n, false, batch);
            t.firstCandidates(0, n, halves, false, batch);
            mappingMadeAndRemoved(t, rnd);
            t.confirmFirstFlows(k1s, k2s, n, halves, false, batch);
            for (int i = 0; i < n; i++) {
                int expected = t.firstFlow(k1s[i], k2s[i], false);
                assertEquals(expected, halves[i], "a return flow's halves find what firstFlow finds");
                if (flows[i] >= 0 && flows[i] % 2 == 0 && s.lookup(k1s[i], k2s[i]) < 0) {
                    assertEquals(flows[i] + 1, halves[i], "a first session's return flow is found from outside");
                }
            }
        }
        assertTrue(firstOf.size() > 10 && sessions.size() > firstOf.size(), "both kinds were exercised");
    }

    /** A mapping with no sessions made and removed: the table's other entries may move. */
    private static void mappingMadeAndRemoved(MappingTable t, Random rnd) {
        int m = t.create(UDP, IN + 300 + rnd.nextInt(64), 7000 + rnd.nextInt(64), OUT, 7000 + rnd.nextInt(400));
        if (m >= 0) {
            t.remove(m);
        }
    }
}
