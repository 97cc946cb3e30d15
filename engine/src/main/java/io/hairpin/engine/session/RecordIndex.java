package io.hairpin.engine.session;

import io.hairpin.shim.Mem;
import java.util.Arrays;

/**
 * Finds off-heap records of a fixed stride by a 64-bit key that the record itself holds at
 * {@code keyOffset}. Open addressing with linear probing over one {@code long} per slot: the upper
 * 32 bits of the key's seeded hash (fingerprint, whose low bits are the home slot) and
 * {@code record + 1} in the lower 32; 0 is an empty slot. A lookup reads a record only when a
 * fingerprint matches. Slots are the least power of two at a load ≤ 0.7 ({@link LinearProbing#slotsFor}),
 * 8 bytes each, 11.4 to 22.9 per entry (16 when maxEntries is a power of two);
 * deletion is backward-shift ({@link LinearProbing#clear}), which needs no record since the home
 * slot is the fingerprint's.
 * Single-threaded; nothing is allocated after construction.
 *
 * <p>The owner writes a record's key before {@link #put} and keeps it until after
 * {@link #remove}.
 */
final class RecordIndex {
    private static final long HI = 0xFFFF_FFFF_0000_0000L;

    private final long[] slots;
    private final int mask;
    private final long seed;
    private final long base;
    private final int stride;
    private final int keyOffset;

    RecordIndex(int maxEntries, long seed, long base, int stride, int keyOffset) {
        if (maxEntries < 1 || maxEntries > 1 << 29) {
            throw new IllegalArgumentException("maxEntries must be 1.." + (1 << 29) + ": " + maxEntries);
        }
        this.slots = new long[LinearProbing.slotsFor(maxEntries)];
        this.mask = slots.length - 1;
        this.seed = seed;
        this.base = base;
        this.stride = stride;
        this.keyOffset = keyOffset;
    }

    private long hash(long key) {
        long h = (key ^ seed) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }

    private boolean holds(long v, long key) {
        return Mem.nativeLong(base + ((v & 0xFFFF_FFFFL) - 1) * stride + keyOffset) == key;
    }

    /** The slot holding key, or {@code ~slot} of the empty slot that ends its probe chain. */
    private int probe(long key) {
        long h = hash(key);
        long fp = h & HI;
        int i = (int) (h >>> 32) & mask;
        for (;;) {
            long v = slots[i];
            if (v == 0) {
                return ~i;
            }
            if ((v & HI) == fp && holds(v, key)) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /** The record holding key, or -1. */
    int get(long key) {
        int i = probe(key);
        return i < 0 ? -1 : (int) slots[i] - 1;
    }

    /** Adds record under key (absent: the owner checks first); at most maxEntries at a time. */
    void put(long key, int record) {
        if (!putIfAbsent(key, record)) {
            throw new IllegalStateException("key already indexed");
        }
    }

    /** Adds record under key unless key is indexed already; true when it was added. */
    boolean putIfAbsent(long key, int record) {
        int i = probe(key);
        if (i >= 0) {
            return false;
        }
        slots[~i] = (hash(key) & HI) | (record + 1L);
        return true;
    }

    /** Removes key's slot, if it is there. */
    void remove(long key) {
        int i = probe(key);
        if (i >= 0) {
            LinearProbing.clear(slots, mask, i);
        }
    }

    /** Loads the slot key would probe first (a hint; the value only gives the load a use). */
    long prefetch(long key) {
        return slots[home(key)];
    }

    /** The slot key's probe starts at: computed apart from {@link #load}, so a batch's loads run in a loop of their own. */
    int home(long key) {
        return (int) (hash(key) >>> 32) & mask;
    }

    /** {@link LinearProbing#loadPair} of slot i. */
    long load(int i) {
        return LinearProbing.loadPair(slots, mask, i);
    }

    int slotCount() {
        return slots.length;
    }

    /** Empties slots [from, to) whatever they hold (a whole index is emptied a range at a time). */
    void clearSlots(int from, int to) {
        Arrays.fill(slots, from, to, 0L);
    }

    long footprintBytes() {
        return 8L * slots.length;
    }
}
