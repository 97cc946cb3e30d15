package io.hairpin.engine.fragment;

import io.hairpin.engine.session.LinearProbing;
import java.security.SecureRandom;

/**
 * Virtual reassembly of IPv4 fragments for NAPT (one per worker, single-threaded, nothing
 * allocated after construction). Only the first fragment of a datagram carries the TCP/UDP ports
 * or the ICMP identifier, so the worker translates the first fragment as usual and records its
 * translation here; every other fragment of the datagram, matched by (source, destination,
 * protocol, IP ID) as they arrive on the wire (before translation), follows that translation.
 * Fragments that arrive before the first one are parked (the tracker holds the mbuf) and handed
 * back, in arrival order, when the first one is recorded. Nothing is reassembled or copied: packets
 * are forwarded one by one, as they are.
 *
 * <h2>Usage (worker)</h2>
 * <pre>{@code
 * int frag = Ipv4.fragField(ip), off = frag & FRAG_OFFSET_MASK, len = total - ihl;
 * if (off == 0 && (frag & FLAG_MF) != 0) {            // first fragment: translated as usual, then
 *     long t = (long) newSrc << 32 | newDst & 0xffffffffL;
 *     int n = tracker.first(src, dst, proto, ipId, len, t, now, parked);
 *     if (n < 0) drop(m, reason(n));                  // DUPLICATE, OVERLAP, LIMIT, INVALID
 *     else { forward(m); for (i < n) rewriteAddresses(parked[i], t) and forward; }
 * } else if (off != 0) {                              // non-first fragment
 *     int status = tracker.nonFirst(src, dst, proto, ipId, frag, len, m, now);
 *     if (status == FORWARD) rewriteAddresses(m, tracker.translation()) and forward;
 *     else if (status != PARKED) drop(m, reason(status)); // PARKED: the tracker owns m now
 * }
 * // housekeeping, every few milliseconds:
 * while ((n = tracker.expire(now, freed)) > 0) { free(freed, n); fragment_timeout += n; }
 * }</pre>
 * {@code parked} and {@code freed} must hold at least {@link #maxParkedPerDatagram()} entries. The
 * translation is opaque here; the rewritten address pair is a good choice, because it is all a
 * non-first fragment needs (its ports and the L4 checksum live in the first fragment, whose
 * incremental checksum update covers the whole datagram: a non-first fragment only gets new
 * addresses and a new IP header checksum), and it stays right even if the session is gone or its
 * index reused before the datagram's last fragment. Keys are the fields as received, before
 * translation; one tracker serves both directions.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>Geometry</b> ({@link #INVALID}, judged on the fragment alone): the payload must be
 *       non-empty and end at or below 65515 (65535 minus a minimal header); a fragment with more
 *       fragments to follow must carry a multiple of 8 bytes (RFC 791); a TCP fragment at offset 8
 *       is refused (RFC 1858 §3.2, the tiny-fragment overwrite of the TCP flags).</li>
 *   <li><b>Received bytes</b>: each datagram keeps the byte ranges it accepted, coalesced into at
 *       most {@code maxRangesPerDatagram} disjoint ranges, and the end announced by its last
 *       fragment (MF clear). A fragment whose bytes all lie within accepted ranges is a
 *       {@link #DUPLICATE}; one that shares some bytes with them, or ends beyond the announced end,
 *       or (being the last) announces an end that contradicts an earlier last fragment or bytes
 *       already accepted, is an {@link #OVERLAP}. Both are refused and leave the datagram's state
 *       unchanged, so the fragments forwarded for a tracked datagram never overlap: a receiver
 *       sees no ambiguity to resolve (teardrop, overlap-based evasion), and the rest of the
 *       datagram is still forwarded (the refused fragment either carried nothing new or cannot be
 *       delivered without an overlap; the receiver's reassembly times out in that case).</li>
 *   <li><b>Early release</b>: once the first fragment is recorded and the accepted ranges are
 *       exactly {@code [0, end)} with the end known, the datagram is complete and its entry is freed
 *       at once (the sum of payload lengths equals the end, exact because overlaps are refused).
 *       This also lets a sender reuse the IP ID for a new datagram before the timeout (RFC 4963).
 *       A duplicate arriving after that starts a new entry: a non-first one is parked and freed at
 *       expiry; a first one is recorded again.</li>
 *   <li><b>Expiry</b>: an entry lives {@code timeoutNanos} from the arrival of the fragment that
 *       created it, never extended (a trickle of fragments cannot pin it); since every entry gets
 *       the same timeout, entries are kept in creation order and {@link #expire} pops due entries
 *       from the front in O(1) each. Lookups do not check deadlines: an entry is removed by the
 *       first {@code expire(now)} with {@code now - created >= timeoutNanos}, so the worker should
 *       run housekeeping often (its lateness adds to the timeout). Times are {@code System.nanoTime()}
 *       style: compared by subtraction, wraparound-safe.</li>
 *   <li><b>Bounds</b> ({@link #LIMIT}, nothing changes): at most {@code maxDatagrams} entries (a
 *       new datagram is refused while full, old entries are never evicted), at most
 *       {@code maxParkedPerDatagram} parked fragments per datagram and {@code maxParked} in total,
 *       at most {@code maxRangesPerDatagram} disjoint received ranges per datagram (fragments that
 *       coalesce with a neighbour, as in-order or reverse-order arrival does, never add one).</li>
 *   <li><b>Ownership</b>: every mbuf passed to {@link #nonFirst} that returned {@link #PARKED} comes
 *       back exactly once, through {@link #first} (to translate and forward) or {@link #expire}
 *       (to free); any other result leaves the mbuf with the caller.</li>
 * </ul>
 *
 * <h2>Layout and memory</h2>
 * Parallel primitive arrays per entry (key {@code src << 32 | dst} and {@code proto << 16 | id},
 * translation and its label, deadline, first flag, end, parked list head/tail/count, creation-order links, range
 * count and {@code maxRangesPerDatagram} packed ranges {@code start << 16 | end}); an
 * open-addressing index of {@code long} slots (hash fingerprint in the upper half, entry + 1 in the
 * lower, load ≤ 0.5, backward-shift deletion) with a per-tracker random hash seed; a pool of
 * parked slots ({@code long} mbuf + {@code int} link). {@link #footprintBytes()} is
 * {@code (61 + 4 × maxRangesPerDatagram) × (maxDatagrams + 1) + 8 × slots + 12 × maxParked}, where
 * {@code slots} is the power of two ≥ 2 × maxDatagrams (one extra node is the list sentinel):
 * 193 661 bytes ≈ 189 KiB with the defaults (1024 datagrams, 16 ranges each, 4096 parked),
 * excluding array headers. The parked mbufs themselves stay in the
 * mempool: at most {@code maxParked} of them are held at any time.
 */
public final class FragmentTracker {

    /** {@link #nonFirst}: the first fragment is known; translate with {@link #translation()} and forward. */
    public static final int FORWARD = 0;
    /** {@link #nonFirst}: the first fragment is not known yet; the tracker now holds the mbuf. */
    public static final int PARKED = 1;
    /** Every byte of the fragment was already accepted for its datagram: drop it (fragment_duplicate). */
    public static final int DUPLICATE = -1;
    /** The fragment overlaps accepted bytes or contradicts the datagram's end: drop it (fragment_overlap). */
    public static final int OVERLAP = -2;
    /** A bound is reached: drop the fragment (fragment_limit). */
    public static final int LIMIT = -3;
    /** The fragment is malformed by itself: drop it (fragment_invalid). */
    public static final int INVALID = -4;

    public static final int DEFAULT_MAX_DATAGRAMS = 1024;
    public static final int DEFAULT_MAX_PARKED_PER_DATAGRAM = 16;
    public static final int DEFAULT_MAX_PARKED = 4096;
    public static final int DEFAULT_MAX_RANGES_PER_DATAGRAM = 16;
    public static final long DEFAULT_TIMEOUT_NANOS = 2_000_000_000L;

    /** Largest {@code maxDatagrams} and {@code maxParked}. */
    public static final int MAX_CAPACITY = 1 << 24;
    /** Largest {@code maxRangesPerDatagram} (a datagram has at most 8190 8-byte holes anyway). */
    public static final int MAX_RANGES = 1024;
    /** Highest end offset of a fragment's payload: 65535 minus a 20-byte header. */
    public static final int MAX_END = 65535 - 20;

    private static final int MF = 0x2000;
    private static final int OFFSET_MASK = 0x1fff;
    private static final int TCP = 6;
    private static final long HI = 0xFFFF_FFFF_0000_0000L;
    private static final int NIL = -1;

    private final int capacity;
    private final int maxParkedPerDatagram;
    private final int maxParked;
    private final int maxRanges;
    private final long timeout;
    private final long seed;

    private final long[] index;
    private final int mask;

    private final long[] key1;
    private final int[] key2;
    private final long[] trans;
    private final int[] label;
    private final long[] deadline;
    private final boolean[] firstSeen;
    private final int[] end;
    private final int[] head;
    private final int[] tail;
    private final int[] parked;
    private final int[] rangeCount;
    private final int[] ranges;
    /** Creation-order list, node {@code capacity} is the sentinel; {@code newer} doubles as free list. */
    private final int[] older;
    private final int[] newer;

    private final long[] slotMbuf;
    private final int[] slotNext;

    private int freeEntry;
    private int freeSlot;
    private int size;
    private int parkedTotal;
    private long lastTranslation;
    private int lastLabel;

    /** A tracker with the defaults (1024 datagrams, 16 parked each, 4096 parked, 16 ranges, 2 s). */
    public FragmentTracker() {
        this(DEFAULT_MAX_DATAGRAMS, DEFAULT_MAX_PARKED_PER_DATAGRAM, DEFAULT_MAX_PARKED,
                DEFAULT_MAX_RANGES_PER_DATAGRAM, DEFAULT_TIMEOUT_NANOS, new SecureRandom().nextLong());
    }

    /**
     * @param maxDatagrams         datagrams tracked at once, 1..{@link #MAX_CAPACITY}
     * @param maxParkedPerDatagram parked fragments per datagram, 1..maxParked
     * @param maxParked            parked fragments in total, 1..{@link #MAX_CAPACITY}
     * @param maxRangesPerDatagram disjoint received ranges per datagram, 1..{@link #MAX_RANGES}
     * @param timeoutNanos         lifetime of an entry, &gt; 0
     * @param hashSeed             seed of the key hash
     */
    public FragmentTracker(int maxDatagrams, int maxParkedPerDatagram, int maxParked, int maxRangesPerDatagram,
            long timeoutNanos, long hashSeed) {
        if (maxDatagrams < 1 || maxDatagrams > MAX_CAPACITY) {
            throw new IllegalArgumentException("maxDatagrams must be 1.." + MAX_CAPACITY + ": " + maxDatagrams);
        }
        if (maxParked < 1 || maxParked > MAX_CAPACITY) {
            throw new IllegalArgumentException("maxParked must be 1.." + MAX_CAPACITY + ": " + maxParked);
        }
        if (maxParkedPerDatagram < 1 || maxParkedPerDatagram > maxParked) {
            throw new IllegalArgumentException("maxParkedPerDatagram must be 1..maxParked: " + maxParkedPerDatagram);
        }
        if (maxRangesPerDatagram < 1 || maxRangesPerDatagram > MAX_RANGES) {
            throw new IllegalArgumentException("maxRangesPerDatagram must be 1.." + MAX_RANGES + ": "
                    + maxRangesPerDatagram);
        }
        if ((long) (maxDatagrams + 1) * maxRangesPerDatagram > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("(maxDatagrams + 1) * maxRangesPerDatagram must fit an array");
        }
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeoutNanos must be > 0: " + timeoutNanos);
        }
        this.capacity = maxDatagrams;
        this.maxParkedPerDatagram = maxParkedPerDatagram;
        this.maxParked = maxParked;
        this.maxRanges = maxRangesPerDatagram;
        this.timeout = timeoutNanos;
        this.seed = hashSeed;

        int slots = Integer.highestOneBit(2 * maxDatagrams - 1) << 1;
        this.index = new long[slots];
        this.mask = slots - 1;

        int nodes = maxDatagrams + 1;
        this.key1 = new long[nodes];
        this.key2 = new int[nodes];
        this.trans = new long[nodes];
        this.label = new int[nodes];
        this.deadline = new long[nodes];
        this.firstSeen = new boolean[nodes];
        this.end = new int[nodes];
        this.head = new int[nodes];
        this.tail = new int[nodes];
        this.parked = new int[nodes];
        this.rangeCount = new int[nodes];
        this.ranges = new int[nodes * maxRangesPerDatagram];
        this.older = new int[nodes];
        this.newer = new int[nodes];
        for (int e = 0; e < maxDatagrams; e++) {
            newer[e] = e + 1;
        }
        newer[maxDatagrams - 1] = NIL;
        older[maxDatagrams] = maxDatagrams;
        newer[maxDatagrams] = maxDatagrams;
        this.freeEntry = 0;

        this.slotMbuf = new long[maxParked];
        this.slotNext = new int[maxParked];
        for (int s = 0; s < maxParked; s++) {
            slotNext[s] = s + 1;
        }
        slotNext[maxParked - 1] = NIL;
        this.freeSlot = 0;
    }

    // ---------------------------------------------------------------- the per-packet API

    /**
     * Records the translation of a datagram's first fragment (offset 0, MF set), which the worker
     * has just translated. Fragments of the datagram parked earlier are copied to {@code released}
     * in arrival order and belong to the caller again: translate them with {@code translation} and
     * forward them.
     *
     * @param src           source address as received (before translation)
     * @param dst           destination address as received
     * @param proto         IP protocol
     * @param ipId          IP identification (16 bits)
     * @param payloadLength bytes after the IP header
     * @param translation   opaque to the tracker, returned by {@link #translation()} for the datagram's
     *                      later fragments
     * @param nowNanos      current time
     * @param released      receives the parked mbufs; length ≥ {@link #maxParkedPerDatagram()}
     * @return the number of mbufs written to {@code released} (≥ 0: forward the first fragment), or
     *         {@link #DUPLICATE}, {@link #OVERLAP}, {@link #LIMIT}, {@link #INVALID} (drop it)
     */
    public int first(int src, int dst, int proto, int ipId, int payloadLength, long translation, long nowNanos,
            long[] released) {
        return first(src, dst, proto, ipId, payloadLength, translation, 0, nowNanos, released);
    }

    /**
     * {@link #first(int, int, int, int, int, long, long, long[])} with a second opaque value,
     * {@code label}, returned by {@link #label()} with the translation (the worker: the counter id
     * of the NAT rule that translated the datagram).
     */
    public int first(int src, int dst, int proto, int ipId, int payloadLength, long translation, int label,
            long nowNanos, long[] released) {
        if (released.length < maxParkedPerDatagram) {
            throw new IllegalArgumentException("released must hold " + maxParkedPerDatagram + " mbufs");
        }
        if (payloadLength <= 0 || (payloadLength & 7) != 0 || payloadLength > MAX_END) {
            return INVALID;
        }
        final long k1 = key1(src, dst);
        final int k2 = key2(proto, ipId);
        final long h = hash(k1, k2);
        int slot = probe(k1, k2, h);
        if (slot < 0) {
            if (size == capacity) {
                return LIMIT;
            }
            int e = create(~slot, h, k1, k2, nowNanos);
            firstSeen[e] = true;
            trans[e] = translation;
            this.label[e] = label;
            ranges[e * maxRanges] = payloadLength; // [0, payloadLength)
            rangeCount[e] = 1;
            return 0;
        }
        int e = (int) index[slot] - 1;
        int verdict = accept(e, 0, payloadLength, true);
        if (verdict != 0) {
            return verdict;
        }
        firstSeen[e] = true;
        trans[e] = translation;
        this.label[e] = label;
        int n = 0;
        for (int s = head[e]; s != NIL; ) {
            released[n++] = slotMbuf[s];
            int next = slotNext[s];
            slotNext[s] = freeSlot;
            freeSlot = s;
            s = next;
        }
        head[e] = NIL;
        tail[e] = NIL;
        parked[e] = 0;
        parkedTotal -= n;
        if (complete(e)) {
            remove(e, slot);
        }
        return n;
    }

    /**
     * A fragment that is not the first (offset &gt; 0). {@link #FORWARD}: translate it with
     * {@link #translation()}. {@link #PARKED}: the tracker holds {@code mbuf} until {@link #first} or
     * {@link #expire} hands it back. Otherwise the caller drops it.
     *
     * @param fragField     the header's flags and fragment offset word (MF = 0x2000, offset in
     *                      8-byte units in the low 13 bits)
     * @param payloadLength bytes after the IP header
     * @param mbuf          the packet, kept if parked
     * @return {@link #FORWARD}, {@link #PARKED}, {@link #DUPLICATE}, {@link #OVERLAP}, {@link #LIMIT}
     *         or {@link #INVALID}
     */
    public int nonFirst(int src, int dst, int proto, int ipId, int fragField, int payloadLength, long mbuf,
            long nowNanos) {
        final int start = (fragField & OFFSET_MASK) << 3;
        final boolean more = (fragField & MF) != 0;
        final int stop = start + payloadLength;
        if (start == 0 || payloadLength <= 0 || stop > MAX_END || (more && (payloadLength & 7) != 0)
                || (start == 8 && proto == TCP)) {
            return INVALID;
        }
        final long k1 = key1(src, dst);
        final int k2 = key2(proto, ipId);
        final long h = hash(k1, k2);
        int slot = probe(k1, k2, h);
        if (slot < 0) {
            if (size == capacity || parkedTotal == maxParked) {
                return LIMIT;
            }
            int e = create(~slot, h, k1, k2, nowNanos);
            ranges[e * maxRanges] = start << 16 | stop;
            rangeCount[e] = 1;
            if (!more) {
                end[e] = stop;
            }
            park(e, mbuf);
            return PARKED;
        }
        int e = (int) index[slot] - 1;
        if (firstSeen[e]) {
            int verdict = accept(e, start, stop, more);
            if (verdict != 0) {
                return verdict;
            }
            lastTranslation = trans[e];
            lastLabel = label[e];
            if (complete(e)) {
                remove(e, slot);
            }
            return FORWARD;
        }
        if (parked[e] == maxParkedPerDatagram || parkedTotal == maxParked) {
            return LIMIT;
        }
        int verdict = accept(e, start, stop, more);
        if (verdict != 0) {
            return verdict;
        }
        park(e, mbuf);
        return PARKED;
    }

    /** The translation recorded for the datagram of the last {@link #nonFirst} that returned {@link #FORWARD}. */
    public long translation() {
        return lastTranslation;
    }

    /** The label recorded with {@link #translation()}. */
    public int label() {
        return lastLabel;
    }

    /**
     * Removes the entries due at {@code nowNanos} (oldest first) and copies their parked mbufs to
     * {@code freed} for the caller to free. Stops before an entry whose mbufs would not fit; call
     * again while the result is &gt; 0.
     *
     * @param freed length ≥ {@link #maxParkedPerDatagram()}
     * @return the number of mbufs written to {@code freed}
     */
    public int expire(long nowNanos, long[] freed) {
        if (freed.length < maxParkedPerDatagram) {
            throw new IllegalArgumentException("freed must hold " + maxParkedPerDatagram + " mbufs");
        }
        final int sentinel = capacity;
        int n = 0;
        for (int e = newer[sentinel]; e != sentinel; e = newer[sentinel]) {
            if (nowNanos - deadline[e] < 0 || n + parked[e] > freed.length) {
                break;
            }
            for (int s = head[e]; s != NIL; ) {
                freed[n++] = slotMbuf[s];
                int next = slotNext[s];
                slotNext[s] = freeSlot;
                freeSlot = s;
                s = next;
            }
            parkedTotal -= parked[e];
            parked[e] = 0;
            head[e] = NIL;
            tail[e] = NIL;
            remove(e, find(e));
        }
        return n;
    }

    // ---------------------------------------------------------------- introspection

    /** Datagrams tracked. */
    public int size() {
        return size;
    }

    /** Fragments parked (held by the tracker). */
    public int parkedCount() {
        return parkedTotal;
    }

    public int capacity() {
        return capacity;
    }

    public int maxParkedPerDatagram() {
        return maxParkedPerDatagram;
    }

    public int maxParked() {
        return maxParked;
    }

    public long timeoutNanos() {
        return timeout;
    }

    /** Bytes held by the tracker's arrays (excluding array headers). */
    public long footprintBytes() {
        // key1 key2 trans label deadline firstSeen end head tail parked rangeCount older newer, ranges
        long perNode = 8 + 4 + 8 + 4 + 8 + 1 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4L * maxRanges;
        return perNode * (capacity + 1) + 8L * index.length + 12L * maxParked;
    }

    // ---------------------------------------------------------------- internals

    static long key1(int src, int dst) {
        return ((long) src << 32) | (dst & 0xffffffffL);
    }

    static int key2(int proto, int ipId) {
        return (proto & 0xff) << 16 | (ipId & 0xffff);
    }

    private long hash(long k1, int k2) {
        long h = (k1 ^ seed) * 0x9E3779B97F4A7C15L ^ (k2 + 1L) * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }

    /** The slot holding the key, or {@code ~slot} of the empty slot ending its probe chain. */
    private int probe(long k1, int k2, long h) {
        final long[] index = this.index;
        final long fp = h & HI;
        int i = (int) (h >>> 32) & mask;
        for (;;) {
            long v = index[i];
            if (v == 0) {
                return ~i;
            }
            if ((v & HI) == fp) {
                int e = (int) v - 1;
                if (key1[e] == k1 && key2[e] == k2) {
                    return i;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /** The slot of a live entry. */
    private int find(int e) {
        long h = hash(key1[e], key2[e]);
        int i = (int) (h >>> 32) & mask;
        long want = (h & HI) | (e + 1L);
        while (index[i] != want) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private int create(int slot, long h, long k1, int k2, long now) {
        int e = freeEntry;
        freeEntry = newer[e];
        index[slot] = (h & HI) | (e + 1L);
        key1[e] = k1;
        key2[e] = k2;
        trans[e] = 0;
        label[e] = 0;
        deadline[e] = now + timeout;
        firstSeen[e] = false;
        end[e] = NIL;
        head[e] = NIL;
        tail[e] = NIL;
        parked[e] = 0;
        rangeCount[e] = 0;
        int sentinel = capacity;
        int last = older[sentinel];
        older[e] = last;
        newer[e] = sentinel;
        newer[last] = e;
        older[sentinel] = e;
        size++;
        return e;
    }

    private void park(int e, long mbuf) {
        int s = freeSlot;
        freeSlot = slotNext[s];
        slotMbuf[s] = mbuf;
        slotNext[s] = NIL;
        if (tail[e] == NIL) {
            head[e] = s;
        } else {
            slotNext[tail[e]] = s;
        }
        tail[e] = s;
        parked[e]++;
        parkedTotal++;
    }

    /** Unlinks entry e (whose index slot is {@code slot}, nothing parked) and frees it. */
    private void remove(int e, int slot) {
        LinearProbing.clear(index, mask, slot);
        int o = older[e];
        int n = newer[e];
        newer[o] = n;
        older[n] = o;
        newer[e] = freeEntry;
        freeEntry = e;
        size--;
    }

    /** Whether the first fragment is recorded and the accepted bytes are exactly [0, end). */
    private boolean complete(int e) {
        return firstSeen[e] && end[e] != NIL && rangeCount[e] == 1 && ranges[e * maxRanges] == end[e];
    }

    /**
     * Adds [start, stop) to entry e's accepted ranges, or says why not (nothing changes then).
     *
     * @return 0, {@link #DUPLICATE}, {@link #OVERLAP} or {@link #LIMIT}
     */
    private int accept(int e, int start, int stop, boolean more) {
        final int[] ranges = this.ranges;
        final int base = e * maxRanges;
        final int count = rangeCount[e];
        final int known = end[e];
        // i: the first range ending after start; the ranges before it end at or before start, and
        // only ranges[i] can share bytes with [start, stop) (the next ones start after its end)
        int i = 0;
        while (i < count && (ranges[base + i] & 0xffff) <= start) {
            i++;
        }
        if (i < count && (ranges[base + i] >>> 16) < stop) {
            if ((ranges[base + i] >>> 16) <= start && stop <= (ranges[base + i] & 0xffff)) {
                // every byte already accepted; a last fragment must still agree on the end
                return more || known == stop ? DUPLICATE : OVERLAP;
            }
            return OVERLAP;
        }
        if (more ? known != NIL && stop > known
                : known != NIL ? known != stop : count > 0 && (ranges[base + count - 1] & 0xffff) > stop) {
            return OVERLAP;
        }
        boolean joinLeft = i > 0 && (ranges[base + i - 1] & 0xffff) == start;
        boolean joinRight = i < count && (ranges[base + i] >>> 16) == stop;
        if (joinLeft && joinRight) {
            ranges[base + i - 1] = (ranges[base + i - 1] & 0xffff0000) | (ranges[base + i] & 0xffff);
            System.arraycopy(ranges, base + i + 1, ranges, base + i, count - i - 1);
            rangeCount[e] = count - 1;
        } else if (joinLeft) {
            ranges[base + i - 1] = (ranges[base + i - 1] & 0xffff0000) | stop;
        } else if (joinRight) {
            ranges[base + i] = start << 16 | (ranges[base + i] & 0xffff);
        } else {
            if (count == maxRanges) {
                return LIMIT;
            }
            System.arraycopy(ranges, base + i, ranges, base + i + 1, count - i);
            ranges[base + i] = start << 16 | stop;
            rangeCount[e] = count + 1;
        }
        if (!more) {
            end[e] = stop;
        }
        return 0;
    }
}
