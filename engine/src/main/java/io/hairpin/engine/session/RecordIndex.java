package io.hairpin.engine.session;

import io.hairpin.shim.Mem;
import io.hairpin.shim.Shim;
import java.lang.foreign.MemorySegment;

/**
 * Finds off-heap records of a fixed stride by a 64-bit key that the record itself holds at
 * {@code keyOffset}. Open addressing with linear probing over one {@code long} per slot: the upper
 * 32 bits of the key's seeded hash (fingerprint, whose low bits are the home slot) and, in the
 * lower 32, {@code record + 1}, or {@code FIRST | session + 1} for an entry that names its record
 * through a session of {@code sessions} (the record is the session's {@link SessionTable#tag});
 * 0 is an empty slot. The hash leaves out the key bits of {@code hashIgnores}, so that keys which
 * differ only there share a probe chain, and a look-up that does not know those bits can still
 * walk it ({@link #firstFlow}). A lookup reads a record only when a fingerprint matches. Slots
 * are the least power of two at a load ≤ 0.7 ({@link LinearProbing#slotsFor}), 8 bytes each,
 * 11.4 to 22.9 per entry (16 when maxEntries is a power of two); deletion is backward-shift
 * ({@link LinearProbing#clear}), which needs no record since the home slot is the fingerprint's.
 * Single-threaded; nothing is allocated after construction.
 *
 * <p>The owner writes a record's key before {@link #put} and keeps it until after
 * {@link #remove}; a session named by an entry keeps its tag and stays live until the entry is
 * {@link #rename}d or removed.
 */
final class RecordIndex {
    private static final long HI = 0xFFFF_FFFF_0000_0000L;
    /** In an entry's low half: what follows is a session's number, not a record's. */
    static final int FIRST = 1 << 30;
    /** {@link #candidate}: no entry on the chain has key's fingerprint. */
    static final int ABSENT = -1;
    /** {@link #candidate}: the first entry with key's fingerprint names a record directly. */
    static final int DIRECT = -2;
    private static final long ID = FIRST - 1;

    private final long[] slots;
    private final MemorySegment slotsSegment;
    private final int mask;
    private final long seed;
    private final long base;
    private final int stride;
    private final int keyOffset;
    private final long hashMask;
    private final SessionTable sessions;

    RecordIndex(int maxEntries, long seed, long base, int stride, int keyOffset, long hashIgnores,
                SessionTable sessions) {
        if (maxEntries < 1 || maxEntries > 1 << 29) {
            throw new IllegalArgumentException("maxEntries must be 1.." + (1 << 29) + ": " + maxEntries);
        }
        this.slots = new long[LinearProbing.slotsFor(maxEntries)];
        this.mask = slots.length - 1;
        this.slotsSegment = MemorySegment.ofArray(slots);
        this.seed = seed;
        this.base = base;
        this.stride = stride;
        this.keyOffset = keyOffset;
        this.hashMask = ~hashIgnores;
        this.sessions = sessions;
    }

    /** The hash a key is indexed by: its {@link #homeOf home slot} and its fingerprint (the upper half). */
    long hash(long key) {
        long h = ((key & hashMask) ^ seed) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }

    /** The record an entry names. */
    private int record(long v) {
        int id = (int) (v & ID) - 1;
        return (v & FIRST) == 0 ? id : sessions.tag(id);
    }

    private boolean holds(long v, long key) {
        return Mem.nativeLong(base + (long) record(v) * stride + keyOffset) == key;
    }

    /**
     * The first slot from i on, along its probe chain, whose entry has fingerprint fp; when none
     * has, {@code ~slot} of the empty slot that ends the chain. Every walk of a chain is this one.
     */
    private int nextWithFingerprint(long fp, int i) {
        long v;
        while ((v = slots[i]) != 0 && (v & HI) != fp) {
            i = (i + 1) & mask;
        }
        return v == 0 ? ~i : i;
    }

    /** The slot holding key, or {@code ~slot} of the empty slot that ends its probe chain. */
    private int probe(long key) {
        long h = hash(key);
        long fp = h & HI;
        int i = nextWithFingerprint(fp, homeOf(h));
        while (i >= 0 && !holds(slots[i], key)) {
            i = nextWithFingerprint(fp, (i + 1) & mask);
        }
        return i;
    }

    /** The record holding key, or -1. */
    int get(long key) {
        int i = probe(key);
        return i < 0 ? -1 : record(slots[i]);
    }

    /**
     * Adds record under key (absent: the owner checks first); at most maxEntries at a time.
     *
     * @return the slot it took (see {@link #renameAt})
     */
    int put(long key, int record) {
        int i = probe(key);
        if (i >= 0) {
            throw new IllegalStateException("key already indexed");
        }
        slots[~i] = (hash(key) & HI) | (record + 1L);
        return ~i;
    }

    /**
     * {@link #rename} of the entry in slot i to {@code session}, when that entry names
     * {@code record} directly (a record has one entry, so it is the record's); false otherwise,
     * when entries have moved since the slot was known.
     */
    boolean renameAt(int i, int record, int session) {
        long v = slots[i];
        if ((v & 0xFFFF_FFFFL) != record + 1L) {
            return false;
        }
        slots[i] = (v & HI) | FIRST | (session + 1L);
        return true;
    }

    /**
     * Makes key's entry name its record through {@code session} ({@code session >= 0}) or
     * directly ({@code session < 0}); the record stays the same.
     */
    void rename(long key, int session) {
        int i = probe(key);
        if (i < 0) {
            throw new IllegalStateException("key not indexed");
        }
        long v = slots[i];
        slots[i] = (v & HI) | (session >= 0 ? FIRST | (session + 1L) : record(v) + 1L);
    }

    /** Removes key's slot, if it is there. */
    void remove(long key) {
        int i = probe(key);
        if (i >= 0) {
            LinearProbing.clear(slots, mask, i);
        }
    }

    /**
     * The flow {@code 2 × session + direction} whose key is (k1, k2), of a session named by an
     * entry on the probe chain of {@code key} (whose {@code hashIgnores} bits do not matter), or
     * -1. Reads a session's record only when a fingerprint matches.
     */
    int firstFlow(long key, int direction, long k1, long k2) {
        long h = hash(key);
        long fp = h & HI;
        int i = nextWithFingerprint(fp, homeOf(h));
        while (i >= 0) {
            long v = slots[i];
            if ((v & FIRST) != 0) {
                int flow = 2 * ((int) (v & ID) - 1) + direction;
                if (sessions.isFlow(flow, k1, k2)) {
                    return flow;
                }
            }
            i = nextWithFingerprint(fp, (i + 1) & mask);
        }
        return -1;
    }

    /**
     * The session named by the first entry with key's fingerprint on the probe chain from key's
     * home slot, given key's {@link #hash} (a batch computes it once, for the home slot it loads
     * first), or {@link #ABSENT} or {@link #DIRECT}. For a batch that loads the candidates'
     * records before it checks them ({@link MappingTable#firstFlows}).
     */
    int candidate(long h) {
        long fp = h & HI;
        int i = homeOf(h);
        long v0 = slots[i];
        long v1 = slots[(i + 1) & mask];
        // The first match is slot i or i + 1 for 90 % of keys at a load of 0.48, and which of the
        // two is no pattern a predictor learns: chosen with arithmetic, not the walk's loop exit,
        // which is mispredicted for each key past its home. load(i) brought both slots in.
        long d = (v0 & HI) ^ fp;
        long past = -((d | -d) >>> 63); // all ones when slot i's fingerprint is not fp
        long v = v0 ^ ((v0 ^ v1) & past);
        if (v0 == 0 || v == 0 || (v & HI) != fp) {
            int j = nextWithFingerprint(fp, i);
            if (j < 0) {
                return ABSENT;
            }
            v = slots[j];
        }
        return (v & FIRST) == 0 ? DIRECT : (int) (v & ID) - 1;
    }

    /** Loads the slot key would probe first (a hint; the value only gives the load a use). */
    long prefetch(long key) {
        return slots[home(key)];
    }

    /** The slot key's probe starts at: computed apart from {@link #load}, so a batch's loads run in a loop of their own. */
    int home(long key) {
        return homeOf(hash(key));
    }

    /** The home slot of a key of this {@link #hash}. */
    int homeOf(long h) {
        return (int) (h >>> 32) & mask;
    }

    /**
     * {@link #load} with prefetch instructions: the slots {@code homes[0..n)} (a heap segment of a
     * {@code long[]}) name, where not negative.
     */
    void prefetchSlots(MemorySegment homes, int n) {
        Shim.hp_prefetch_slots(slotsSegment, homes, n, mask);
    }

    /** {@link LinearProbing#loadRun} from slot i. */
    long load(int i) {
        return LinearProbing.loadRun(slots, mask, i);
    }

    long footprintBytes() {
        return 8L * slots.length;
    }
}
