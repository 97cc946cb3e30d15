package io.hairpin.engine.fragment;

import io.hairpin.engine.testing.Allocations;
import static io.hairpin.engine.fragment.FragmentTracker.DUPLICATE;
import static io.hairpin.engine.fragment.FragmentTracker.FORWARD;
import static io.hairpin.engine.fragment.FragmentTracker.INVALID;
import static io.hairpin.engine.fragment.FragmentTracker.LIMIT;
import static io.hairpin.engine.fragment.FragmentTracker.OVERLAP;
import static io.hairpin.engine.fragment.FragmentTracker.PARKED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FragmentTrackerTest {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000_000_000L;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final int S = 0x0a000005;
    static final int D = 0xc6336401; // negative as an int: the key packing must not sign-extend
    static final int MF = 0x2000;

    /** The header's flags+offset word for a fragment at byte offset {@code off}. */
    static int frag(int off, boolean more) {
        return (more ? MF : 0) | off >> 3;
    }

    /** 16 datagrams, 4 parked each, 32 in all, 4 ranges, 1 s. */
    static FragmentTracker small() {
        return new FragmentTracker(16, 4, 32, 4, SECOND, 1);
    }

    final long[] out = new long[64];

    long[] out(int n) {
        return Arrays.copyOf(out, n);
    }

    // ---------------------------------------------------------------- ordering

    @Test
    void inOrderFollowsTheFirstFragmentAndReleasesWhenComplete() {
        FragmentTracker t = small();
        assertEquals(0, t.first(S, D, UDP, 7, 1480, 42, 0, out));
        assertEquals(1, t.size());
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 7, frag(1480, true), 1480, 100, 1));
        assertEquals(42, t.translation());
        assertEquals(1, t.size());
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 7, frag(2960, false), 100, 101, 2));
        assertEquals(42, t.translation());
        assertEquals(0, t.size(), "all of [0, end) seen: released early");
        assertEquals(0, t.parkedCount());
    }

    @Test
    void lastFragmentBeforeTheMiddleOneStillCompletes() {
        FragmentTracker t = small();
        assertEquals(0, t.first(S, D, TCP, 7, 1480, -5, 0, out));
        assertEquals(FORWARD, t.nonFirst(S, D, TCP, 7, frag(2960, false), 20, 100, 1));
        assertEquals(-5, t.translation(), "any long is a translation");
        assertEquals(1, t.size());
        assertEquals(FORWARD, t.nonFirst(S, D, TCP, 7, frag(1480, true), 1480, 101, 2));
        assertEquals(0, t.size());
    }

    @Test
    void earlyFragmentsAreParkedAndReleasedInArrivalOrder() {
        FragmentTracker t = small();
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 9, frag(2960, false), 100, 0xA3, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 9, frag(1480, true), 1480, 0xA2, 1));
        assertEquals(1, t.size());
        assertEquals(2, t.parkedCount());
        assertEquals(2, t.first(S, D, UDP, 9, 1480, 77, 2, out));
        assertArrayEquals(new long[] {0xA3, 0xA2}, out(2));
        assertEquals(0, t.parkedCount());
        assertEquals(0, t.size(), "complete with the first: released");
    }

    @Test
    void partlyParkedDatagramContinuesAfterTheFirst() {
        FragmentTracker t = small();
        assertEquals(PARKED, t.nonFirst(S, D, ICMP, 9, frag(1480, true), 1480, 0xA2, 0));
        assertEquals(1, t.first(S, D, ICMP, 9, 1480, 77, 1, out));
        assertEquals(0xA2, out[0]);
        assertEquals(1, t.size());
        assertEquals(FORWARD, t.nonFirst(S, D, ICMP, 9, frag(2960, false), 8, 0xA3, 2));
        assertEquals(77, t.translation());
        assertEquals(0, t.size());
    }

    @Test
    void reverseOrderCoalescesIntoOneRange() {
        // one range per datagram is enough when fragments arrive last to first (old Linux senders)
        FragmentTracker t = new FragmentTracker(4, 8, 8, 1, SECOND, 2);
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(64, false), 5, 4, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(48, true), 16, 3, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(32, true), 16, 2, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(16, true), 16, 1, 0));
        assertEquals(4, t.first(S, D, UDP, 1, 16, 9, 0, out));
        assertArrayEquals(new long[] {4, 3, 2, 1}, out(4));
        assertEquals(0, t.size());
    }

    @Test
    void theKeyIsSourceDestinationProtocolAndId() {
        FragmentTracker t = small();
        assertEquals(0, t.first(S, D, UDP, 0xffff, 8, 1, 0, out));
        assertEquals(0, t.first(S, D, UDP, 0xfffe, 8, 2, 0, out));
        assertEquals(0, t.first(S, D, TCP, 0xffff, 8, 3, 0, out));
        assertEquals(0, t.first(D, S, UDP, 0xffff, 8, 4, 0, out));
        assertEquals(0, t.first(S, S, UDP, 0xffff, 8, 5, 0, out));
        assertEquals(5, t.size());
        int[][] keys = {{S, D, UDP, 0xffff}, {S, D, UDP, 0xfffe}, {S, D, TCP, 0xffff}, {D, S, UDP, 0xffff},
            {S, S, UDP, 0xffff}};
        for (int i = 0; i < keys.length; i++) {
            int[] k = keys[i];
            assertEquals(FORWARD, t.nonFirst(k[0], k[1], k[2], k[3], frag(16, true), 8, 0, 0));
            assertEquals(i + 1, t.translation());
        }
        assertEquals(PARKED, t.nonFirst(D, D, UDP, 0xffff, frag(16, true), 8, 0, 0), "unknown key");
    }

    // ---------------------------------------------------------------- duplicates and overlaps

    @Test
    void duplicatesAreReportedAndChangeNothing() {
        FragmentTracker t = small();
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 3, frag(16, true), 16, 0xB1, 0));
        assertEquals(DUPLICATE, t.nonFirst(S, D, UDP, 3, frag(16, true), 16, 0xB2, 0), "parked twice");
        assertEquals(1, t.parkedCount(), "the duplicate stays with the caller");
        assertEquals(1, t.first(S, D, UDP, 3, 16, 50, 0, out));
        assertEquals(0xB1, out[0]);
        assertEquals(DUPLICATE, t.first(S, D, UDP, 3, 16, 51, 0, out), "first fragment twice");
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 3, frag(32, true), 16, 0xB3, 0));
        assertEquals(50, t.translation(), "the duplicate first did not replace the translation");
        assertEquals(DUPLICATE, t.nonFirst(S, D, UDP, 3, frag(32, true), 16, 0xB4, 0));
        // bytes covered by two accepted fragments: nothing new, so a duplicate too
        assertEquals(DUPLICATE, t.nonFirst(S, D, UDP, 3, frag(24, true), 16, 0xB5, 0));
        assertEquals(1, t.size());
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 3, frag(56, false), 3, 0xB6, 0));
        assertEquals(DUPLICATE, t.nonFirst(S, D, UDP, 3, frag(56, false), 3, 0xB7, 0), "last twice");
        assertEquals(1, t.size(), "[48, 56) still missing");
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 3, frag(48, true), 8, 0xB8, 0));
        assertEquals(0, t.size());
    }

    @Test
    void aDuplicateAfterCompletionStartsANewEntryThatExpires() {
        FragmentTracker t = small();
        assertEquals(0, t.first(S, D, UDP, 3, 16, 50, 0, out));
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 3, frag(16, false), 4, 0xC1, 0));
        assertEquals(0, t.size());
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 3, frag(16, false), 4, 0xC2, 10 * MS));
        assertEquals(0, t.expire(SECOND + 10 * MS - 1, out));
        assertEquals(1, t.expire(SECOND + 10 * MS, out));
        assertEquals(0xC2, out[0]);
        assertEquals(0, t.size());
        assertEquals(0, t.parkedCount());
    }

    @Test
    void overlapsAndContradictionsAreReportedAndChangeNothing() {
        FragmentTracker t = small();
        assertEquals(0, t.first(S, D, UDP, 4, 16, 60, 0, out));
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(8, true), 16, 1, 0), "[8,24) over [0,16)");
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 4, frag(32, true), 16, 2, 0));
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(24, true), 16, 3, 0), "[24,40) over [32,48)");
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(8, true), 48, 3, 0), "spans a hole and both");
        // a last fragment must not end below bytes already accepted
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(16, false), 8, 4, 0));
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(32, false), 8, 4, 0), "inside [32,48) as last");
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 4, frag(64, false), 10, 5, 0));
        // the end is 74 now
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(64, false), 12, 6, 0), "another end");
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(80, true), 8, 6, 0), "beyond the end");
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(80, false), 8, 6, 0), "beyond the end, last");
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 4, frag(48, false), 8, 6, 0), "a second, shorter end");
        assertEquals(1, t.size());
        // the refused fragments left the state alone: the holes are still fillable
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 4, frag(16, true), 16, 7, 0));
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 4, frag(48, true), 16, 8, 0));
        assertEquals(0, t.size());
    }

    @Test
    void aFirstFragmentOverlappingAParkedOneIsRefused() {
        FragmentTracker t = small();
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 5, frag(8, true), 16, 0xD1, 0));
        assertEquals(OVERLAP, t.first(S, D, UDP, 5, 16, 1, 0, out));
        assertEquals(1, t.parkedCount(), "still parked, waiting for a sound first fragment");
        assertEquals(1, t.first(S, D, UDP, 5, 8, 1, 0, out));
        assertEquals(0xD1, out[0]);
    }

    @Test
    void aLastFragmentInsideAcceptedBytesThatMovesTheEndIsAnOverlap() {
        FragmentTracker t = small();
        assertEquals(0, t.first(S, D, UDP, 6, 32, 1, 0, out));
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 6, frag(8, false), 8, 1, 0), "data beyond 16 exists");
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 7, frag(16, true), 8, 1, 0));
        assertEquals(OVERLAP, t.nonFirst(S, D, UDP, 7, frag(16, false), 8, 2, 0), "same bytes, now the last");
        assertEquals(1, t.parkedCount());
    }

    @Test
    void invalidGeometryIsRefusedWithoutState() {
        FragmentTracker t = small();
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, frag(0, true), 16, 1, 0), "offset 0 is the first");
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, frag(0, false), 16, 1, 0), "not a fragment");
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, frag(16, true), 0, 1, 0), "empty");
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, frag(16, false), 0, 1, 0), "empty last");
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, frag(16, true), 12, 1, 0), "MF with 12 bytes");
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, frag(65512, false), 4, 1, 0), "past 65515");
        assertEquals(INVALID, t.nonFirst(S, D, UDP, 1, MF | 0x1fff, 8, 1, 0), "past 65515");
        assertEquals(INVALID, t.nonFirst(S, D, TCP, 1, frag(8, true), 16, 1, 0), "RFC 1858 tiny TCP fragment");
        assertEquals(INVALID, t.first(S, D, UDP, 1, 0, 1, 0, out));
        assertEquals(INVALID, t.first(S, D, UDP, 1, 20, 1, 0, out), "MF with 20 bytes");
        assertEquals(INVALID, t.first(S, D, UDP, 1, 65520, 1, 0, out));
        assertEquals(0, t.size());
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(8, true), 16, 1, 0), "offset 8 is fine for UDP");
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(65504, false), 11, 1, 0), "ends at 65515");
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, 0x4000 | frag(24, true), 8, 1, 0), "DF is ignored");
    }

    // ---------------------------------------------------------------- bounds

    @Test
    void aFullTableRefusesNewDatagrams() {
        FragmentTracker t = new FragmentTracker(2, 4, 8, 4, SECOND, 3);
        assertEquals(0, t.first(S, D, UDP, 1, 8, 1, 0, out));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 2, frag(8, false), 8, 0xE1, 0));
        assertEquals(LIMIT, t.first(S, D, UDP, 3, 8, 1, 0, out));
        assertEquals(LIMIT, t.nonFirst(S, D, UDP, 3, frag(8, false), 8, 0xE2, 0));
        assertEquals(2, t.size());
        assertEquals(1, t.parkedCount());
        // known datagrams carry on
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 1, frag(8, false), 8, 0xE3, 0));
        assertEquals(0, t.size() - 1, "datagram 1 complete");
        assertEquals(0, t.first(S, D, UDP, 3, 8, 1, 0, out), "room again");
        assertEquals(LIMIT, t.first(S, D, UDP, 4, 8, 1, 0, out));
        assertEquals(1, t.first(S, D, UDP, 2, 8, 1, 0, out));
        assertEquals(0xE1, out[0]);
    }

    @Test
    void parkedFragmentsAreBoundedPerDatagramAndInTotal() {
        FragmentTracker t = new FragmentTracker(8, 2, 3, 8, SECOND, 4);
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(16, true), 8, 11, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(32, true), 8, 12, 0));
        assertEquals(LIMIT, t.nonFirst(S, D, UDP, 1, frag(48, true), 8, 13, 0), "2 per datagram");
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 2, frag(16, true), 8, 21, 0));
        assertEquals(3, t.parkedCount());
        assertEquals(LIMIT, t.nonFirst(S, D, UDP, 2, frag(32, true), 8, 22, 0), "3 in total");
        assertEquals(LIMIT, t.nonFirst(S, D, UDP, 3, frag(32, true), 8, 31, 0), "3 in total, new datagram");
        assertEquals(2, t.size());
        // the refused fragment's bytes were not recorded: it can come again later
        assertEquals(2, t.first(S, D, UDP, 1, 16, 1, 0, out));
        assertArrayEquals(new long[] {11, 12}, out(2));
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 1, frag(48, true), 8, 13, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 2, frag(32, true), 8, 22, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 3, frag(32, true), 8, 31, 0));
        assertEquals(3, t.parkedCount());
        // the parked bounds do not apply to fragments that are forwarded
        for (int off = 56; off < 56 + 8 * 100; off += 8) {
            assertEquals(FORWARD, t.nonFirst(S, D, UDP, 1, frag(off, true), 8, 0, 0));
        }
    }

    @Test
    void disjointRangesAreBounded() {
        FragmentTracker t = new FragmentTracker(8, 8, 8, 2, SECOND, 5);
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(16, true), 8, 1, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(32, true), 8, 2, 0));
        assertEquals(LIMIT, t.nonFirst(S, D, UDP, 1, frag(48, true), 8, 3, 0), "a third hole");
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(24, true), 8, 4, 0), "joins both ranges");
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(48, true), 8, 3, 0));
        assertEquals(LIMIT, t.nonFirst(S, D, UDP, 1, frag(64, true), 8, 5, 0));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(56, false), 8, 6, 0), "extends a range");
        // [16, 40) [48, 64)
        assertEquals(LIMIT, t.first(S, D, UDP, 1, 8, 1, 0, out), "the first would be a third range");
        assertEquals(5, t.parkedCount());
        assertEquals(5, t.first(S, D, UDP, 1, 16, 1, 0, out));
        assertArrayEquals(new long[] {1, 2, 4, 3, 6}, out(5));
        assertEquals(1, t.size());
        assertEquals(FORWARD, t.nonFirst(S, D, UDP, 1, frag(40, true), 8, 7, 0));
        assertEquals(0, t.size());
    }

    // ---------------------------------------------------------------- expiry

    @Test
    void entriesExpireAfterTheTimeoutFromCreationNeverExtended() {
        FragmentTracker t = small();
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(16, true), 8, 0xF1, 0));
        assertEquals(0, t.first(S, D, UDP, 2, 8, 1, 500 * MS, out));
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(32, true), 8, 0xF2, 900 * MS));
        assertEquals(0, t.expire(SECOND - 1, out));
        assertEquals(2, t.size());
        assertEquals(2, t.expire(SECOND, out));
        assertArrayEquals(new long[] {0xF1, 0xF2}, out(2));
        assertEquals(1, t.size());
        assertEquals(0, t.parkedCount());
        assertEquals(0, t.expire(SECOND + 500 * MS - 1, out));
        assertEquals(1, t.size());
        assertEquals(0, t.expire(SECOND + 500 * MS, out), "nothing parked, just gone");
        assertEquals(0, t.size());
        // a late fragment of an expired datagram starts over
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 2, frag(8, false), 8, 0xF3, 2 * SECOND));
    }

    @Test
    void expireHandsBackWhatFitsAndIsCalledAgain() {
        FragmentTracker t = new FragmentTracker(8, 3, 24, 4, SECOND, 6);
        long m = 0;
        for (int id = 0; id < 5; id++) {
            for (int i = 0; i < 3; i++) {
                assertEquals(PARKED, t.nonFirst(S, D, UDP, id, frag(16 + 16 * i, true), 8, ++m, id));
            }
        }
        assertEquals(15, t.parkedCount());
        long[] freed = new long[4];
        long[] all = new long[15];
        int total = 0;
        int calls = 0;
        for (int n; (n = t.expire(10 * SECOND, freed)) > 0; calls++) {
            assertEquals(3, n, "one datagram's 3 fit into 4, two do not");
            System.arraycopy(freed, 0, all, total, n);
            total += n;
        }
        assertEquals(5, calls);
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, all);
        assertEquals(0, t.size());
        assertEquals(0, t.parkedCount());
        assertThrows(IllegalArgumentException.class, () -> t.expire(0, new long[2]));
        assertThrows(IllegalArgumentException.class, () -> t.first(S, D, UDP, 1, 8, 1, 0, new long[2]));
    }

    @Test
    void timeWrapsAround() {
        FragmentTracker t = new FragmentTracker(4, 2, 4, 2, 1000, 7);
        long start = Long.MAX_VALUE - 100;
        assertEquals(PARKED, t.nonFirst(S, D, UDP, 1, frag(8, false), 8, 1, start));
        assertEquals(0, t.expire(Long.MAX_VALUE, out));
        assertEquals(0, t.expire(start + 999, out));
        assertEquals(1, t.expire(start + 1000, out));
    }

    // ---------------------------------------------------------------- table mechanics

    @Test
    void manyDatagramsSurviveChurnOfTheIndex() {
        int n = 1024;
        FragmentTracker t = new FragmentTracker(n, 2, 2 * n, 4, SECOND, 8);
        Random r = new Random(8);
        int[] src = new int[n];
        for (int i = 0; i < n; i++) {
            src[i] = r.nextInt();
            if ((i & 1) == 0) {
                assertEquals(0, t.first(src[i], D, UDP, i, 8, i, 0, out));
            } else {
                assertEquals(PARKED, t.nonFirst(src[i], D, UDP, i, frag(16, true), 8, i, 0));
            }
        }
        assertEquals(LIMIT, t.first(S, D, UDP, 1, 8, 1, 0, out));
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        boolean[] gone = new boolean[n];
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if ((i & 1) == 0) {
                assertEquals(FORWARD, t.nonFirst(src[i], D, UDP, i, frag(8, false), 8, 0, 0));
                assertEquals(i, t.translation());
            } else {
                assertEquals(1, t.first(src[i], D, UDP, i, 16, i, 0, out));
                assertEquals(i, out[0]);
                assertEquals(FORWARD, t.nonFirst(src[i], D, UDP, i, frag(24, false), 1, 0, 0));
            }
            gone[i] = true;
            assertEquals(n - k - 1, t.size());
            if (k % 97 == 0) {
                for (int j = 0; j < n; j++) {
                    if (!gone[j] && (j & 1) == 0) { // every remaining entry is still found
                        assertEquals(DUPLICATE, t.first(src[j], D, UDP, j, 8, j, 0, out));
                    } else if (!gone[j]) {
                        assertEquals(DUPLICATE, t.nonFirst(src[j], D, UDP, j, frag(16, true), 8, 0, 0));
                    }
                }
            }
        }
        assertEquals(0, t.parkedCount());
    }

    @Test
    void footprintIsAsDocumented() {
        FragmentTracker d = new FragmentTracker();
        assertEquals((61 + 4 * 16) * 1025L + 8 * 2048 + 12 * 4096, d.footprintBytes());
        assertEquals(193_661, d.footprintBytes());
        FragmentTracker t = new FragmentTracker(1000, 5, 100, 3, SECOND, 0);
        assertEquals((61 + 12) * 1001L + 8 * 2048 + 12 * 100, t.footprintBytes());
        assertEquals(1024, d.capacity());
        assertEquals(16, d.maxParkedPerDatagram());
        assertEquals(4096, d.maxParked());
        assertEquals(2 * SECOND, d.timeoutNanos());
    }

    @Test
    void constructorChecksItsBounds() {
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(0, 1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(1, 0, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(1, 2, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(1, 1, 0, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(1, 1, 1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(1, 1, 1, 1025, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentTracker(1, 1, 1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new FragmentTracker(FragmentTracker.MAX_CAPACITY + 1, 1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new FragmentTracker(FragmentTracker.MAX_CAPACITY, 1, 1, FragmentTracker.MAX_RANGES, 1, 0));
        FragmentTracker one = new FragmentTracker(1, 1, 1, 1, 1, 0);
        assertEquals(PARKED, one.nonFirst(S, D, UDP, 1, frag(8, false), 8, 1, 0));
        assertEquals(LIMIT, one.nonFirst(S, D, UDP, 2, frag(8, false), 8, 1, 0));
    }

    // ---------------------------------------------------------------- hot path

    @Test
    void steadyStateAllocatesNothing() {
        FragmentTracker t = new FragmentTracker();
        long[] released = new long[t.maxParkedPerDatagram()];
        long[] freed = new long[64];
        long[] clock = {0};
        int[] wrong = {0};
        Runnable work = () -> {
            long now = clock[0];
            int ops = 0;
            for (int k = 0; ops < 1_000_000; k++) {
                int src = 0x0a000000 + (k & 1023);
                int id = k & 0xffff;
                now += 2 * MS;
                switch (k & 3) {
                    case 0 -> { // in order
                        wrong[0] += t.first(src, D, UDP, id, 1480, k, now, released) == 0 ? 0 : 1;
                        wrong[0] += t.nonFirst(src, D, UDP, id, frag(1480, true), 1480, k, now) == FORWARD ? 0 : 1;
                        wrong[0] += t.nonFirst(src, D, UDP, id, frag(2960, false), 9, k, now) == FORWARD ? 0 : 1;
                    }
                    case 1 -> { // last first, then the first fragment releases it
                        wrong[0] += t.nonFirst(src, D, TCP, id, frag(2960, false), 9, k, now) == PARKED ? 0 : 1;
                        wrong[0] += t.nonFirst(src, D, TCP, id, frag(1480, true), 1480, k, now) == PARKED ? 0 : 1;
                        wrong[0] += t.first(src, D, TCP, id, 1480, k, now, released) == 2 ? 0 : 1;
                    }
                    case 2 -> { // a duplicate and an overlap
                        wrong[0] += t.first(src, D, ICMP, id, 1480, k, now, released) == 0 ? 0 : 1;
                        wrong[0] += t.first(src, D, ICMP, id, 1480, k, now, released) == DUPLICATE ? 0 : 1;
                        wrong[0] += t.nonFirst(src, D, ICMP, id, frag(1472, true), 16, k, now) == OVERLAP ? 0 : 1;
                        wrong[0] += t.nonFirst(src, D, ICMP, id, frag(1480, false), 8, k, now) == FORWARD ? 0 : 1;
                        ops++;
                    }
                    default -> { // a lost middle fragment: parked until expiry
                        wrong[0] += t.nonFirst(src, D, 51, id, frag(2960, false), 9, k, now) == PARKED
                                ? 0 : 1;
                        wrong[0] += t.nonFirst(src, D, 50, id, frag(2960, false), 9, k, now) == PARKED ? 0 : 1;
                        wrong[0] += t.expire(now, freed) >= 0 ? 0 : 1;
                    }
                }
                ops += 3;
            }
            clock[0] = now;
        };
        work.run();
        work.run();
        assertEquals(0, wrong[0]);
        long bytes = Allocations.during(work);
        assertEquals(0, wrong[0]);
        assertEquals(0, bytes, "bytes allocated in 1M operations");
        // 2 s / 2 ms × 2 / 4 ≈ 500 lingering entries: under the bounds
        int live = t.size();
        assertEquals(true, live > 0 && live < t.capacity(), "live entries " + live);
    }
}
