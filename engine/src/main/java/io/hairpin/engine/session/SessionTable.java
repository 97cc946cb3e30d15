package io.hairpin.engine.session;

import io.hairpin.shim.Mem;
import io.hairpin.shim.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A worker's connection-tracking table (single-threaded, one per worker). A session joins two
 * flows: flow {@code 2s} (direction 0, as first seen) and flow {@code 2s+1} (direction 1, the
 * return). A flow is matched by its tuple packed into two longs,
 * {@code k1 = srcIp << 32 | dstIp}, {@code k2 = proto << 32 | srcPort << 16 | dstPort}, and
 * carries its rewrite, the translated tuple in the same packing. Flow 1 is not stored: it is
 * flow 0 seen from the other side. Its key is flow 0's rewrite reversed (the return traffic of a
 * translated packet is addressed to where that packet came from) and its rewrite is flow 0's key
 * reversed (it is translated back to what the first packet was), a tuple reversed being the
 * halves of k1 swapped and the two ports at the bottom of k2 swapped. Callers pack tuples so
 * that this holds (an ICMP echo's identifier is a request's source port and a reply's
 * destination port). Otherwise the table does not look inside the longs.
 *
 * <h2>Layout (primitives and off-heap memory, nothing allocated after construction)</h2>
 * <ul>
 *   <li>{@code rec}: one 64-byte record per session, off-heap and aligned to a cache line:
 *       {@code [k1 k2 rk1 rk2]} of flow 0, the session's two wheel links, a caller-defined
 *       long, expiry, state|tag. A packet's match, rewrite, touch and state check hit that one line,
 *       and so does the expiry of a session found by following the wheel's links. A k2 uses 40
 *       bits; above them, k2 and rk2 hold each flow's route memo ({@link #routeMemo}) in 16 bits
 *       and a byte each of the session's rule ({@link #rule}), and META the memos' generation
 *       between the state and the index flag.</li>
 *   <li>{@code index}: open addressing with linear probing, one {@code long} per slot holding the
 *       upper 32 bits of the flow's 64-bit hash (fingerprint, and the home slot is
 *       {@code fingerprint & mask}) and {@code flow + 1} in the lower 32 bits; 0 is an empty slot.
 *       The slot count is the least power of two at which the load (2 flows per session) never
 *       exceeds 0.7 ({@link LinearProbing#slotsFor}). Deletion is backward-shift (no
 *       tombstones): the home slot is derivable from the slot word, so shifting never touches
 *       the records. A session made by {@link #createUnindexed} has no entries: its owner finds
 *       it another way (a NAPT mapping's first session, through the mapping's own entries).</li>
 *   <li>wheel: intrusive doubly linked lists for the expiry timer wheel (and the free list).
 *       Nodes {@code [0, capacity)} are sessions, linked through their records; the rest are
 *       bucket sentinels, linked through two small arrays.</li>
 * </ul>
 * <b>Bytes per session</b> = 64 (record) + 8 × slots / capacity (index: from 22.9 to 45.7, 32
 * when the capacity is a power of two): 96 bytes at 2^20 sessions, ≈97.5 at 1 000 000, ≈106 at
 * 100 000, ≈90.8 at 10 000 000; plus a fixed 8 × 2^wheelBits bytes of wheel sentinels (256 KiB
 * by default). {@link #footprintBytes()} gives the exact total.
 *
 * <h2>Expiry</h2>
 * A hashed timer wheel of 2^wheelBits buckets of 2^tickShift ns each (defaults: ≈268 ms ticks,
 * 32768 buckets ≈ 2.44 h, longer than the longest RFC timeout of 7440 s). {@link #touch} only
 * stores the new expiry; a session is re-armed lazily when the wheel reaches its old bucket and
 * finds it not yet due, so a packet never moves a list node (except when a touch shortens the
 * expiry by at least a tick, e.g. established → transitory, which relinks in O(1)). With a
 * non-decreasing clock, {@code expire(now)} removes exactly the sessions whose expiry tick lies
 * before now's tick ({@code expiresAt >> tickShift < now >> tickShift}), i.e. never early and at
 * most one tick late; its cost is proportional to the buckets passed, the sessions removed and the
 * sessions lazily re-armed, never to the table size.
 *
 * <h2>Hashing</h2>
 * Multiply-xorshift over both longs with a per-table random seed, so an outside host cannot
 * precompute tuples that pile into one probe chain.
 */
public final class SessionTable {

    /** Called for each session {@link #expire} removes, before it is removed. */
    public interface ExpiryListener {
        /**
         * The session is still fully readable (keys, rewrites, state, tag). The listener may read
         * this table and remove or touch <em>other</em> sessions; it must not call
         * {@link #expire} and should not touch or remove {@code session} itself (the table removes
         * it right after the call).
         */
        void expired(int session);

        /**
         * A hint, before a batch of expiries: {@code sessions[0..n)} are about to expire. The
         * listener may load what its {@link #expired} will need, so that the misses of a batch
         * overlap (best in loops that only load, as {@link #prefetch} does); it must not change
         * anything, nor keep the array.
         *
         * @return what it loaded (the sum gives the loads a use)
         */
        default long willExpire(int[] sessions, int n) {
            return 0;
        }
    }

    /** Default tick: 2^28 ns ≈ 268 ms. */
    public static final int DEFAULT_TICK_SHIFT = 28;
    /** Default wheel: 2^15 buckets, ≈ 8796 s with the default tick. */
    public static final int DEFAULT_WHEEL_BITS = 15;
    /** Largest capacity accepted (the index's slots, 2 × capacity / 0.7 rounded up, must fit an array). */
    public static final int MAX_CAPACITY = 1 << 27;

    /** A session's record: one cache line (off-heap, line-aligned); byte offsets in it. */
    private static final int REC = 64;
    private static final int K1 = 0;
    private static final int K2 = 8;
    private static final int RK1 = 16;
    private static final int RK2 = 24;
    /** The session's wheel links (ints); in a free record, NEXT links the free list. */
    private static final int NEXT = 32;
    private static final int PREV = 36;
    private static final int AUX = 40;
    private static final int EXP = 48;
    private static final int META = 56;
    private static final long HI = 0xFFFF_FFFF_0000_0000L;
    /** In META: the session's flows are not in the index (see {@link #createUnindexed}). */
    private static final long UNINDEXED = Long.MIN_VALUE;
    /** The bits of K2 and RK2 a key uses (proto << 32 | ports); above them, a flow's route memo and a rule byte. */
    private static final long KEY2 = (1L << 40) - 1;
    private static final int MEMO_SHIFT = 40;
    /** The session's rule: its low byte tops K2, its high byte RK2. */
    private static final int RULE_SHIFT = 56;
    /** Bits of the caller's state, in META from bit 32 on; above them, the route memos' generation. */
    public static final int STATE_BITS = 9;
    /** Bits of a {@link #routeMemo} and of its generation. */
    public static final int MEMO_BITS = 16;
    public static final int MEMO_GENERATION_BITS = 22;
    private static final long MEMO = ((1L << MEMO_BITS) - 1) << MEMO_SHIFT;
    private static final int GENERATION_SHIFT = 32 + STATE_BITS;
    private static final long GENERATION = ((1L << MEMO_GENERATION_BITS) - 1) << GENERATION_SHIFT;
    private static final int FREE = -1;
    private static final int NIL = -1;
    /** Sessions the expiry loop prefetches ahead (records, index slots, the listener's state). */
    public static final int EXPIRY_BATCH = 32;

    private final int capacity;
    private final int mask;
    private final long[] index;
    /** Freed with this table: nothing outside it holds the address. */
    private final MemorySegment records;
    private final long rec;
    private final long seed;

    /** Links of the sentinel nodes {@code capacity + i}: the wheel's buckets, then processing. */
    private final int[] sentinelNext;
    private final int[] sentinelPrev;
    private final int tickShift;
    private final int wheelMask;
    private final int sentinelBase;
    private final int processing;
    /** The record {@link #sweepRouteMemos} goes on from. */
    private int sweepCursor;

    private int freeHead;
    private int size;
    /** Sessions removed since construction (see {@link #removals}). */
    private long removals;
    /** Sessions whose flows are in the index. */
    private int indexed;
    private long cursor;
    private boolean started;
    private boolean expiring;
    /** Written by {@link #prefetch} so that its loads have a use. */
    private long prefetched;
    private final int[] ahead = new int[EXPIRY_BATCH];
    /** The index slots of the due sessions' two flows, loaded in a loop of their own. */
    private final int[] aheadSlots = new int[2 * EXPIRY_BATCH];

    /** A table for {@code maxSessions} sessions with the default wheel and a random hash seed. */
    public SessionTable(int maxSessions) {
        this(maxSessions, DEFAULT_TICK_SHIFT, DEFAULT_WHEEL_BITS, new SecureRandom().nextLong());
    }

    /**
     * @param maxSessions capacity, 1..{@link #MAX_CAPACITY}
     * @param tickShift   wheel tick is 2^tickShift ns (0..40)
     * @param wheelBits   the wheel has 2^wheelBits buckets (1..24)
     * @param hashSeed    seed of the tuple hash
     */
    public SessionTable(int maxSessions, int tickShift, int wheelBits, long hashSeed) {
        if (maxSessions < 1 || maxSessions > MAX_CAPACITY) {
            throw new IllegalArgumentException("maxSessions must be 1.." + MAX_CAPACITY + ": " + maxSessions);
        }
        if (tickShift < 0 || tickShift > 40 || wheelBits < 1 || wheelBits > 24) {
            throw new IllegalArgumentException("tickShift 0..40, wheelBits 1..24");
        }
        this.capacity = maxSessions;
        int slots = LinearProbing.slotsFor(2L * maxSessions);
        this.mask = slots - 1;
        this.index = new long[slots];
        this.records = OffHeap.allocate(Arena.ofAuto(), (long) maxSessions * REC);
        this.rec = records.address();
        this.seed = hashSeed;
        this.tickShift = tickShift;
        int buckets = 1 << wheelBits;
        this.wheelMask = buckets - 1;
        this.sentinelBase = maxSessions;
        this.processing = maxSessions + buckets;
        this.sentinelNext = new int[buckets + 1];
        this.sentinelPrev = new int[buckets + 1];
        for (int s = 0; s < maxSessions; s++) {
            setNext(s, s + 1 < maxSessions ? s + 1 : NIL);
            setPrev(s, FREE);
        }
        for (int n = maxSessions; n <= processing; n++) {
            setNext(n, n);
            setPrev(n, n);
        }
        this.freeHead = 0;
    }

    // ---------------------------------------------------------------- hashing and probing

    private long hash(long k1, long k2) {
        long h = (k1 ^ seed) * 0x9E3779B97F4A7C15L ^ k2 * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }

    /** The hash of a stored flow's key (flow 1's derived, as {@link #keyK1} and {@link #keyK2} give it). */
    private long flowHash(int flow) {
        return hash(keyK1(flow), keyK2(flow));
    }

    /** The address of a session's record. */
    private long at(int session) {
        return rec + (long) session * REC;
    }

    /** Flow 0 is its record's key; flow 1, its record's rewrite reversed. */
    private boolean holds(int flow, long k1, long k2) {
        long b = at(flow >>> 1);
        return (flow & 1) == 0 ? Mem.nativeLong(b + K1) == k1 && (Mem.nativeLong(b + K2) & KEY2) == k2
                : Mem.nativeLong(b + RK1) == Long.rotateLeft(k1, 32)
                        && (Mem.nativeLong(b + RK2) & KEY2) == reversePorts(k2);
    }

    private int next(int node) {
        return node < capacity ? Mem.nativeInt(at(node) + NEXT) : sentinelNext[node - capacity];
    }

    private int prev(int node) {
        return node < capacity ? Mem.nativeInt(at(node) + PREV) : sentinelPrev[node - capacity];
    }

    private void setNext(int node, int to) {
        if (node < capacity) {
            Mem.nativeInt(at(node) + NEXT, to);
        } else {
            sentinelNext[node - capacity] = to;
        }
    }

    private void setPrev(int node, int to) {
        if (node < capacity) {
            Mem.nativeInt(at(node) + PREV, to);
        } else {
            sentinelPrev[node - capacity] = to;
        }
    }

    /** k2 of the reverse direction: the two ports swapped, the rest (the protocol) kept. */
    private static long reversePorts(long k2) {
        return (k2 & 0xFFFF_FFFF_0000_0000L) | ((k2 & 0xFFFF) << 16) | ((k2 >>> 16) & 0xFFFF);
    }

    /** The slot holding (k1, k2), or {@code ~slot} of the empty slot that ends its probe chain. */
    private int probe(long k1, long k2, long h) {
        final long[] index = this.index;
        final long fp = h & HI;
        int i = (int) (h >>> 32) & mask;
        for (;;) {
            long v = index[i];
            if (v == 0) {
                return ~i;
            }
            if ((v & HI) == fp && holds((int) v - 1, k1, k2)) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    // ---------------------------------------------------------------- the per-packet API

    /** The FLOW index ({@code session * 2 + direction}) matching (k1, k2), or -1. */
    public int lookup(long k1, long k2) {
        if (indexed == 0) {
            return -1; // no probe of a big empty index
        }
        final long[] index = this.index;
        final long h = hash(k1, k2);
        final long fp = h & HI;
        int i = (int) (h >>> 32) & mask;
        for (;;) {
            long v = index[i];
            if (v == 0) {
                return -1;
            }
            if ((v & HI) == fp && holds((int) v - 1, k1, k2)) {
                return (int) v - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Loads, for up to {@code n} keys of one burst, the index slot each would probe first and the
     * record of the first slot on its probe chain with a matching fingerprint, so that the lookups
     * that follow find them in cache. The loads of different keys do not depend on one another,
     * so the CPU overlaps their misses (Java has no prefetch instruction; this is the same
     * memory-level parallelism). Changes nothing.
     *
     * <p>The loads are made in loops that do nothing else: a miss holds up retirement until it is
     * served, so the misses the CPU can have in flight are about its reorder buffer over the
     * instructions of one iteration. Hashing or probing in the same loop would leave room for a
     * handful; on their own, a burst's worth.
     *
     * @param slots scratch of at least n longs; holds, afterwards, each key's candidate flow (the
     *              first fingerprint match on its probe chain) or -1
     */
    public void prefetch(long[] k1, long[] k2, int n, long[] slots) {
        if (indexed == 0) {
            Arrays.fill(slots, 0, n, -1L);
            return;
        }
        final long[] index = this.index;
        for (int i = 0; i < n; i++) {
            slots[i] = hash(k1[i], k2[i]);
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += index[(int) (slots[i] >>> 32) & mask];
        }
        // the home slots are in cache now: follow each probe chain to its first fingerprint match
        // (at a load of 0.5 a third of the flows sit past their home slot, at 0.7 about half)
        for (int i = 0; i < n; i++) {
            long h = slots[i];
            long fp = h & HI;
            int j = (int) (h >>> 32) & mask;
            long v;
            while ((v = index[j]) != 0 && (v & HI) != fp) {
                j = (j + 1) & mask;
            }
            slots[i] = v != 0 ? (int) v - 1 : -1;
        }
        for (int i = 0; i < n; i++) {
            int f = (int) slots[i];
            if (f >= 0) {
                sum += Mem.nativeLong(at(f >>> 1)); // the whole record is that line
            }
        }
        prefetched = sum; // keeps the loads from being optimised away
    }

    /** Loads the index slot a lookup or insert of (k1, k2) would probe first (a hint; the value only gives the load a use). */
    public long prefetch(long k1, long k2) {
        return index[home(k1, k2)];
    }

    /** The index slot a lookup or insert of (k1, k2) probes first, for {@link #loadSlot} in a batch's own load loop. */
    public int home(long k1, long k2) {
        return (int) (hash(k1, k2) >>> 32) & mask;
    }

    /** Loads a {@link #home} slot (a hint; the value only gives the load a use). */
    public long loadSlot(int home) {
        return index[home];
    }

    /**
     * {@link #lookup} for {@code n} keys at once: {@link #prefetch}es them all, then confirms each
     * candidate flow against its key (in cache by then), with a full lookup only when the first
     * fingerprint match was another flow's. The loads of different keys overlap, which a lookup
     * per packet, each waiting for its own misses, does not get.
     *
     * @param slots scratch of at least n longs
     */
    public void lookupBurst(long[] k1, long[] k2, int n, int[] flows, long[] slots) {
        if (indexed == 0) {
            Arrays.fill(flows, 0, n, -1);
            return;
        }
        prefetch(k1, k2, n, slots);
        for (int i = 0; i < n; i++) {
            int f = (int) slots[i];
            flows[i] = f < 0 ? -1 : holds(f, k1[i], k2[i]) ? f : lookup(k1[i], k2[i]);
        }
    }

    /**
     * True when {@code flow} is a flow of a live session and its key is (k1, k2): what a reference
     * to a flow kept outside the table (a mapping index's first session) is checked with before
     * use, since the session may have ended and its record been reused. Loads the session's
     * record only.
     */
    public boolean isFlow(int flow, long k1, long k2) {
        int s = flow >>> 1;
        return s < capacity && Mem.nativeInt(at(s) + PREV) != FREE && holds(flow, k1, k2);
    }

    /**
     * Loads the record of a flow index kept since (a mapping index's first session), ahead of its
     * {@link #isFlow}; any int is accepted. Returns what it loaded, so that the load has a use.
     */
    public long prefetchFlow(int flow) {
        int s = flow >>> 1;
        return s < capacity ? Mem.nativeLong(at(s) + EXP) : 0;
    }

    /** The address of a session's record, for a prefetch; any int is accepted (0 when out of range). */
    public long recordAddress(int session) {
        return session >= 0 && session < capacity ? at(session) : 0;
    }

    /** The translated (src, dst) addresses of a flow, packed like k1 (flow 1's: flow 0's key reversed). */
    public long rewriteK1(int flow) {
        long s = at(flow >>> 1);
        return (flow & 1) == 0 ? Mem.nativeLong(s + RK1) : Long.rotateLeft(Mem.nativeLong(s + K1), 32);
    }

    /** The translated (proto, ports) of a flow, packed like k2 (flow 1's: flow 0's key reversed). */
    public long rewriteK2(int flow) {
        long s = at(flow >>> 1);
        return (flow & 1) == 0 ? Mem.nativeLong(s + RK2) & KEY2 : reversePorts(Mem.nativeLong(s + K2) & KEY2);
    }

    /** The match key of a flow, packed like k1 (flow 1's: flow 0's rewrite reversed). */
    public long keyK1(int flow) {
        long s = at(flow >>> 1);
        return (flow & 1) == 0 ? Mem.nativeLong(s + K1) : Long.rotateLeft(Mem.nativeLong(s + RK1), 32);
    }

    /** The match key of a flow, packed like k2 (flow 1's: flow 0's rewrite reversed). */
    public long keyK2(int flow) {
        long s = at(flow >>> 1);
        return (flow & 1) == 0 ? Mem.nativeLong(s + K2) & KEY2 : reversePorts(Mem.nativeLong(s + RK2) & KEY2);
    }

    /**
     * Extends (or shortens) a session's life to {@code nowNanos + timeoutNanos}. Extending is a
     * single store; shortening by a tick or more relinks the session in the wheel in O(1).
     * Returns true when the session now ends earlier than it did.
     */
    public boolean touch(int session, long nowNanos, long timeoutNanos) {
        long e = deadline(nowNanos, timeoutNanos);
        long b = at(session) + EXP;
        long old = Mem.nativeLong(b);
        Mem.nativeLong(b, e);
        if ((e >> tickShift) < (old >> tickShift)) {
            unlink(session);
            arm(session, e, cursor, cursor + wheelMask);
        }
        return e < old;
    }

    /**
     * {@link #touch} that only extends: the session lives at least until
     * {@code nowNanos + timeoutNanos}, or longer if it already did. A single store.
     */
    public void extend(int session, long nowNanos, long timeoutNanos) {
        long e = deadline(nowNanos, timeoutNanos);
        long b = at(session) + EXP;
        if (e > Mem.nativeLong(b)) {
            Mem.nativeLong(b, e);
        }
    }

    public long expiresAt(int session) {
        return Mem.nativeLong(at(session) + EXP);
    }

    /** A caller-defined value per session (TCP state), {@link #STATE_BITS} bits. 0 after create. */
    public int state(int session) {
        return (int) (Mem.nativeLong(at(session) + META) >>> 32) & ((1 << STATE_BITS) - 1);
    }

    /** Sets the caller's state: 0 to 2^{@link #STATE_BITS} - 1 (the bits above are the table's). */
    public void setState(int session, int state) {
        if (state < 0 || state >>> STATE_BITS != 0) {
            throw new IllegalArgumentException("state out of range: " + state);
        }
        long b = at(session) + META;
        Mem.nativeLong(b, ((long) state << 32) | (Mem.nativeLong(b) & (UNINDEXED | GENERATION | 0xFFFF_FFFFL)));
    }

    /**
     * What the caller memoized of a flow's route under {@code generation} (a value of
     * {@link #MEMO_BITS} bits, not 0), or 0: none, or one of another generation. A session's
     * two flows keep one generation: the record has 70 spare bits and no more, 24 in the top of
     * each key word (16 for its flow's memo, 8 for the {@link #rule}) and 22 for the generation in
     * META. The caller numbers generations mod 2^{@link #MEMO_GENERATION_BITS} and
     * {@link #sweepRouteMemos sweeps} the records as they advance, so that an old memo is never
     * taken for a new one.
     */
    public int routeMemo(int flow, int generation) {
        long b = at(flow >>> 1);
        if ((int) ((Mem.nativeLong(b + META) & GENERATION) >>> GENERATION_SHIFT) != generation) {
            return 0;
        }
        return (int) ((Mem.nativeLong(b + memoWord(flow)) & MEMO) >>> MEMO_SHIFT);
    }

    /**
     * Memoizes {@code memo} ({@link #MEMO_BITS} bits; 0 forgets) for a flow under
     * {@code generation}; the other flow's memo is forgotten when it is of another generation.
     */
    public void setRouteMemo(int flow, int generation, int memo) {
        long b = at(flow >>> 1);
        long meta = Mem.nativeLong(b + META);
        long g = (long) generation << GENERATION_SHIFT;
        if ((meta & GENERATION) != g) {
            Mem.nativeLong(b + META, (meta & ~GENERATION) | g);
            long other = b + memoWord(flow ^ 1);
            Mem.nativeLong(other, Mem.nativeLong(other) & ~MEMO);
        }
        long own = b + memoWord(flow);
        Mem.nativeLong(own, (Mem.nativeLong(own) & ~MEMO) | ((long) memo << MEMO_SHIFT & MEMO));
    }

    /** The record word whose top holds a flow's route memo: flow 0's in k2, flow 1's in rk2. */
    private static int memoWord(int flow) {
        return (flow & 1) == 0 ? K2 : RK2;
    }

    /**
     * How many of {@code capacity} records {@link #sweepRouteMemos} must clear at each advance of
     * a generation count that cycles through {@code generations} values: all of them within half
     * the cycle, so that a record is swept between any memo's making and the return of its
     * generation number.
     */
    public static int routeMemoSweep(int capacity, int generations) {
        return Math.ceilDiv(capacity, generations / 2);
    }

    /**
     * Forgets the route memos of the next {@code records} records (free ones too: theirs are
     * rewritten at create), going round the table from where the last call stopped. Called with
     * {@link #routeMemoSweep} records at each advance of the generation, it makes a memo gone
     * before its generation number comes round again, at a cost of a few records a generation,
     * not a pass over all of them.
     */
    public void sweepRouteMemos(int records) {
        int s = sweepCursor;
        for (int k = Math.min(records, capacity); k > 0; k--) {
            long b = at(s);
            Mem.nativeLong(b + K2, Mem.nativeLong(b + K2) & ~MEMO);
            Mem.nativeLong(b + RK2, Mem.nativeLong(b + RK2) & ~MEMO);
            Mem.nativeLong(b + META, Mem.nativeLong(b + META) & ~GENERATION);
            s = s + 1 == capacity ? 0 : s + 1;
        }
        sweepCursor = s;
    }

    /**
     * The caller's 16-bit rule of a session (Nat44: the counter id of the NAT rule that made it),
     * kept in the record a packet of the session loads anyway. 0 after create.
     */
    public int rule(int session) {
        long b = at(session);
        return (int) (Mem.nativeLong(b + K2) >>> RULE_SHIFT) | (int) (Mem.nativeLong(b + RK2) >>> RULE_SHIFT) << 8;
    }

    public void setRule(int session, int rule) {
        if (rule >>> 16 != 0) {
            throw new IllegalArgumentException("rule out of range: " + rule);
        }
        long b = at(session);
        Mem.nativeLong(b + K2, Mem.nativeLong(b + K2) << 8 >>> 8 | (long) rule << RULE_SHIFT);
        Mem.nativeLong(b + RK2, Mem.nativeLong(b + RK2) << 8 >>> 8 | (long) (rule >>> 8) << RULE_SHIFT);
    }

    /** False for a session made by {@link #createUnindexed}: {@link #lookup} does not find its flows. */
    public boolean isIndexed(int session) {
        return (Mem.nativeLong(at(session) + META) & UNINDEXED) == 0;
    }

    /** Live sessions whose flows {@link #lookup} finds. */
    public int indexedSize() {
        return indexed;
    }

    /**
     * A caller-defined long per session, in the record a packet of the session loads anyway
     * (Nat44: the checksum deltas of its flows). 0 after create.
     */
    public long aux(int session) {
        return Mem.nativeLong(at(session) + AUX);
    }

    public void setAux(int session, long aux) {
        Mem.nativeLong(at(session) + AUX, aux);
    }

    /** A caller-defined int per session (rule or mapping index). 0 after create. */
    public int tag(int session) {
        return (int) Mem.nativeLong(at(session) + META);
    }

    public void setTag(int session, int tag) {
        long b = at(session) + META;
        Mem.nativeLong(b, (Mem.nativeLong(b) & HI) | (tag & 0xFFFF_FFFFL));
    }

    // ---------------------------------------------------------------- create and remove

    /**
     * Creates a session whose flow 0 matches (k1Fwd, k2Fwd) and is rewritten to (rk1Fwd, rk2Fwd),
     * and whose flow 1 matches that rewrite reversed and is rewritten to flow 0's key reversed
     * (reversed: the halves of k1 swapped, and the two 16-bit ports at the bottom of k2), expiring
     * at {@code nowNanos + timeoutNanos}; state and tag start at 0.
     *
     * @return the session index, or -1 when the table is full or either key already exists
     *         (including both keys being equal)
     */
    public int create(long k1Fwd, long k2Fwd, long rk1Fwd, long rk2Fwd, long nowNanos, long timeoutNanos) {
        return create(k1Fwd, k2Fwd, rk1Fwd, rk2Fwd, nowNanos, timeoutNanos, true);
    }

    /**
     * {@link #create} without index entries: {@link #lookup} will not find the session's flows,
     * which the caller finds another way ({@link MappingTable#bindFirst}: through its mapping's
     * own index entries, the session's endpoints being the mapping's). Saves the two index
     * entries, a random line each at a million sessions, at create and at removal. Its keys are
     * still checked against the index; the caller answers for sessions it finds its own way.
     */
    public int createUnindexed(long k1Fwd, long k2Fwd, long rk1Fwd, long rk2Fwd, long nowNanos, long timeoutNanos) {
        return create(k1Fwd, k2Fwd, rk1Fwd, rk2Fwd, nowNanos, timeoutNanos, false);
    }

    private int create(long k1Fwd, long k2Fwd, long rk1Fwd, long rk2Fwd, long nowNanos, long timeoutNanos,
                       boolean indexFlows) {
        if (((k2Fwd | rk2Fwd) & ~KEY2) != 0) {
            throw new IllegalArgumentException("k2 above bit 40: " + Long.toHexString(k2Fwd | rk2Fwd));
        }
        final long k1Rev = Long.rotateLeft(rk1Fwd, 32);
        final long k2Rev = reversePorts(rk2Fwd);
        if (size == capacity || (k1Fwd == k1Rev && k2Fwd == k2Rev)) {
            return -1;
        }
        // the hashes only serve the probes and the entries: none for a first session while no
        // session is indexed (a new flow's usual case)
        final boolean check = indexFlows || indexed > 0;
        final long hF = check ? hash(k1Fwd, k2Fwd) : 0;
        int pF = check ? probe(k1Fwd, k2Fwd, hF) : -1;
        if (pF >= 0) {
            return -1;
        }
        final long hR = check ? hash(k1Rev, k2Rev) : 0;
        int pR = check ? probe(k1Rev, k2Rev, hR) : -1;
        if (pR >= 0) {
            return -1;
        }
        if (!started) {
            cursor = nowNanos >> tickShift;
            started = true;
        }
        final int s = freeHead;
        freeHead = next(s);
        final long b = at(s);
        final long e = deadline(nowNanos, timeoutNanos);
        Mem.nativeLong(b + K1, k1Fwd);
        Mem.nativeLong(b + K2, k2Fwd);
        Mem.nativeLong(b + RK1, rk1Fwd);
        Mem.nativeLong(b + RK2, rk2Fwd);
        Mem.nativeLong(b + AUX, 0);
        Mem.nativeLong(b + EXP, e);
        Mem.nativeLong(b + META, indexFlows ? 0 : UNINDEXED);
        if (indexFlows) {
            pF = ~pF;
            pR = ~pR;
            index[pF] = (hF & HI) | (2L * s + 1);
            if (pR == pF) {
                // both chains ended at the same empty slot: the reverse flow takes the next empty one
                do {
                    pR = (pR + 1) & mask;
                } while (index[pR] != 0);
            }
            index[pR] = (hR & HI) | (2L * s + 2);
            indexed++;
        }
        arm(s, e, cursor, cursor + wheelMask);
        size++;
        return s;
    }

    /** Removes a live session (both flows); does not call the expiry listener. */
    public void remove(int session) {
        if (session < 0 || session >= capacity || prev(session) == FREE) {
            throw new IllegalArgumentException("not a live session: " + session);
        }
        unlink(session);
        release(session);
    }

    /** True when {@code session} is an index of a live session. */
    public boolean isLive(int session) {
        return session >= 0 && session < capacity && prev(session) != FREE;
    }

    public int size() {
        return size;
    }

    /**
     * How many sessions were removed since the table was made: a flow found while this count
     * was lower may belong to a session that is gone, its record free or reused ({@link #isFlow}
     * tells).
     */
    public long removals() {
        return removals;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * What a table of maxSessions with the default wheel takes on the Java heap: its index and the
     * wheel's sentinel links (without array headers). With {@link #offHeapBytesFor} it is what
     * {@link #footprintBytes} gives once the table is built.
     */
    public static long heapBytesFor(int maxSessions) {
        return 8L * LinearProbing.slotsFor(2L * maxSessions) + 2 * 4L * ((1 << DEFAULT_WHEEL_BITS) + 1);
    }

    /** What a table of maxSessions takes off the heap: its records. */
    public static long offHeapBytesFor(int maxSessions) {
        return (long) REC * maxSessions;
    }

    /** Bytes held by the table's arrays (excluding array headers). */
    public long footprintBytes() {
        return 8L * index.length + records.byteSize() + 4L * sentinelNext.length + 4L * sentinelPrev.length;
    }

    /** Index and record cleanup of a session already unlinked from the wheel. */
    private void release(int s) {
        if (isIndexed(s)) {
            deleteFlow(2 * s);
            deleteFlow(2 * s + 1);
            indexed--;
        }
        setPrev(s, FREE);
        setNext(s, freeHead);
        freeHead = s;
        size--;
        removals++;
    }

    private void deleteFlow(int flow) {
        final long[] index = this.index;
        final long h = flowHash(flow);
        final long v = (h & HI) | (flow + 1L);
        int i = (int) (h >>> 32) & mask;
        while (index[i] != v) {
            i = (i + 1) & mask;
        }
        LinearProbing.clear(index, mask, i);
    }

    // ---------------------------------------------------------------- expiry (timer wheel)

    private static long deadline(long now, long timeout) {
        long e = now + timeout;
        // saturate instead of wrapping (a huge timeout means "practically never")
        if (((now ^ e) & (timeout ^ e)) < 0) {
            return timeout > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return e;
    }

    /** Links s at the tail of the bucket of its expiry tick, clamped to [lo, hi]. */
    private void arm(int s, long e, long lo, long hi) {
        long t = e >> tickShift;
        if (t < lo) {
            t = lo;
        } else if (t > hi) {
            t = hi;
        }
        linkTail(sentinelBase + (int) (t & wheelMask), s);
    }

    private void linkTail(int sentinel, int s) {
        int last = prev(sentinel);
        setNext(last, s);
        setPrev(s, last);
        setNext(s, sentinel);
        setPrev(sentinel, s);
    }

    private void unlink(int s) {
        int p = prev(s);
        int n = next(s);
        setNext(p, n);
        setPrev(n, p);
        setNext(s, s);
        setPrev(s, s);
    }

    /** Moves every node of list {@code from} to the (empty) list {@code to}. */
    private void moveAll(int from, int to) {
        int first = next(from);
        int last = prev(from);
        setNext(to, first);
        setPrev(first, to);
        setPrev(to, last);
        setNext(last, to);
        setNext(from, from);
        setPrev(from, from);
    }

    /** Puts the nodes still on the processing list back at the front of a bucket. */
    private void spliceBack(int sentinel) {
        int p = processing;
        int first = next(p);
        if (first == p) {
            return;
        }
        int last = prev(p);
        int oldFirst = next(sentinel);
        setNext(sentinel, first);
        setPrev(first, sentinel);
        setNext(last, oldFirst);
        setPrev(oldFirst, last);
        setNext(p, p);
        setPrev(p, p);
    }

    /**
     * Removes up to {@code maxToRemove} sessions whose expiry has passed (see the class comment for
     * the exact rule), calling {@code listener.expired(session)} before each removal.
     *
     * @return the number of sessions removed
     */
    public int expire(long nowNanos, int maxToRemove, ExpiryListener listener) {
        if (expiring) {
            throw new IllegalStateException("expire() called from its own listener");
        }
        final long nowTick = nowNanos >> tickShift;
        if (!started) {
            cursor = nowTick;
            started = true;
            return 0;
        }
        if (size == 0) {
            if (nowTick > cursor) {
                cursor = nowTick;
            }
            return 0;
        }
        if (maxToRemove <= 0 || nowTick <= cursor) {
            return 0;
        }
        final int buckets = wheelMask + 1;
        // after a long pause every bucket is visited once, not once per elapsed tick
        long c = Math.max(cursor, nowTick - buckets);
        int removed = 0;
        int sentinel = 0;
        int current = NIL;
        expiring = true;
        try {
            while (c < nowTick) {
                cursor = c;
                sentinel = sentinelBase + (int) (c & wheelMask);
                if (next(sentinel) != sentinel) {
                    moveAll(sentinel, processing);
                    int s;
                    int warm = 0;
                    while ((s = next(processing)) != processing) {
                        if (removed == maxToRemove) {
                            spliceBack(sentinel);
                            return removed;
                        }
                        if (warm == 0) {
                            warm = prefetchExpiring(nowTick, listener);
                        }
                        warm--;
                        unlink(s);
                        long e = Mem.nativeLong(at(s) + EXP);
                        if ((e >> tickShift) < nowTick) {
                            current = s;
                            listener.expired(s);
                            current = NIL;
                            if (prev(s) == s) {
                                release(s);
                            }
                            removed++;
                        } else {
                            // lazily re-armed: not due, so its tick is >= nowTick > c
                            arm(s, e, c + 1, c + buckets);
                        }
                    }
                }
                c++;
            }
            cursor = c;
            return removed;
        } finally {
            if (current != NIL && prev(current) == current) {
                linkTail(sentinel, current); // the listener threw: keep that session's timer
            }
            if (next(processing) != processing) {
                spliceBack(sentinel);
            }
            expiring = false;
        }
    }

    /**
     * Loads what expiring the next {@link #EXPIRY_BATCH} sessions of the processing list will
     * touch (their records, the index slots of their flows, and through the listener its own
     * state) in passes whose loads are independent, so that their misses overlap. Changes nothing.
     *
     * @return how many sessions it looked at
     */
    private int prefetchExpiring(long nowTick, ExpiryListener listener) {
        final int[] ahead = this.ahead;
        final long[] index = this.index;
        int n = 0;
        for (int x = next(processing); x != processing && n < ahead.length; x = next(x)) {
            ahead[n++] = x;
        }
        // the walk above has loaded the records (their links are in them)
        int due = 0;
        for (int i = 0; i < n; i++) {
            int x = ahead[i];
            if ((expiresAt(x) >> tickShift) < nowTick) {
                ahead[due] = x;
                boolean slots = isIndexed(x);
                aheadSlots[2 * due] = slots ? (int) (flowHash(2 * x) >>> 32) & mask : -1;
                aheadSlots[2 * due + 1] = slots ? (int) (flowHash(2 * x + 1) >>> 32) & mask : -1;
                due++;
            }
        }
        long sum = 0;
        for (int i = 0; i < 2 * due; i++) {
            if (aheadSlots[i] >= 0) {
                sum += LinearProbing.loadRun(index, mask, aheadSlots[i]);
            }
        }
        prefetched = sum + listener.willExpire(ahead, due);
        return Math.max(n, 1);
    }

    // ---------------------------------------------------------------- test support

    /** Verifies the index and the wheel against the records; throws on the first inconsistency. */
    void checkInvariants() {
        int entries = 0;
        for (int i = 0; i <= mask; i++) {
            long v = index[i];
            if (v == 0) {
                continue;
            }
            entries++;
            int f = (int) v - 1;
            int s = f >>> 1;
            if (prev(s) == FREE) {
                throw new IllegalStateException("slot " + i + " names free session " + s);
            }
            long h = flowHash(f);
            if (((h & HI) | (f + 1L)) != v) {
                throw new IllegalStateException("slot " + i + " fingerprint mismatch");
            }
            for (int k = (int) (h >>> 32) & mask; k != i; k = (k + 1) & mask) {
                if (index[k] == 0) {
                    throw new IllegalStateException("slot " + i + " unreachable from its home");
                }
            }
        }
        int unindexed = 0;
        for (int s = 0; s < capacity; s++) {
            if (prev(s) != FREE && !isIndexed(s)) {
                unindexed++;
            }
        }
        if (entries != 2 * indexed || indexed + unindexed != size) {
            throw new IllegalStateException(entries + " index entries for " + indexed + " indexed sessions of " + size);
        }
        int linked = 0;
        for (int sen = sentinelBase; sen < processing; sen++) {
            for (int n = next(sen); n != sen; n = next(n)) {
                if (n >= capacity || prev(next(n)) != n) {
                    throw new IllegalStateException("wheel list broken at " + n);
                }
                linked++;
            }
        }
        if (linked != size) {
            throw new IllegalStateException(linked + " sessions in the wheel, size " + size);
        }
    }
}
