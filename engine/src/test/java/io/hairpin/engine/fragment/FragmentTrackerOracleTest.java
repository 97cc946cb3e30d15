package io.hairpin.engine.fragment;

import static io.hairpin.engine.fragment.FragmentTracker.DUPLICATE;
import static io.hairpin.engine.fragment.FragmentTracker.FORWARD;
import static io.hairpin.engine.fragment.FragmentTracker.INVALID;
import static io.hairpin.engine.fragment.FragmentTracker.LIMIT;
import static io.hairpin.engine.fragment.FragmentTracker.MAX_END;
import static io.hairpin.engine.fragment.FragmentTracker.OVERLAP;
import static io.hairpin.engine.fragment.FragmentTracker.PARKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of fragments (in order, out of order, duplicated, overlapping, malformed, IDs
 * reused, time passing, tiny bounds) against a plain model built on {@link BitSet}s: every
 * result, every released and freed mbuf, the translation, size and parked count must agree, and
 * every mbuf the tracker kept comes back exactly once.
 */
class FragmentTrackerOracleTest {
    static final long MS = 1_000_000L;
    static final int MF = 0x2000;

    record Key(int src, int dst, int proto, int id) {
    }

    /** The obvious implementation: a map in creation order, a bit per received byte. */
    static final class Model {
        static final class Entry {
            boolean first;
            long translation;
            BitSet bytes = new BitSet();
            int end = -1;
            final List<Long> parked = new ArrayList<>();
            long deadline;
        }

        final int maxDatagrams;
        final int perDatagram;
        final int maxParked;
        final int maxRanges;
        final long timeout;
        final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();
        int parkedTotal;
        long translation;

        Model(int maxDatagrams, int perDatagram, int maxParked, int maxRanges, long timeout) {
            this.maxDatagrams = maxDatagrams;
            this.perDatagram = perDatagram;
            this.maxParked = maxParked;
            this.maxRanges = maxRanges;
            this.timeout = timeout;
        }

        static int runs(BitSet b) {
            int n = 0;
            for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(b.nextClearBit(i))) {
                n++;
            }
            return n;
        }

        int accept(Entry e, int start, int stop, boolean more) {
            int known = e.bytes.get(start, stop).cardinality();
            if (known == stop - start) {
                return more || e.end == stop ? DUPLICATE : OVERLAP;
            }
            if (known > 0) {
                return OVERLAP;
            }
            if (more ? e.end >= 0 && stop > e.end : e.end >= 0 ? e.end != stop : e.bytes.length() > stop) {
                return OVERLAP;
            }
            BitSet next = (BitSet) e.bytes.clone();
            next.set(start, stop);
            if (runs(next) > maxRanges) {
                return LIMIT;
            }
            e.bytes = next;
            if (!more) {
                e.end = stop;
            }
            return 0;
        }

        Entry create(Key k, long now) {
            Entry e = new Entry();
            e.deadline = now + timeout;
            entries.put(k, e);
            return e;
        }

        void removeIfComplete(Key k, Entry e) {
            if (e.first && e.end >= 0 && e.bytes.cardinality() == e.end && e.bytes.nextClearBit(0) == e.end) {
                entries.remove(k);
            }
        }

        int first(Key k, int len, long t, long now, List<Long> released) {
            if (len <= 0 || len % 8 != 0 || len > MAX_END) {
                return INVALID;
            }
            Entry e = entries.get(k);
            if (e == null) {
                if (entries.size() == maxDatagrams) {
                    return LIMIT;
                }
                e = create(k, now);
            }
            int v = accept(e, 0, len, true);
            if (v != 0) {
                return v;
            }
            e.first = true;
            e.translation = t;
            released.addAll(e.parked);
            parkedTotal -= e.parked.size();
            e.parked.clear();
            removeIfComplete(k, e);
            return released.size();
        }

        int nonFirst(Key k, int fragField, int len, long mbuf, long now) {
            int start = (fragField & 0x1fff) * 8;
            boolean more = (fragField & MF) != 0;
            int stop = start + len;
            if (start == 0 || len <= 0 || stop > MAX_END || more && len % 8 != 0 || start == 8 && k.proto == 6) {
                return INVALID;
            }
            Entry e = entries.get(k);
            if (e == null) {
                if (entries.size() == maxDatagrams || parkedTotal == maxParked) {
                    return LIMIT;
                }
                e = create(k, now);
            } else if (e.first) {
                int v = accept(e, start, stop, more);
                if (v != 0) {
                    return v;
                }
                translation = e.translation;
                removeIfComplete(k, e);
                return FORWARD;
            } else if (e.parked.size() == perDatagram || parkedTotal == maxParked) {
                return LIMIT;
            }
            int v = accept(e, start, stop, more);
            if (v != 0) {
                return v;
            }
            e.parked.add(mbuf);
            parkedTotal++;
            return PARKED;
        }

        List<Long> expire(long now) {
            List<Long> freed = new ArrayList<>();
            for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (now - e.deadline >= 0) {
                    freed.addAll(e.parked);
                    parkedTotal -= e.parked.size();
                    it.remove();
                }
            }
            return freed;
        }
    }

    enum Op { TEMPLATE, BOGUS, NEW_DATAGRAM, TIME, EXPIRE }

    @Test
    void randomSequencesAgreeWithTheModelAndLoseNoMbuf() {
        Map<Integer, Integer> results = new java.util.TreeMap<>();
        Map<Op, Integer> ops = new EnumMap<>(Op.class);
        for (int seed = 0; seed < 400; seed++) {
            run(seed, results, ops);
        }
        // the sequences reached every outcome
        for (int r : new int[] {FORWARD, PARKED, DUPLICATE, OVERLAP, LIMIT, INVALID}) {
            assertTrue(results.getOrDefault(r, 0) > 100, "result " + r + " seen " + results);
        }
        assertTrue(results.getOrDefault(2, 0) > 100, "first() released several parked: " + results);
    }

    private static void run(int seed, Map<Integer, Integer> results, Map<Op, Integer> ops) {
        Random r = new Random(seed);
        int maxDatagrams = 1 + r.nextInt(6);
        int maxParked = 1 + r.nextInt(10);
        int perDatagram = 1 + r.nextInt(Math.min(maxParked, 4));
        int maxRanges = 1 + r.nextInt(3);
        long timeout = 1000 * MS;
        FragmentTracker t = new FragmentTracker(maxDatagrams, perDatagram, maxParked, maxRanges, timeout, seed);
        Model m = new Model(maxDatagrams, perDatagram, maxParked, maxRanges, timeout);
        String where = "seed " + seed;

        Key[] keys = new Key[8];
        int[][] templates = new int[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = new Key(0x0a000001 + r.nextInt(2), 0xc0000201 + (r.nextInt(2) << 31),
                    new int[] {6, 17, 1}[r.nextInt(3)], r.nextInt(2) * 0xffff);
            templates[i] = template(r);
        }
        long now = Long.MAX_VALUE - 3000 * MS; // crosses the wraparound of a nanoTime-like clock
        long nextMbuf = 1;
        Set<Long> in = new HashSet<>();
        Set<Long> out = new HashSet<>();
        long[] buf = new long[perDatagram + r.nextInt(3)];

        for (int step = 0; step < 2500; step++) {
            String at = where + " step " + step;
            int roll = r.nextInt(100);
            Op op = roll < 60 ? Op.TEMPLATE : roll < 72 ? Op.BOGUS : roll < 78 ? Op.NEW_DATAGRAM
                    : roll < 90 ? Op.TIME : Op.EXPIRE;
            ops.merge(op, 1, Integer::sum);
            int ki = r.nextInt(keys.length);
            Key k = keys[ki];
            switch (op) {
                case NEW_DATAGRAM -> templates[ki] = template(r);
                case TIME -> now += r.nextInt(400) * MS;
                case EXPIRE -> {
                    List<Long> expected = m.expire(now);
                    List<Long> got = new ArrayList<>();
                    for (int n; (n = t.expire(now, buf)) > 0; ) {
                        for (int i = 0; i < n; i++) {
                            got.add(buf[i]);
                        }
                    }
                    assertEquals(expected, got, at);
                    for (long mbuf : got) {
                        assertTrue(out.add(mbuf), at + ": mbuf " + mbuf + " returned twice");
                    }
                }
                case TEMPLATE, BOGUS -> {
                    int start;
                    int len;
                    boolean more;
                    if (op == Op.TEMPLATE) {
                        int[] f = templates[ki];
                        int i = r.nextInt(f.length - 1);
                        start = f[i];
                        len = f[i + 1] - f[i];
                        more = i + 2 < f.length;
                    } else {
                        start = 8 * r.nextInt(10);
                        len = r.nextInt(41) - (r.nextInt(20) == 0 ? 5 : 0);
                        more = r.nextBoolean();
                        if (r.nextInt(50) == 0) {
                            start = 65480 + 8 * r.nextInt(6);
                        }
                    }
                    long mbuf = nextMbuf++;
                    int got;
                    int expected;
                    if (start == 0 && more) {
                        long translation = r.nextLong();
                        List<Long> released = new ArrayList<>();
                        expected = m.first(k, len, translation, now, released);
                        got = t.first(k.src, k.dst, k.proto, k.id, len, translation, now, buf);
                        assertEquals(expected, got, at + " first");
                        for (int i = 0; i < Math.max(got, 0); i++) {
                            assertEquals(released.get(i), buf[i], at + " released #" + i);
                            assertTrue(out.add(buf[i]), at + ": mbuf " + buf[i] + " returned twice");
                        }
                    } else {
                        int frag = (more ? MF : 0) | start >> 3 | (r.nextInt(4) == 0 ? 0x4000 : 0);
                        expected = m.nonFirst(k, frag, len, mbuf, now);
                        got = t.nonFirst(k.src, k.dst, k.proto, k.id, frag, len, mbuf, now);
                        assertEquals(expected, got, at + " nonFirst [" + start + ", " + (start + len) + ") more "
                                + more);
                        if (got == PARKED) {
                            in.add(mbuf);
                        } else if (got == FORWARD) {
                            assertEquals(m.translation, t.translation(), at);
                        }
                    }
                    results.merge(got > PARKED ? 2 : got, 1, Integer::sum);
                }
            }
            assertEquals(m.entries.size(), t.size(), at + " size");
            assertEquals(m.parkedTotal, t.parkedCount(), at + " parked");
        }
        now += 2 * timeout;
        for (int n; (n = t.expire(now, buf)) > 0; ) {
            for (int i = 0; i < n; i++) {
                assertTrue(out.add(buf[i]), where + ": mbuf " + buf[i] + " returned twice");
            }
        }
        assertEquals(0, t.size(), where);
        assertEquals(0, t.parkedCount(), where);
        assertEquals(in, out, where + ": every parked mbuf comes back exactly once");
    }

    /** Fragment boundaries of a random datagram: 0 = c0 < c1 < ... < end, inner cuts on 8 bytes. */
    private static int[] template(Random r) {
        int units = 1 + r.nextInt(8);
        int tail = r.nextInt(8);
        int lastCut = tail == 0 ? units - 1 : units;
        List<Integer> cuts = new ArrayList<>();
        cuts.add(0);
        for (int u = 1; u <= lastCut; u++) {
            if (r.nextInt(3) > 0) {
                cuts.add(8 * u);
            }
        }
        if (cuts.size() == 1 && lastCut >= 1) {
            cuts.add(8 * (1 + r.nextInt(lastCut))); // at least two fragments
        }
        cuts.add(8 * units + tail);
        int[] c = new int[cuts.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = cuts.get(i);
        }
        return c;
    }
}
