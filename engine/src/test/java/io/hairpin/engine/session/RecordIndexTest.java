package io.hairpin.engine.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.shim.Mem;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordIndexTest {
    private static final int STRIDE = 16;
    private static final int KEY_OFFSET = 8;
    private static final int MAX = 700; // 1024 slots: a load up to 0.68, so long probe chains

    @Test
    void aBatchsCandidateIsTheEntryOfItsKeyAtAnyDistanceFromItsHome() {
        // oracle: what each live key's entry names, kept in a map beside the index; keys come and
        // go so that entries sit at every distance from their home slot, the table's end included
        Random rnd = new Random(11);
        SessionTable sessions = new SessionTable(MAX, SessionTable.DEFAULT_TICK_SHIFT, 10, rnd.nextLong());
        try (Arena arena = Arena.ofConfined()) {
            long base = arena.allocate((long) MAX * STRIDE, 64).address();
            RecordIndex index = new RecordIndex(MAX, rnd.nextLong(), base, STRIDE, KEY_OFFSET, 0, sessions);
            Map<Long, Integer> named = new HashMap<>(); // key → its session, or DIRECT
            Map<Long, Integer> recordOf = new HashMap<>();
            int[] sessionOf = new int[MAX];
            Arrays.fill(sessionOf, -1);
            long[] keyAt = new long[MAX];
            int checked = 0;
            for (int op = 0; op < 20_000; op++) {
                int r = rnd.nextInt(MAX);
                if (keyAt[r] == 0) {
                    long key = rnd.nextLong() | 1;
                    keyAt[r] = key;
                    Mem.nativeLong(base + (long) r * STRIDE + KEY_OFFSET, key);
                    index.put(key, r);
                    recordOf.put(key, r);
                    named.put(key, RecordIndex.DIRECT);
                    if (rnd.nextBoolean()) {
                        int s = sessions.createUnindexed(key, r, key, r, 0, 1L << 40);
                        sessions.setTag(s, r);
                        index.rename(key, s);
                        sessionOf[r] = s;
                        named.put(key, s);
                    }
                } else if (rnd.nextInt(8) == 0) { // most stay: about 620 live, a load of 0.6
                    long key = keyAt[r];
                    index.remove(key);
                    if (sessionOf[r] >= 0) {
                        sessions.remove(sessionOf[r]);
                        sessionOf[r] = -1;
                    }
                    named.remove(key);
                    recordOf.remove(key);
                    keyAt[r] = 0;
                }
                if (op % 97 == 0) {
                    for (Map.Entry<Long, Integer> e : named.entrySet()) {
                        long key = e.getKey();
                        assertEquals(e.getValue(), index.candidate(index.hash(key)), "op " + op);
                        assertEquals(recordOf.get(key), index.get(key));
                        checked++;
                    }
                    for (int i = 0; i < 50; i++) {
                        long absent = rnd.nextLong() & ~1L; // live keys are odd
                        assertEquals(RecordIndex.ABSENT, index.candidate(index.hash(absent)));
                    }
                }
            }
            assertTrue(checked > 50_000, "the table was well filled: " + checked);
        }
    }
}
