package io.hairpin.engine.worker;

import io.hairpin.shim.Mem;
import io.hairpin.shim.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The worker's exact-match cache of finished forwarding decisions (OVS's EMC, VPP's flow cache):
 * for a flow the full pipeline forwarded unchanged or translated statelessly (1:1), the rewrite it
 * ended with — new addresses and ports, their checksum deltas, egress port, MACs and MTU — so the
 * next packets of the flow skip route, uRPF, NAT rule and neighbour lookups.
 *
 * <p>An entry is one 64-byte line of off-heap memory, in buckets of four ways. It is valid while
 * its stamp (the snapshot version and the neighbour table version it was made under) is the
 * current one and for at most {@link #LIFETIME_NANOS}, after which the full pipeline runs again
 * (and, for instance, refreshes a stale neighbour). Creating a session {@link #forget}s both of
 * its tuples, so a stateless decision cannot shadow it. A session's packets take the worker's
 * established-session path, which gets the rewrite from the session, checks the source and finds
 * the route in the snapshot, and takes the rest of the decision from a <em>route entry</em> here
 * ({@link #ROUTE_K2}): the egress half of an entry, for an egress interface and next hop. That
 * path then leaves a <em>session entry</em>
 * for the flow ({@link #writeSession}): the route entry's egress half with the session flow's
 * rewrite and checksum deltas, which the fast path applies as it applies a 1:1 entry's, without
 * reading the session. So a session entry must not outlive what it copied: removing a session,
 * or shortening its life, {@link #forget}s the entries of both its tuples; and the session was
 * refreshed, when the entry was made, as of the entry's expiry, so that it never ends earlier
 * than the timeout after a packet the entry took (and at most one entry lifetime later).
 *
 * <p>Entry layout (bytes): 0 k1 = src·dst, 8 k2 = ingress interface·protocol·ports, 16 the
 * stamp in the low 48 bits and the counter id of the NAT rule that made the decision
 * ({@link RuleCounters}; 0 for none) in the top 16, 24 expires-at, then the decision in the
 * byte order it takes on the wire, so that the fast path copies it into the frame with a few
 * wide stores and no byte swapping: 32 new src·new dst,
 * 40 new ports, 44 IP checksum delta (the TTL decrement included), 46 L4 checksum delta, 48 the
 * destination and source MACs; then 60 egress MTU (native order), 62 TX slot, 63 flags.
 * One's-complement sums do not depend on byte order (RFC 1071, 2.B), so a delta stored in
 * network order and read in native order applies to a checksum read in native order. The fast
 * path reads the decision as four longs and takes them apart as a little-endian host lays them
 * out; the constructor refuses any other host.
 */
final class FlowCache implements AutoCloseable {
    static final long LIFETIME_NANOS = 1_000_000_000L;
    static final int ENTRY_BYTES = 64;
    static final int WAYS = 4;
    static final long TUPLE_MASK = 0xffff_ffff_ffffL; // k2 without the interface
    /** In the flags byte; being its top bit, it is the sign of the entry's last word. */
    static final int TRANSLATED = 0x80;
    /** In the flags byte: a session entry (always {@link #TRANSLATED} too). Bit 62 of the entry's last word. */
    static final long SESSION_BIT = 1L << 62;

    /** The bits of an entry's third word that hold its stamp; above them, its rule. */
    static final long STAMP_BITS = (1L << 48) - 1;
    static final int RULE_SHIFT = 48;

    static final int OFF_STAMP = 16;
    static final int OFF_ADDRESSES = 32;
    static final int OFF_PORTS = 40;
    static final int OFF_IP_DELTA = 44;
    static final int OFF_L4_DELTA = 46;
    static final int OFF_MACS = 48;
    static final int OFF_MTU = 60;
    static final int OFF_SLOT = 62;
    static final int OFF_FLAGS = 63;

    private final Arena arena = Arena.ofShared();
    private final long base;
    private final int mask;
    /**
     * The latest expiry of any flow's own entry (stateless or session entry; source and route
     * entries never match a flow's tuple) put so far, if any: after it, {@link #forget} has
     * nothing to find. A new flow's session is created at the full rate of new flows while the
     * cache stands aside, and those two probes of four lines each were a tenth of its cost.
     */
    private boolean flowEntriesPut;
    private long flowEntriesUntil;
    private long jitterState = 0x9E3779B97F4A7C15L;
    private boolean closed;

    /** @param buckets a power of two; the cache holds 4 × buckets flows in 256 × buckets bytes */
    FlowCache(int buckets) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("the flow cache's entries are laid out for a little-endian host");
        }
        if (Integer.bitCount(buckets) != 1) {
            throw new IllegalArgumentException("buckets must be a power of two: " + buckets);
        }
        MemorySegment mem = OffHeap.allocate(arena, (long) buckets * WAYS * ENTRY_BYTES);
        mem.fill((byte) 0);
        base = mem.address();
        mask = buckets - 1;
    }

    /** The protocol of the route entries' keys and up: no flow's (those are TCP or UDP; RFC 5237 reserves 255). */
    private static final int DECISION_PROTOS = 255;

    static long k2(int iface, int proto, int ports) {
        return ((long) iface << 48) | ((long) proto << 32) | (ports & 0xffffffffL);
    }

    /**
     * k2 of a route entry, whose k1 is {@code egress interface << 32 | next hop}: how packets leave
     * by that next hop, whatever their ingress and destination.
     */
    static final long ROUTE_K2 = k2(0, DECISION_PROTOS, 0);

    /**
     * When an entry made at now expires: {@link #LIFETIME_NANOS} less a random part of up to a
     * quarter of it. Entries filled together (every flow of a big table after a snapshot swap, or
     * in the first second of traffic) would otherwise all expire in the same instant every
     * second: a storm of misses through the full pipeline, long enough to push the cache aside
     * as traffic it cannot serve.
     */
    long expiry(long now) {
        long x = jitterState;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        jitterState = x;
        return now + LIFETIME_NANOS - (x >>> 1) % (LIFETIME_NANOS / 4);
    }

    long bucket(long k1, long k2) {
        long h = k1 * 0x9E3779B97F4A7C15L + (k2 & TUPLE_MASK) * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31; // addresses that differ in low bits only must still spread (checked: as uniform as random)
        return base + (((int) (h >>> 20) & mask) * (long) (WAYS * ENTRY_BYTES));
    }

    /** The entry's address for this flow if valid under stamp (of {@link #STAMP_BITS}) at now, else 0. */
    long find(long k1, long k2, long stamp, long now) {
        return findIn(bucket(k1, k2), k1, k2, stamp, now);
    }

    /** {@link #find} in the flow's bucket, already computed. */
    long findIn(long bucket, long k1, long k2, long stamp, long now) {
        long e = bucket;
        for (int w = 0; w < WAYS; w++, e += ENTRY_BYTES) {
            if (Mem.nativeLong(e) == k1 && Mem.nativeLong(e + 8) == k2) {
                boolean valid = (Mem.nativeLong(e + OFF_STAMP) & STAMP_BITS) == stamp && now - Mem.nativeLong(e + 24) < 0;
                return valid ? e : 0;
            }
        }
        return 0;
    }

    /** The counter id of the rule behind entry e's decision (0: none). */
    static int rule(long e) {
        return (int) (Mem.nativeLong(e + OFF_STAMP) >>> RULE_SHIFT);
    }

    /**
     * Takes the way for this flow: the one holding it already, else the first empty or invalid
     * (at now) way, else the last. The caller then {@link #write}s the decision of NAT rule
     * {@code rule} (a counter id, 0 for none) into the returned entry.
     */
    long put(long k1, long k2, long stamp, int rule, long now, long expiresAt) {
        long b = bucket(k1, k2);
        long e = 0;
        for (int w = 0; w < WAYS && e == 0; w++) {
            long c = b + (long) w * ENTRY_BYTES;
            if (Mem.nativeLong(c) == k1 && Mem.nativeLong(c + 8) == k2) {
                e = c;
            }
        }
        for (int w = 0; w < WAYS && e == 0; w++) {
            long c = b + (long) w * ENTRY_BYTES;
            if ((Mem.nativeLong(c + OFF_STAMP) & STAMP_BITS) != stamp || now - Mem.nativeLong(c + 24) >= 0) {
                e = c; // empty (stamp 0), made under other versions, or expired
            }
        }
        if (e == 0) {
            e = b + (long) (WAYS - 1) * ENTRY_BYTES;
        }
        Mem.nativeLong(e, k1);
        Mem.nativeLong(e + 8, k2);
        Mem.nativeLong(e + OFF_STAMP, stamp | (long) rule << RULE_SHIFT);
        Mem.nativeLong(e + 24, expiresAt);
        if (((int) (k2 >>> 32) & 0xff) < DECISION_PROTOS && (!flowEntriesPut || expiresAt - flowEntriesUntil > 0)) {
            flowEntriesPut = true;
            flowEntriesUntil = expiresAt;
        }
        return e;
    }

    /**
     * The decision of entry e: the packet leaves with these addresses and ports (its own, when
     * not translated), checksums changed by these deltas (RFC 1624, in network order; the IP one
     * includes the TTL decrement), these MACs, on TX slot {@code slot} if no longer than mtu.
     */
    static void write(long e, int newSrc, int newDst, int newPorts, int ipDelta, int l4Delta, long dstMac, long srcMac,
                      int mtu, int slot, boolean translated) {
        writeRewrite(e, newSrc, newDst, newPorts, ipDelta, l4Delta);
        Mem.mac(e + OFF_MACS, dstMac);
        Mem.mac(e + OFF_MACS + 6, srcMac);
        Mem.nativeU16(e + OFF_MTU, mtu);
        Mem.u8(e + OFF_SLOT, slot);
        Mem.u8(e + OFF_FLAGS, translated ? TRANSLATED : 0);
    }

    /**
     * Makes entry e (from {@link #put}) the session entry of a session flow that leaves as route
     * entry {@code route} says: its egress half is copied, with the flow's rewrite and deltas as
     * {@link #write} takes them. The caller has refreshed the session as of e's expiry.
     */
    static void writeSession(long e, long route, int newSrc, int newDst, int newPorts, int ipDelta, int l4Delta) {
        long macs = Mem.nativeLong(route + OFF_MACS); // before any store: put may have given route's own way
        long macTail = Mem.nativeLong(route + OFF_MACS + 8);
        writeRewrite(e, newSrc, newDst, newPorts, ipDelta, l4Delta);
        Mem.nativeLong(e + OFF_MACS, macs);
        Mem.nativeLong(e + OFF_MACS + 8, macTail | ((long) TRANSLATED << 56) | SESSION_BIT);
    }

    private static void writeRewrite(long e, int newSrc, int newDst, int newPorts, int ipDelta, int l4Delta) {
        Mem.i32(e + OFF_ADDRESSES, newSrc);
        Mem.i32(e + OFF_ADDRESSES + 4, newDst);
        Mem.i32(e + OFF_PORTS, newPorts);
        Mem.u16(e + OFF_IP_DELTA, ipDelta);
        Mem.u16(e + OFF_L4_DELTA, l4Delta);
    }

    /** When valid entry e expires (its {@link #put}'s expiresAt). */
    static long expiresAt(long e) {
        return Mem.nativeLong(e + 24);
    }

    /** Drops any entry for this tuple, on whatever interface it arrived, that could be valid at now or later. */
    void forget(long k1, long k2, long now) {
        if (!flowEntriesPut || now - flowEntriesUntil >= 0) {
            return; // every flow's entry has expired: none to find
        }
        long e = bucket(k1, k2);
        for (int w = 0; w < WAYS; w++, e += ENTRY_BYTES) {
            if (Mem.nativeLong(e) == k1 && (Mem.nativeLong(e + 8) & TUPLE_MASK) == (k2 & TUPLE_MASK)) {
                Mem.nativeLong(e + 24, 0);
                Mem.nativeLong(e + OFF_STAMP, 0);
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
