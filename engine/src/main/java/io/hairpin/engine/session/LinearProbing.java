package io.hairpin.engine.session;

/**
 * Deletion for the engine's open-addressing tables of {@code long} slots (linear probing, 0 an
 * empty slot) that keep each entry's hash in the upper 32 bits, so that its home slot is
 * {@code (slot >>> 32) & mask} and deleting needs nothing but the slots: {@link RecordIndex},
 * {@link SessionTable}'s index and the fragment tracker's.
 */
public final class LinearProbing {
    /** Largest slot count {@link #slotsFor} gives (a Java array's length must fit an int). */
    static final int MAX_SLOTS = 1 << 30;

    private LinearProbing() {
    }

    /**
     * The slot count for at most {@code keys} keys: the smallest power of two that holds them at
     * a load of at most 0.7, and at least 2. With a bound of 0.5 the rounding up to a power of two
     * left big tables at a load of 0.25–0.5, which doubled their index for half of all sizes
     * (10 M sessions: 2^26 slots for 2 × 10^7 flows). Linear probing at 0.7 still finds a key in
     * about 2.2 slots and an absent one in about 6 (Knuth), one or two lines of eight slots.
     */
    static int slotsFor(long keys) {
        long least = Math.max(2, (keys * 10 + 6) / 7); // ⌈keys / 0.7⌉
        long slots = Long.highestOneBit(least - 1) << 1;
        if (keys < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("no power-of-two index for " + keys + " keys");
        }
        return (int) slots;
    }

    /**
     * Loads the cache lines of slots i to i + 3, ahead of a probe or a removal there (a hint; the
     * value only gives the loads a use): one line, or two when i is among the last three of its
     * line's eight slots. A probe that goes past slot i, and every removal (the backward shift of
     * {@link #clear} reads on to the next empty slot), would otherwise find the next line missing
     * in the middle of its walk, a miss that no other load overlaps. At a load of 0.48 (a
     * million keys in 2^21 slots) 97 % of keys sit within three slots of their home, against 90 %
     * within one; the extra line this loads for three keys in eight, against one in eight for slots
     * i and i + 1 alone, costs less than the misses it saves
     * (napt-established:1000000, perf/RESULTS.md).
     */
    static long loadRun(long[] slots, int mask, int i) {
        return slots[i] + slots[(i + 3) & mask];
    }

    /**
     * Empties slot i. Backward-shift deletion: later entries of the cluster move into the hole
     * when it lies cyclically within [their home, their slot], so no tombstone is left.
     */
    public static void clear(long[] slots, int mask, int i) {
        int j = i;
        for (;;) {
            j = (j + 1) & mask;
            long v = slots[j];
            if (v == 0) {
                break;
            }
            int home = (int) (v >>> 32) & mask;
            if (((j - home) & mask) >= ((j - i) & mask)) {
                slots[i] = v;
                i = j;
            }
        }
        slots[i] = 0;
    }
}
