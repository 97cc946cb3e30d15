package io.hairpin.engine.worker;

import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.shim.Mem;

/**
 * One worker's packet trace: a preallocated ring of primitives per traced packet, filled by the
 * worker on a slow path it takes only while armed (the hot path pays one plain field read in
 * {@link Worker}); the control thread arms it, waits, copies the entries and formats them.
 *
 * <p>Arming: the control thread stores {@code generation << 16 | budget} in one volatile word;
 * the worker picks it up in housekeeping, resets its entry count, takes the budget, then
 * acknowledges the generation. Entries {@code [0, recorded)} of the acknowledged generation are
 * complete (the count is a volatile store after the entry's words) and never rewritten within it.
 */
public final class Tracer {
    public static final int CAPACITY = 1000;
    public static final int STRIDE = 8;

    // words of an entry
    /** The worker's System.nanoTime() when the packet was taken. */
    public static final int NANOS = 0;
    /** ingress interface + 1 (0 = none) << 48 | ethertype << 32 | vlan << 16 | engine port. */
    public static final int INGRESS = 1;
    /** Before: src << 32 | dst (ARP: sender << 32 | target). */
    public static final int BEFORE_L3 = 2;
    /** Before: see {@link #l4}. */
    public static final int BEFORE_L4 = 3;
    public static final int AFTER_L3 = 4;
    public static final int AFTER_L4 = 5;
    /** outcome << 32 | detail (drop reason index, or the egress interface + 1). */
    public static final int VERDICT = 6;
    /** NAT kind | NEW_SESSION | ICMP_ERROR_SENT | HAS_AFTER flags. */
    public static final int NAT = 7;

    // outcomes
    public static final int UNKNOWN = 0;
    public static final int FORWARDED = 1;
    public static final int TO_KERNEL = 2;
    public static final int DROPPED = 3;
    public static final int AWAITING_ARP = 4;
    public static final int HANDED_OFF = 5;
    public static final int PARKED = 6;
    public static final int REPLIED = 7;
    /** An ARP reply learnt from and kept: no kernel behind the interface to hand it to. */
    public static final int LEARNT = 8;

    // NAT kinds (low byte of the NAT word) and flags
    public static final int NAT_NONE = 0;
    public static final int NAT_ONE_TO_ONE = 1;
    public static final int NAT_NAPT = 2;
    public static final int NAT_PORT_FORWARD = 3;
    public static final int NAT_REFLECTION = 4;
    /** Translated through a session whose kind cannot be told (an ICMP error about a session). */
    public static final int NAT_RELATED = 5;
    public static final int NEW_SESSION = 0x100;
    public static final int ICMP_ERROR_SENT = 0x200;
    public static final int HAS_AFTER = 0x400;

    // L4 word: flags << 56 | proto << 48 | a << 32 | b << 16 | c
    /** TCP/UDP: a = source port, b = destination port, c = TCP flags; ICMP: a = type << 8 | code, b = identifier. */
    public static final int L4_PRESENT = 1;
    /** A fragment that is not the first: no L4 header. */
    public static final int L4_LATER_FRAGMENT = 2;

    final long[] entries = new long[CAPACITY * STRIDE];
    private volatile long arm;
    /** The arm word the worker runs (generation << 16 | budget). */
    private volatile long acknowledged;
    private volatile int recorded;

    // ---- control side -----------------------------------------------------------------------

    /** Arms (budget 1..CAPACITY) or disarms (budget 0) this worker's trace under a new generation. */
    public void arm(long generation, int budget) {
        if (budget < 0 || budget > CAPACITY) {
            throw new IllegalArgumentException("budget 0.." + CAPACITY + ": " + budget);
        }
        arm = generation << 16 | budget;
    }

    /** The generation the worker runs. */
    public long acknowledged() {
        return acknowledged >>> 16;
    }

    /** True once the worker runs the latest arm word and it has a budget (it traces the next packets). */
    public boolean isArmed() {
        long a = acknowledged;
        return a == arm && (a & 0xffff) != 0;
    }

    /** Complete entries of the acknowledged generation. */
    public int recorded() {
        return recorded;
    }

    /** Copies entries [0, n) (n from {@link #recorded()} after {@link #acknowledged()} showed the generation). */
    public long[] copy(int n) {
        return java.util.Arrays.copyOf(entries, n * STRIDE);
    }

    // ---- worker side ------------------------------------------------------------------------

    /** Housekeeping: the arm word (one volatile read). */
    long armWord() {
        return arm;
    }

    /** Housekeeping, for a new arm word: starts its generation; returns the budget to trace. */
    int start(long armWord) {
        recorded = 0;
        acknowledged = armWord;
        return (int) (armWord & 0xffff);
    }

    int next() {
        return recorded;
    }

    void publish(int n) {
        recorded = n;
    }

    /**
     * Describes a frame into e[at] (L3 word) and e[at + 1] (L4 word); returns
     * ethertype << 32 | vlan. Reads only within len bytes.
     */
    static long describe(long f, int len, long[] e, int at) {
        e[at] = 0;
        e[at + 1] = 0;
        if (len < Ethernet.HEADER_LEN) {
            return 0;
        }
        int type = Mem.u16(f + Ethernet.OFF_TYPE);
        int l2 = Ethernet.HEADER_LEN;
        int vid = 0;
        if (type == Ethernet.TPID_VLAN && len >= Ethernet.HEADER_LEN + Ethernet.VLAN_TAG_LEN) {
            vid = Mem.u16(f + 14) & 0xfff;
            type = Mem.u16(f + 16);
            l2 += Ethernet.VLAN_TAG_LEN;
        }
        long p = f + l2;
        int avail = len - l2;
        if (type == Ethernet.TYPE_ARP && avail >= 28) {
            e[at] = ((long) Mem.i32(p + 14) << 32) | (Mem.i32(p + 24) & 0xffffffffL);
            e[at + 1] = (long) Mem.u16(p + 6) << 32;
        } else if (type == Ethernet.TYPE_IPV4 && avail >= Ipv4.MIN_HEADER_LEN && (Mem.u8(p) >>> 4) == 4) {
            int ihl = (Mem.u8(p) & 0xf) << 2;
            int proto = Ipv4.protocol(p);
            e[at] = ((long) Ipv4.src(p) << 32) | (Ipv4.dst(p) & 0xffffffffL);
            int frag = Ipv4.fragField(p);
            long flags = 0;
            long a = 0;
            long b = 0;
            long c = 0;
            if ((frag & Ipv4.FRAG_OFFSET_MASK) != 0) {
                flags = L4_LATER_FRAGMENT;
            } else if ((proto == Ipv4.PROTO_TCP && avail >= ihl + 14) || (proto == Ipv4.PROTO_UDP && avail >= ihl + 8)) {
                flags = L4_PRESENT;
                a = Mem.u16(p + ihl);
                b = Mem.u16(p + ihl + 2);
                c = proto == Ipv4.PROTO_TCP ? Mem.u8(p + ihl + 13) : 0;
            } else if (proto == Ipv4.PROTO_ICMP && avail >= ihl + 8) {
                flags = L4_PRESENT;
                a = Mem.u16(p + ihl);
                b = Mem.u16(p + ihl + 4);
            }
            e[at + 1] = flags << 56 | (long) proto << 48 | a << 32 | b << 16 | c;
        }
        return ((long) type << 32) | vid;
    }
}
