package io.hairpin.engine.session;

/**
 * Deletion for the engine's open-addressing tables of {@code long} slots (linear probing, 0 an
 * empty slot) that keep each entry's hash in the upper 32 bits, so that its home slot is
 * {@code (slot >>> 32) & mask} and deleting needs nothing but the slots: {@link RecordIndex},
 * {@link SessionTable}'s index and the fragment tracker's.
 */
public final class LinearProbing {
    private LinearProbing() {
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
