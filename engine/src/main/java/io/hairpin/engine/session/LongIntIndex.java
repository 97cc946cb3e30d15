package io.hairpin.engine.session;

/**
 * A fixed-capacity map from long keys to non-negative int values: linear probing over a
 * {@code long[]} of keys and an {@code int[]} of values + 1 (0 marks an empty slot, so every long
 * is a valid key), load at most 0.5, backward-shift deletion, seeded hash. Single-threaded,
 * nothing allocated after construction. 12 bytes per slot, 2–4 slots per entry.
 */
final class LongIntIndex {
    private final long[] keys;
    private final int[] vals;
    private final int mask;
    private final int maxEntries;
    private final long seed;
    private int size;

    LongIntIndex(int maxEntries, long seed) {
        if (maxEntries < 1 || maxEntries > 1 << 29) {
            throw new IllegalArgumentException("maxEntries must be 1.." + (1 << 29) + ": " + maxEntries);
        }
        this.keys = new long[slotsFor(maxEntries)];
        this.vals = new int[keys.length];
        this.mask = keys.length - 1;
        this.maxEntries = maxEntries;
        this.seed = seed;
    }

    private static int slotsFor(int maxEntries) {
        return Math.max(2, Integer.highestOneBit(2 * maxEntries - 1) << 1);
    }

    /** What an index of maxEntries takes: a long key and an int value per slot. */
    static long bytesFor(int maxEntries) {
        return 12L * slotsFor(maxEntries);
    }

    long footprintBytes() {
        return 8L * keys.length + 4L * vals.length;
    }

    private int home(long key) {
        long h = (key ^ seed) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h >>> 32) & mask;
    }

    /** Slot of key, or ~(empty slot ending its chain). */
    private int slot(long key) {
        int i = home(key);
        for (;;) {
            if (vals[i] == 0) {
                return ~i;
            }
            if (keys[i] == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /** The value of key, or -1. */
    int get(long key) {
        int i = home(key);
        for (;;) {
            int v = vals[i];
            if (v == 0) {
                return -1;
            }
            if (keys[i] == key) {
                return v - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Loads the slot key would probe first (a hint; the sum only gives the loads a use). */
    long prefetch(long key) {
        int i = home(key);
        return keys[i] + vals[i];
    }

    /** Sets key to value (>= 0); false when the key is new and the map holds maxEntries already. */
    boolean put(long key, int value) {
        int i = slot(key);
        if (i >= 0) {
            vals[i] = value + 1;
            return true;
        }
        if (size == maxEntries) {
            return false;
        }
        i = ~i;
        keys[i] = key;
        vals[i] = value + 1;
        size++;
        return true;
    }

    /** Removes key; returns its value or -1 when absent. */
    int remove(long key) {
        int i = slot(key);
        if (i < 0) {
            return -1;
        }
        int old = vals[i] - 1;
        int j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (vals[j] == 0) {
                break;
            }
            int h = home(keys[j]);
            if (((j - h) & mask) >= ((j - i) & mask)) {
                keys[i] = keys[j];
                vals[i] = vals[j];
                i = j;
            }
        }
        vals[i] = 0;
        keys[i] = 0;
        size--;
        return old;
    }

    int size() {
        return size;
    }

    int maxEntries() {
        return maxEntries;
    }
}
