package io.hairpin.engine.session;

import io.hairpin.engine.testing.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionTableTest {
    private static final long SECOND = 1_000_000_000L;
    private static final int TCP = 6;
    private static final int UDP = 17;

    static long k1(int src, int dst) {
        return ((long) src << 32) | (dst & 0xffffffffL);
    }

    static long k2(int proto, int sport, int dport) {
        return ((long) proto << 32) | ((long) sport << 16) | dport;
    }

    /** A tuple packed as k1 with its two addresses swapped. */
    static long reverseK1(long k1) {
        return Long.rotateLeft(k1, 32);
    }

    /** A tuple packed as k2 with its two ports swapped. */
    static long reverseK2(long k2) {
        return (k2 & 0xFFFF_FFFF_0000_0000L) | ((k2 & 0xFFFF) << 16) | ((k2 >>> 16) & 0xFFFF);
    }

    /**
     * {@link SessionTable#create} given the key flow 1 is to match, as a NAT's return traffic
     * carries it; flow 0's rewrite is that key reversed.
     */
    static int createWithReturn(SessionTable t, long k1, long k2, long retK1, long retK2, long now, long timeout) {
        return t.create(k1, k2, reverseK1(retK1), reverseK2(retK2), now, timeout);
    }

    /** Records what the listener saw. */
    static final class Recorder implements SessionTable.ExpiryListener {
        final List<Integer> sessions = new ArrayList<>();
        final SessionTable table;
        long lastTag = Long.MIN_VALUE;

        Recorder(SessionTable table) {
            this.table = table;
        }

        @Override
        public void expired(int session) {
            assertTrue(table.isLive(session), "listener sees a live session");
            lastTag = table.tag(session);
            sessions.add(session);
        }
    }

    @Test
    void createLookupRewriteAndRemove() {
        SessionTable t = new SessionTable(16);
        int in = 0x0a000005, out = 0xc6336401, server = 0x08080808;
        long fK1 = k1(in, server), fK2 = k2(TCP, 40000, 443);
        long fR1 = k1(out, server), fR2 = k2(TCP, 1234, 443);
        long rK1 = k1(server, out), rK2 = k2(TCP, 443, 1234);
        long rR1 = k1(server, in), rR2 = k2(TCP, 443, 40000);
        int s = t.create(fK1, fK2, fR1, fR2, 0, 300 * SECOND);
        assertTrue(s >= 0);
        assertEquals(1, t.size());
        assertEquals(16, t.capacity());
        assertEquals(2 * s, t.lookup(fK1, fK2));
        assertEquals(2 * s + 1, t.lookup(rK1, rK2));
        assertEquals(fR1, t.rewriteK1(2 * s));
        assertEquals(fR2, t.rewriteK2(2 * s));
        assertEquals(rR1, t.rewriteK1(2 * s + 1));
        assertEquals(rR2, t.rewriteK2(2 * s + 1));
        assertEquals(fK1, t.keyK1(2 * s));
        assertEquals(rK1, t.keyK1(2 * s + 1));
        assertEquals(rK2, t.keyK2(2 * s + 1));
        assertEquals(-1, t.lookup(fK1, fK2 + 1));
        assertEquals(-1, t.lookup(fR1, fR2));
        assertEquals(300 * SECOND, t.expiresAt(s));

        assertEquals(0, t.state(s));
        assertEquals(0, t.tag(s));
        int maxState = (1 << SessionTable.STATE_BITS) - 1;
        assertThrows(IllegalArgumentException.class, () -> t.setState(s, -7), "the state has 9 bits");
        assertThrows(IllegalArgumentException.class, () -> t.setState(s, maxState + 1), "the state has 9 bits");
        t.setState(s, maxState);
        t.setTag(s, -1);
        assertEquals(maxState, t.state(s));
        assertEquals(-1, t.tag(s));
        assertTrue(t.isIndexed(s), "the table's own bit is apart from the state");
        t.setTag(s, 12345);
        assertEquals(maxState, t.state(s));
        assertEquals(12345, t.tag(s));

        // either key already present: refused, table unchanged
        assertEquals(-1, createWithReturn(t, fK1, fK2, 3, 4, 0, SECOND));
        assertEquals(-1, createWithReturn(t, 7, 8, rK1, rK2, 0, SECOND));
        assertEquals(-1, createWithReturn(t, 7, 8, 7, 8, 0, SECOND), "both flows with one key");
        assertEquals(1, t.size());

        t.remove(s);
        assertEquals(0, t.size());
        assertEquals(-1, t.lookup(fK1, fK2));
        assertEquals(-1, t.lookup(rK1, rK2));
        assertFalse(t.isLive(s));
        assertThrows(IllegalArgumentException.class, () -> t.remove(s));
        t.checkInvariants();
    }

    /**
     * A flow's route memo lives beside its key and changes nothing the table answers: look-ups,
     * keys, rewrites, state and tag read the same with memos of the widest value. It holds for
     * its generation only; a memo of a new generation forgets the other flow's, and a sweep of
     * every record forgets all.
     */
    @Test
    void routeMemosAreInvisibleToEverythingElse() {
        SessionTable t = new SessionTable(16);
        long fK1 = k1(0x0a000005, 0x08080808), fK2 = k2(TCP, 40000, 443);
        long fR1 = k1(0xc6336401, 0x08080808), fR2 = k2(TCP, 1234, 443);
        long rK1 = k1(0x08080808, 0xc6336401), rK2 = k2(TCP, 443, 1234);
        int s = t.create(fK1, fK2, fR1, fR2, 0, 300 * SECOND);
        int other = t.createUnindexed(k1(1, 2), k2(UDP, 3, 4), k1(5, 2), k2(UDP, 6, 4), 0, SECOND);
        int memo = (1 << SessionTable.MEMO_BITS) - 1;
        int generation = (1 << SessionTable.MEMO_GENERATION_BITS) - 1;
        assertEquals(0, t.routeMemo(2 * s, 0), "none after create");
        assertEquals(0, t.rule(s), "none after create");
        t.setState(s, 0x155);
        t.setTag(s, -2);
        t.setRule(s, 0xBEEF);
        t.setRule(other, 0xFFFF);
        t.setRouteMemo(2 * s, generation, memo);
        t.setRouteMemo(2 * s + 1, generation, 77);

        assertEquals(memo, t.routeMemo(2 * s, generation));
        assertEquals(77, t.routeMemo(2 * s + 1, generation));
        assertEquals(0, t.routeMemo(2 * s, generation - 1), "another generation's");
        assertEquals(2 * s, t.lookup(fK1, fK2));
        assertEquals(2 * s + 1, t.lookup(rK1, rK2));
        assertTrue(t.isFlow(2 * s, fK1, fK2));
        assertTrue(t.isFlow(2 * s + 1, rK1, rK2));
        assertEquals(fK2, t.keyK2(2 * s));
        assertEquals(rK2, t.keyK2(2 * s + 1));
        assertEquals(fR2, t.rewriteK2(2 * s));
        assertEquals(k2(TCP, 443, 40000), t.rewriteK2(2 * s + 1));
        assertEquals(0x155, t.state(s));
        assertEquals(-2, t.tag(s));
        assertEquals(0xBEEF, t.rule(s), "beside the memos in the key words");
        assertTrue(t.isIndexed(s));
        assertFalse(t.isIndexed(other));
        t.setState(s, 3);
        assertEquals(memo, t.routeMemo(2 * s, generation), "a state change keeps the memo");
        assertEquals(0, t.routeMemo(2 * other, generation), "another session's: none");

        t.setRouteMemo(2 * s + 1, 5, 9);
        assertEquals(9, t.routeMemo(2 * s + 1, 5));
        assertEquals(0, t.routeMemo(2 * s, 5), "the other flow's memo was of the old generation");
        assertEquals(0, t.routeMemo(2 * s, generation));
        t.setRouteMemo(2 * s, 5, 11);
        assertEquals(9, t.routeMemo(2 * s + 1, 5), "same generation: kept");
        t.setRouteMemo(2 * other, 5, 1);

        t.sweepRouteMemos(t.capacity());
        assertEquals(0, t.routeMemo(2 * s, 5));
        assertEquals(0, t.routeMemo(2 * s + 1, 5));
        assertEquals(0, t.routeMemo(2 * other, 5));
        assertEquals(0, t.routeMemo(2 * s, 0), "generation 0 has no memo either");
        assertEquals(2 * s + 1, t.lookup(rK1, rK2));
        assertEquals(3, t.state(s));
        assertEquals(0xBEEF, t.rule(s), "a sweep keeps the rule");
        assertEquals(0xFFFF, t.rule(other));
        t.setRule(s, 0x0102);
        assertEquals(0x0102, t.rule(s));
        assertEquals(2 * s, t.lookup(fK1, fK2), "a rule change keeps the keys");
        assertEquals(fR2, t.rewriteK2(2 * s));
        assertFalse(t.isIndexed(other));
        assertThrows(IllegalArgumentException.class, () -> t.create(1, 1L << 40, 2, 3, 0, SECOND),
                "a k2 above bit 40 would meet the memo");
        assertThrows(IllegalArgumentException.class, () -> t.setRule(s, 1 << 16));
        t.checkInvariants();
    }

    /**
     * A flow index kept outside the table (a mapping index's first session) is good only while
     * its session lives with that key.
     */
    @Test
    void aKeptFlowIndexIsCheckedAgainstItsSession() {
        SessionTable t = new SessionTable(1, 20, 8, 3);
        long fK1 = k1(1, 9), fK2 = k2(UDP, 1000, 53);
        long rK1 = k1(9, 5), rK2 = k2(UDP, 53, 2000);
        int s = createWithReturn(t, fK1, fK2, rK1, rK2, 0, SECOND);
        assertTrue(t.isFlow(2 * s, fK1, fK2));
        assertTrue(t.isFlow(2 * s + 1, rK1, rK2));
        assertFalse(t.isFlow(2 * s, rK1, rK2), "the other flow's key");
        assertFalse(t.isFlow(2 * s + 1, fK1, fK2), "the other flow's key");
        assertFalse(t.isFlow(2 * s, fK1, fK2 + 1));
        assertFalse(t.isFlow(2, fK1, fK2), "beyond the capacity");
        assertFalse(t.isFlow(-2, fK1, fK2), "beyond the capacity");

        t.remove(s);
        assertFalse(t.isFlow(2 * s, fK1, fK2), "ended, though its record still holds the key");
        assertFalse(t.isFlow(2 * s + 1, rK1, rK2), "ended, though its record still holds the key");
        int again = createWithReturn(t, k1(2, 9), fK2, k1(9, 6), rK2, 0, SECOND);
        assertEquals(s, again, "the only index, reused");
        assertFalse(t.isFlow(2 * s, fK1, fK2), "another session's now");
        assertFalse(t.isFlow(2 * s + 1, rK1, rK2), "another session's now");
        assertTrue(t.isFlow(2 * s, k1(2, 9), fK2));
    }

    /**
     * When this count moved, the worker checks the flows a held-over burst's look-ups gave against
     * their sessions again (Nat44.forgetRemovedFlows): every removal must move it.
     */
    @Test
    void everyRemovalIsCountedAndNothingElse() {
        SessionTable t = new SessionTable(4);
        Recorder r = new Recorder(t);
        long now = 1000 * SECOND;
        int a = createWithReturn(t, k1(1, 9), k2(UDP, 1, 53), k1(9, 5), k2(UDP, 53, 1), now, 30 * SECOND);
        int b = t.createUnindexed(k1(2, 9), k2(UDP, 2, 53), k1(9, 5), k2(UDP, 53, 2), now, 300 * SECOND);
        int c = createWithReturn(t, k1(3, 9), k2(UDP, 3, 53), k1(9, 5), k2(UDP, 53, 3), now, 300 * SECOND);
        t.extend(c, now + SECOND, 300 * SECOND);
        t.setState(b, 3);
        assertEquals(0, t.removals(), "creating, refreshing and state changes remove nothing");
        t.remove(c);
        assertEquals(1, t.removals());
        assertEquals(1, t.expire(now + 40 * SECOND, 10, r));
        assertEquals(List.of(a), r.sessions);
        assertEquals(2, t.removals(), "an expiry is a removal");
        t.remove(b);
        assertEquals(3, t.removals(), "an unindexed session's too");
        assertEquals(0, t.size());
    }

    @Test
    void fullTableRefusesAndRecoversAfterRemove() {
        SessionTable t = new SessionTable(100, 20, 8, 42);
        int[] s = new int[100];
        for (int i = 0; i < 100; i++) {
            s[i] = createWithReturn(t, k1(i, 1), k2(UDP, 1, 1), k1(1, i), k2(UDP, 1, 2), 0, SECOND);
            assertTrue(s[i] >= 0);
        }
        assertEquals(100, t.size());
        assertEquals(-1, createWithReturn(t, k1(500, 1), k2(UDP, 1, 1), k1(1, 500), k2(UDP, 1, 2), 0, SECOND));
        t.remove(s[37]);
        int again = createWithReturn(t, k1(500, 1), k2(UDP, 1, 1), k1(1, 500), k2(UDP, 1, 2), 0, SECOND);
        assertEquals(s[37], again, "the freed index is reused");
        for (int i = 0; i < 100; i++) {
            if (i != 37) {
                assertEquals(2 * s[i], t.lookup(k1(i, 1), k2(UDP, 1, 1)));
            }
        }
        t.checkInvariants();
    }

    @Test
    void capacityOneWorks() {
        SessionTable t = new SessionTable(1, 4, 2, 0);
        for (int round = 0; round < 100; round++) {
            int s = createWithReturn(t, round, 1, round, 2, round, 1);
            assertEquals(0, s);
            assertEquals(-1, createWithReturn(t, round + 1000, 1, round + 1000, 2, round, 1));
            assertEquals(1, t.lookup(round, 2));
            t.remove(s);
            t.checkInvariants();
        }
    }

    /** A mapping's first session (see MappingTable) is made without index entries: found only through its owner. */
    @Test
    void anUnindexedSessionIsNotLookedUpButLivesAndExpiresAsAnother() {
        SessionTable t = new SessionTable(4);
        Recorder r = new Recorder(t);
        long now = 1000 * SECOND;
        long fk1 = k1(0x0a000002, 0x08080808);
        long fk2 = k2(UDP, 5000, 53);
        long rk1 = k1(0xcb007105, 0x08080808);
        long rk2 = k2(UDP, 61000, 53);
        int u = t.createUnindexed(fk1, fk2, rk1, rk2, now, 30 * SECOND);
        int s = createWithReturn(t, 1, 1, 2, 2, now, 300 * SECOND);
        assertFalse(t.isIndexed(u));
        assertTrue(t.isIndexed(s));
        assertEquals(2, t.size());
        assertEquals(1, t.indexedSize());
        t.checkInvariants();
        assertEquals(-1, t.lookup(fk1, fk2), "not in the index");
        assertEquals(-1, t.lookup(reverseK1(rk1), reverseK2(rk2)));
        assertTrue(t.isFlow(2 * u, fk1, fk2), "but its record holds both flows");
        assertTrue(t.isFlow(2 * u + 1, reverseK1(rk1), reverseK2(rk2)));
        assertEquals(rk1, t.rewriteK1(2 * u));
        assertEquals(-1, t.createUnindexed(1, 1, 7, 7, now, SECOND), "a key of an indexed session is still refused");
        t.setState(u, 5);
        assertEquals(5, t.state(u));
        assertFalse(t.isIndexed(u), "the state leaves the table's bit alone");

        assertEquals(1, t.expire(now + 40 * SECOND, 10, r));
        assertEquals(List.of(u), r.sessions);
        assertEquals(1, t.size());
        assertEquals(1, t.indexedSize());
        t.checkInvariants();
        int again = t.create(fk1, fk2, rk1, rk2, now + 40 * SECOND, SECOND);
        assertEquals(u, again, "its record is free again");
        assertTrue(t.isIndexed(again), "and a record does not keep the bit");
        assertEquals(2 * again, t.lookup(fk1, fk2));
        t.checkInvariants();
    }

    @Test
    void expiryHonoursTouch() {
        SessionTable t = new SessionTable(16);
        Recorder r = new Recorder(t);
        long now = 1000 * SECOND;
        int a = createWithReturn(t, 1, 1, 2, 2, now, 30 * SECOND);
        int b = createWithReturn(t, 3, 3, 4, 4, now, 30 * SECOND);
        for (int i = 1; i <= 10; i++) {
            // a keeps talking, b is silent
            t.touch(a, now + i * 10 * SECOND, 30 * SECOND);
            // b's deadline (now + 30 s) lies in the tick that is current at i == 3; it goes at i == 4
            assertEquals(i == 4 ? 1 : 0, t.expire(now + i * 10 * SECOND, 100, r), "round " + i);
        }
        assertEquals(List.of(b), r.sessions);
        assertTrue(t.isLive(a));
        assertEquals(2 * a, t.lookup(1, 1));
        assertEquals(-1, t.lookup(3, 3));
        // a stops; it goes 30 s (and at most a tick) after its last touch
        long last = now + 100 * SECOND;
        assertEquals(0, t.expire(last + 29 * SECOND, 100, r));
        assertEquals(1, t.expire(last + 31 * SECOND, 100, r));
        assertEquals(0, t.size());
        t.checkInvariants();
    }

    @Test
    void shorteningTouchTakesEffect() {
        SessionTable t = new SessionTable(16);
        Recorder r = new Recorder(t);
        int s = createWithReturn(t, 1, 1, 2, 2, 0, 7440 * SECOND);
        assertEquals(0, t.expire(200 * SECOND, 10, r));
        assertTrue(t.touch(s, 200 * SECOND, 240 * SECOND), "shortened"); // FIN seen: transitory timeout
        assertEquals(200 * SECOND + 240 * SECOND, t.expiresAt(s));
        assertEquals(0, t.expire(439 * SECOND, 10, r));
        assertEquals(1, t.expire(441 * SECOND, 10, r));
        t.checkInvariants();
    }

    @Test
    void extendingNeverShortensAndTouchSaysWhenItDid() {
        SessionTable t = new SessionTable(16);
        Recorder r = new Recorder(t);
        int s = createWithReturn(t, 1, 1, 2, 2, 0, 300 * SECOND);
        t.extend(s, 10 * SECOND, 30 * SECOND); // would end at 40 s: kept at 300 s
        assertEquals(300 * SECOND, t.expiresAt(s));
        t.extend(s, 290 * SECOND, 30 * SECOND);
        assertEquals(320 * SECOND, t.expiresAt(s));
        assertFalse(t.touch(s, 300 * SECOND, 30 * SECOND), "330 s is later");
        assertTrue(t.touch(s, 301 * SECOND, 20 * SECOND), "321 s is earlier");
        assertEquals(0, t.expire(320 * SECOND, 10, r));
        assertEquals(1, t.expire(322 * SECOND, 10, r));
        t.checkInvariants();
    }

    @Test
    void expiryOrderLimitAndCounts() {
        // 1 µs ticks so every session has its own tick
        SessionTable t = new SessionTable(1000, 10, 12, 7);
        Recorder r = new Recorder(t);
        Random rnd = new Random(3);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, rnd);
        Map<Integer, Integer> sessionOfRank = new HashMap<>();
        for (int rank : order) {
            int s = createWithReturn(t, k1(rank, 0), 1, k1(0, rank), 2, 0, (rank + 1) * 2048L);
            t.setTag(s, rank);
            sessionOfRank.put(rank, s);
        }
        // nothing due before the first deadline's tick has passed
        assertEquals(0, t.expire(2048, 1000, r));
        // ranks 0..99 are due; take them 7 at a time, in deadline order
        long now = 101 * 2048L;
        int total = 0;
        int n;
        while ((n = t.expire(now, 7, r)) > 0) {
            assertTrue(n <= 7);
            total += n;
        }
        assertEquals(100, total);
        for (int i = 0; i < 100; i++) {
            assertEquals(sessionOfRank.get(i), r.sessions.get(i), "expired in deadline order");
        }
        assertEquals(400, t.size());
        // everything else, unlimited
        assertEquals(400, t.expire(Long.MAX_VALUE / 2, Integer.MAX_VALUE, r));
        assertEquals(0, t.size());
        t.checkInvariants();
    }

    @Test
    void longPauseVisitsEachBucketOnceAndStillExpiresEverything() {
        SessionTable t = new SessionTable(64, 2, 3, 9); // 4 ns ticks, 8 buckets: heavy wrapping
        Recorder r = new Recorder(t);
        for (int i = 0; i < 64; i++) {
            createWithReturn(t, i, 1, i, 2, 0, i * 10L);
        }
        assertEquals(0, t.expire(0, 100, r));
        assertEquals(20, t.expire(200, 100, r)); // deadlines 0..190 have ticks < 50
        assertEquals(44, t.expire(1_000_000_000, 100, r));
        t.checkInvariants();
    }

    @Test
    void listenerMayReadAndRemoveOtherSessions() {
        SessionTable t = new SessionTable(8, 4, 4, 1);
        int a = createWithReturn(t, 1, 1, 1, 2, 0, 10);
        int b = createWithReturn(t, 2, 1, 2, 2, 0, 10);
        int c = createWithReturn(t, 3, 1, 3, 2, 0, 10_000);
        List<Integer> seen = new ArrayList<>();
        SessionTable.ExpiryListener l = s -> {
            seen.add(s);
            if (t.isLive(c)) {
                t.remove(c);
            }
            int other = s == a ? b : a;
            if (t.isLive(other)) {
                t.remove(other);
            }
        };
        assertEquals(1, t.expire(100, 10, l));
        assertEquals(1, seen.size());
        assertEquals(0, t.size());
        t.checkInvariants();
        assertThrows(IllegalStateException.class,
                () -> {
                    createWithReturn(t, 9, 9, 9, 8, 100, 0);
                    t.expire(1000, 10, s -> t.expire(2000, 1, x -> { }));
                });
    }

    private record Key(long k1, long k2) {
    }

    private static final class Model {
        long[] keys = new long[4];
        long exp;
        int state;
        int tag;
        long aux;
        /** The route memos' generation and each flow's memo, as setRouteMemo leaves them. */
        int generation;
        int[] memo = new int[2];
    }

    private static final int[] BURST = new int[32];
    private static final long[] BURST_K1 = new long[32];
    private static final long[] BURST_K2 = new long[32];
    private static final long[] BURST_SLOTS = new long[32];

    /** One randomized run against a HashMap oracle. */
    private static void randomRun(int capacity, int tickShift, int wheelBits, int keySpace, int ops, long seed) {
        Random rnd = new Random(seed);
        SessionTable t = new SessionTable(capacity, tickShift, wheelBits, rnd.nextLong());
        Map<Key, Integer> flows = new HashMap<>();
        Map<Integer, Model> sessions = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        long tickNanos = 1L << tickShift;
        long maxTimeout = tickNanos * ((1L << wheelBits) + 5) * 3 / 2; // some beyond the wheel span
        long[] now = {rnd.nextInt(1000) - 500L};
        List<Integer> expired = new ArrayList<>();
        SessionTable.ExpiryListener listener = s -> {
            assertTrue(t.isLive(s));
            Model m = sessions.get(s);
            assertEquals(m.keys[0], t.keyK1(2 * s));
            assertTrue((m.exp >> tickShift) < (now[0] >> tickShift), "expired only when due");
            expired.add(s);
        };
        for (int op = 0; op < ops; op++) {
            int kind = rnd.nextInt(100);
            if (kind < 30) {
                long a1 = rnd.nextInt(keySpace), a2 = rnd.nextInt(3), b1 = rnd.nextInt(keySpace), b2 = rnd.nextInt(3);
                // flow 0 is rewritten to the return key reversed, and the return flow is translated
                // back to the forward key reversed: addresses (k1's halves) swapped, ports (k2's
                // two low 16-bit fields) swapped
                long r1 = reverseK1(b1), r2 = reverseK2(b2);
                long r3 = (a1 << 32) | (a1 >>> 32);
                long r4 = (a2 & 0xFFFF_FFFF_0000_0000L) | ((a2 & 0xFFFF) << 16) | ((a2 >>> 16) & 0xFFFF);
                long timeout = (long) (rnd.nextDouble() * maxTimeout);
                int s = createWithReturn(t, a1, a2, b1, b2, now[0], timeout);
                Key f = new Key(a1, a2), r = new Key(b1, b2);
                boolean ok = sessions.size() < capacity && !f.equals(r) && !flows.containsKey(f) && !flows.containsKey(r);
                assertEquals(ok, s >= 0, "create outcome");
                if (ok) {
                    assertFalse(sessions.containsKey(s));
                    Model m = new Model();
                    m.keys = new long[] {a1, a2, b1, b2, r1, r2, r3, r4};
                    m.exp = now[0] + timeout;
                    sessions.put(s, m);
                    flows.put(f, 2 * s);
                    flows.put(r, 2 * s + 1);
                    live.add(s);
                }
            } else if (kind < 60) {
                long a1 = rnd.nextInt(keySpace), a2 = rnd.nextInt(3);
                Integer f = flows.get(new Key(a1, a2));
                int got = t.lookup(a1, a2);
                assertEquals(f == null ? -1 : f, got);
                if (got >= 0) {
                    Model m = sessions.get(got >>> 1);
                    int d = got & 1;
                    assertEquals(m.keys[4 + 2 * d], t.rewriteK1(got));
                    assertEquals(m.keys[5 + 2 * d], t.rewriteK2(got));
                    assertEquals(m.state, t.state(got >>> 1));
                    assertEquals(m.tag, t.tag(got >>> 1));
                    assertEquals(m.aux, t.aux(got >>> 1), "aux: a created session's is 0, then as set");
                    assertEquals(m.exp, t.expiresAt(got >>> 1));
                    assertEquals(m.memo[d], t.routeMemo(got, m.generation), "route memo");
                }
            } else if (kind < 70 && !live.isEmpty()) {
                int i = rnd.nextInt(live.size());
                int s = live.get(i);
                live.set(i, live.get(live.size() - 1));
                live.remove(live.size() - 1);
                Model m = sessions.remove(s);
                flows.remove(new Key(m.keys[0], m.keys[1]));
                flows.remove(new Key(m.keys[2], m.keys[3]));
                t.remove(s);
            } else if (kind < 82 && !live.isEmpty()) {
                int s = live.get(rnd.nextInt(live.size()));
                long timeout = (long) (rnd.nextDouble() * maxTimeout);
                t.touch(s, now[0], timeout);
                sessions.get(s).exp = now[0] + timeout;
            } else if (kind < 88 && !live.isEmpty()) {
                int s = live.get(rnd.nextInt(live.size()));
                Model m = sessions.get(s);
                m.state = rnd.nextInt(1 << SessionTable.STATE_BITS);
                m.tag = rnd.nextInt();
                m.aux = rnd.nextLong();
                t.setState(s, m.state);
                t.setTag(s, m.tag);
                t.setAux(s, m.aux);
                int d = rnd.nextInt(2);
                int generation = rnd.nextInt(3);
                int memo = rnd.nextInt(1 << SessionTable.MEMO_BITS);
                if (generation != m.generation) {
                    m.generation = generation;
                    m.memo[1 - d] = 0;
                }
                m.memo[d] = memo;
                t.setRouteMemo(2 * s + d, generation, memo);
            } else if (kind < 91) {
                // a burst of lookups at once: live flows and random tuples, as lookup finds them
                int n = 1 + rnd.nextInt(BURST.length);
                List<Key> known = new ArrayList<>(flows.keySet());
                for (int i = 0; i < n; i++) {
                    Key k = !known.isEmpty() && rnd.nextBoolean() ? known.get(rnd.nextInt(known.size()))
                            : new Key(rnd.nextInt(keySpace), rnd.nextInt(3));
                    BURST_K1[i] = k.k1();
                    BURST_K2[i] = k.k2();
                }
                t.lookupBurst(BURST_K1, BURST_K2, n, BURST, BURST_SLOTS);
                for (int i = 0; i < n; i++) {
                    Integer f = flows.get(new Key(BURST_K1[i], BURST_K2[i]));
                    assertEquals(f == null ? -1 : f, BURST[i], "burst lookup " + i + " of " + n);
                }
            } else {
                int r = rnd.nextInt(10);
                now[0] += r < 6 ? rnd.nextInt((int) tickNanos * 4) : r < 9 ? (long) (rnd.nextDouble() * maxTimeout)
                        : (long) (rnd.nextDouble() * maxTimeout * 10);
                int limit = rnd.nextBoolean() ? Integer.MAX_VALUE : rnd.nextInt(5);
                int due = 0;
                for (Model m : sessions.values()) {
                    if ((m.exp >> tickShift) < (now[0] >> tickShift)) {
                        due++;
                    }
                }
                expired.clear();
                int n = t.expire(now[0], limit, listener);
                assertEquals(Math.min(due, limit), n, "expired count");
                assertEquals(n, expired.size());
                assertEquals(n, new HashSet<>(expired).size());
                for (int s : expired) {
                    Model m = sessions.remove(s);
                    flows.remove(new Key(m.keys[0], m.keys[1]));
                    flows.remove(new Key(m.keys[2], m.keys[3]));
                    live.remove(Integer.valueOf(s));
                    assertFalse(t.isLive(s));
                }
            }
            assertEquals(sessions.size(), t.size());
            if (op % 997 == 0) {
                t.checkInvariants();
            }
        }
        t.checkInvariants();
        // every surviving flow is still found
        for (Map.Entry<Key, Integer> e : flows.entrySet()) {
            assertEquals(e.getValue(), t.lookup(e.getKey().k1(), e.getKey().k2()));
        }
    }

    @Test
    void matchesHashMapOracleOverAMillionOperations() {
        randomRun(1, 3, 2, 4, 20_000, 1);
        randomRun(7, 3, 3, 12, 100_000, 2);
        randomRun(64, 4, 4, 150, 280_000, 3);         // small wheel: wrap-around, long pauses
        randomRun(1000, 6, 8, 2500, 300_000, 4);      // often full
        randomRun(3000, 8, 10, 40_000, 300_000, 5);   // sparse, long chains of deletions
    }

    @Test
    void clusteredKeysKeepProbeChainsIntact() {
        // sequential tuples (one host, consecutive ports) stress clustering and backward shift
        SessionTable t = new SessionTable(4096, 20, 8, 0);
        Random rnd = new Random(11);
        Set<Integer> live = new HashSet<>();
        for (int round = 0; round < 20; round++) {
            for (int p = 0; p < 4096; p++) {
                if (!live.contains(p)) {
                    int s = createWithReturn(t, k1(0x0a000001, 0x08080808), k2(UDP, p, 53), k1(0x08080808, 0xc6336401), k2(UDP, 53, p), 0, SECOND);
                    if (s >= 0) {
                        t.setTag(s, p);
                        live.add(p);
                    }
                }
            }
            for (int p = 0; p < 4096; p++) {
                if (live.contains(p) && rnd.nextInt(3) == 0) {
                    int f = t.lookup(k1(0x0a000001, 0x08080808), k2(UDP, p, 53));
                    assertEquals(p, t.tag(f >>> 1));
                    t.remove(f >>> 1);
                    live.remove(p);
                }
            }
            t.checkInvariants();
            for (int p = 0; p < 4096; p++) {
                int f = t.lookup(k1(0x08080808, 0xc6336401), k2(UDP, 53, p));
                assertEquals(live.contains(p), f >= 0);
                if (f >= 0) {
                    assertEquals(1, f & 1);
                    assertEquals(p, t.tag(f >>> 1));
                }
            }
        }
    }

    @Test
    void aFullTableAtTheHighestLoadKeepsEveryFlowFindable() {
        int cap = 5734; // 11 468 flows in 16 384 slots: a load of 0.70, the most slotsFor allows
        SessionTable t = new SessionTable(cap, 20, 8, 9);
        Random rnd = new Random(9);
        Map<Key, Integer> flows = new HashMap<>();
        Map<Integer, Key[]> keysOf = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        int[] next = {0};
        // host n: 10.x.y.z:port → 8.8.8.8:53, translated to 198.51.x.y:port (consecutive tuples cluster)
        java.util.function.IntSupplier add = () -> {
            int n = next[0]++;
            long f1 = k1(0x0a000000 + (n >>> 16), 0x08080808), f2 = k2(UDP, n & 0xffff, 53);
            long r1 = k1(0x08080808, 0xc6330000 + (n >>> 16)), r2 = k2(UDP, 53, n & 0xffff);
            int s = createWithReturn(t, f1, f2, r1, r2, 0, SECOND);
            if (s >= 0) {
                Key f = new Key(f1, f2), r = new Key(r1, r2);
                flows.put(f, 2 * s);
                flows.put(r, 2 * s + 1);
                keysOf.put(s, new Key[] {f, r});
                live.add(s);
            }
            return s;
        };
        while (live.size() < cap) {
            assertTrue(add.getAsInt() >= 0, "room until the capacity");
        }
        assertEquals(-1, add.getAsInt(), "full");
        next[0]--;
        for (int round = 0; round < 60_000; round++) {
            int i = rnd.nextInt(live.size());
            int s = live.get(i);
            live.set(i, live.get(live.size() - 1));
            live.remove(live.size() - 1);
            for (Key k : keysOf.remove(s)) {
                flows.remove(k);
            }
            t.remove(s);
            assertTrue(add.getAsInt() >= 0, "a freed session is reused");
            if (round % 6000 == 0) {
                t.checkInvariants();
                for (Map.Entry<Key, Integer> e : flows.entrySet()) {
                    assertEquals(e.getValue(), t.lookup(e.getKey().k1(), e.getKey().k2()));
                }
                assertEquals(-1, t.lookup(k1(0x0a000000 + (next[0] >>> 16), 0x08080808), k2(UDP, next[0] & 0xffff, 53)));
            }
        }
        assertEquals(cap, t.size());
    }

    @Test
    void footprintIsAsDocumented() {
        SessionTable t = new SessionTable(1 << 12, SessionTable.DEFAULT_TICK_SHIFT, 10, 0);
        assertEquals((64 + 32) * (1L << 12) + 8 * 1024 + 8, t.footprintBytes());
        SessionTable u = new SessionTable(100_000, SessionTable.DEFAULT_TICK_SHIFT, 10, 0);
        double perSession = (u.footprintBytes() - 8 * 1024 - 8) / 100_000.0;
        assertEquals(105.9, perSession, 0.1);
        // 10 000 flows: 16 384 slots at a load of 0.61, not 32 768 at 0.31
        SessionTable v = new SessionTable(5000, SessionTable.DEFAULT_TICK_SHIFT, 10, 0);
        assertEquals(90.2, (v.footprintBytes() - 8 * 1024 - 8) / 5000.0, 0.1);
    }

    @Test
    void hugeTimeoutSaturates() {
        SessionTable t = new SessionTable(4);
        int s = createWithReturn(t, 1, 1, 2, 2, Long.MAX_VALUE - 5, Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, t.expiresAt(s));
        assertNotEquals(-1, s);
        assertEquals(0, t.expire(Long.MAX_VALUE - 1, 10, x -> { }));
    }

    @Test
    void steadyStateAllocatesNothing() {
        final int cap = 100_000;
        SessionTable t = new SessionTable(cap);
        long[] acc = new long[1];
        SessionTable.ExpiryListener listener = s -> acc[0] += t.tag(s);
        Runnable work = new Runnable() {
            long now = 0;
            int k = 0;

            @Override
            public void run() {
                for (int i = 0; i < 1_000_000; i++) {
                    now += 20_000; // 20 µs per operation: 20 s of traffic per million
                    int host = k++;
                    int s = createWithReturn(t, k1(0x0a000000 + host, 0x08080808), k2(UDP, host & 0xffff, 53), k1(0x08080808, 0xc6336401 + (host >>> 16)), k2(UDP, 53, host & 0xffff), now, 5 * SECOND);
                    if (s >= 0) {
                        t.setTag(s, host);
                    }
                    int f = t.lookup(k1(0x0a000000 + host - 17, 0x08080808), k2(UDP, (host - 17) & 0xffff, 53));
                    if (f >= 0) {
                        acc[0] += t.rewriteK1(f) + t.rewriteK2(f);
                        t.touch(f >>> 1, now, 5 * SECOND);
                        t.setState(f >>> 1, 3);
                    }
                    if ((i & 63) == 0) {
                        t.expire(now, 256, listener);
                    }
                    if ((i & 7) == 0) {
                        int g = t.lookup(k1(0x0a000000 + host - 1, 0x08080808), k2(UDP, (host - 1) & 0xffff, 53));
                        if (g >= 0) {
                            t.remove(g >>> 1);
                        }
                    }
                }
            }
        };
        work.run(); // warm-up (JIT)
        work.run();
        long bytes = Allocations.during(work);
        assertEquals(0, bytes, "bytes allocated by a million create/lookup/touch/expire/remove");
        assertTrue(t.size() > 1000, "the steady state really holds sessions: " + t.size());
    }
}
