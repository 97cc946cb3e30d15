package io.hairpin.engine.worker;

import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.packet.ChecksumDelta;
import io.hairpin.engine.packet.Icmp;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.shim.Mem;

/**
 * One worker's NAT44, VPP nat44-ed style: {@link #inbound} and {@link #outbound} decide a
 * rewrite (new source, destination and ports) without touching the packet, so the router can
 * still check TTL and MTU against the packet as it arrived; {@link #apply} then rewrites it in
 * place with incremental checksum updates. Reflection (hairpin) is an inbound decision that
 * rewrites both source and destination.
 */
final class Nat44 {
    static final int PASS = -1;
    static final int TRANSLATE = -2;

    // the decided rewrite
    int newSrc;
    int newDst;
    int newSrcPort;
    int newDstPort;

    private final Counters counters;

    Nat44(Counters counters) {
        this.counters = counters;
    }

    /**
     * The "ports" of a packet: TCP/UDP ports of a first fragment; for ICMP echo the identifier
     * stands as the source port of a request and the destination port of a reply, so that a
     * reply's tuple is the reverse of its request's (RFC 5508 REQ-1). Otherwise 0.
     */
    static int srcPort(long ip, int ihl, int proto) {
        if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
            return Mem.u16(ip + ihl);
        }
        return proto == Ipv4.PROTO_ICMP && Icmp.type(ip + ihl) == Icmp.TYPE_ECHO_REQUEST ? Mem.u16(ip + ihl + 4) : 0;
    }

    static int dstPort(long ip, int ihl, int proto) {
        if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
            return Mem.u16(ip + ihl + 2);
        }
        return proto == Ipv4.PROTO_ICMP && Icmp.type(ip + ihl) == Icmp.TYPE_ECHO_REPLY ? Mem.u16(ip + ihl + 4) : 0;
    }

    /** An ICMP echo request or reply (first fragment, header present): its identifier is translated like a port. */
    static boolean isEcho(long ip, int ihl, int proto) {
        if (proto != Ipv4.PROTO_ICMP || (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0) {
            return false;
        }
        int type = Icmp.type(ip + ihl);
        return type == Icmp.TYPE_ECHO_REQUEST || type == Icmp.TYPE_ECHO_REPLY;
    }

    private void keep(long ip, int ihl, int proto) {
        newSrc = Ipv4.src(ip);
        newDst = Ipv4.dst(ip);
        boolean ports = hasL4Header(ip, ihl, proto) || isEcho(ip, ihl, proto);
        newSrcPort = ports ? srcPort(ip, ihl, proto) : 0;
        newDstPort = ports ? dstPort(ip, ihl, proto) : 0;
    }

    /** TCP/UDP header present: first fragment and long enough (validated by the caller for the length). */
    static boolean hasL4Header(long ip, int ihl, int proto) {
        return (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP)
                && (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) == 0;
    }

    /**
     * Decides the translation of a packet addressed to a NAT public address, before routing.
     *
     * @return PASS (not NAT's), TRANSLATE (rewrite decided), or a Counters drop reason
     */
    int inbound(long ip, int ihl, int total, int ingress, Snapshot snap) {
        NatRules nat = snap.nat;
        int dst = Ipv4.dst(ip);
        if (nat.natAddressInterface(dst) < 0) {
            return PASS;
        }
        int src = Ipv4.src(ip);
        int proto = Ipv4.protocol(ip);
        keep(ip, ihl, proto);
        int r = nat.binatByExternal(dst, src);
        if (r < 0) {
            // A port forward or an outbound mapping may own this address; sessions decide (next step).
            return isLocalAddress(snap, dst) ? PASS : Counters.NAT_NO_MAPPING;
        }
        int port = proto == Ipv4.PROTO_ICMP ? 0 : newDstPort;
        boolean related = proto == Ipv4.PROTO_ICMP && total - ihl >= 1 && Icmp.isError(Icmp.type(ip + ihl));
        if (!related && !nat.binatAdmits(r, proto, port)) {
            return Counters.NAT_NOT_ADMITTED;
        }
        newDst = nat.binatToInternal(r, dst);
        if (snap.external[ingress]) {
            return TRANSLATE;
        }
        // Hairpin: an internal client reached a public address. The server's reply must come back
        // through the appliance, so the source becomes the client's own public identity (mapped)
        // or the appliance's address facing the server (interface).
        if (!nat.binatReflects(r)) {
            return Counters.NAT_REFLECTION_DISABLED;
        }
        if (nat.binatReflectsFromInterface(r)) {
            return Counters.NAT_NO_MAPPING; // needs a port from the interface pool: sessions (next step)
        }
        int c = nat.binatByInternal(src, dst, nat.binatInterface(r));
        if (c < 0) {
            return Counters.NAT_NO_MAPPING; // the client has no 1:1: its NAPT mapping (next step)
        }
        newSrc = nat.binatToExternal(c, src);
        return TRANSLATE;
    }

    private static boolean isLocalAddress(Snapshot snap, int addr) {
        int r = snap.routes.lookup(addr);
        return r >= 0 && snap.routes.kind(r) == io.hairpin.engine.route.RouteTable.KIND_LOCAL;
    }

    /**
     * Decides the source translation of a routed packet leaving egress (1:1 first, as pfSense).
     *
     * @return PASS (no rule: leave as is), TRANSLATE, or a Counters drop reason
     */
    int outbound(long ip, int ihl, int total, int ingress, int egress, Snapshot snap) {
        NatRules nat = snap.nat;
        int src = Ipv4.src(ip);
        int dst = Ipv4.dst(ip);
        int proto = Ipv4.protocol(ip);
        keep(ip, ihl, proto);
        int r = nat.binatByInternal(src, dst, egress);
        if (r >= 0) {
            newSrc = nat.binatToExternal(r, src);
            return TRANSLATE;
        }
        if (!snap.external[ingress] && snap.external[egress]) {
            // Never leak an internal (or foreign) source to the Internet.
            return nat.outbound(src, egress) >= 0 ? Counters.NAT_NO_MAPPING : Counters.NAT_UNTRANSLATED_SOURCE;
        }
        return PASS;
    }

    /** Rewrites the packet as decided, fixing the IPv4 and TCP/UDP checksums incrementally. */
    void apply(long ip, int ihl, int total) {
        int proto = Ipv4.protocol(ip);
        int oldSrc = Ipv4.src(ip);
        int oldDst = Ipv4.dst(ip);
        int addrDelta = ChecksumDelta.add(ChecksumDelta.delta32(oldSrc, newSrc), ChecksumDelta.delta32(oldDst, newDst));
        Ipv4.src(ip, newSrc);
        Ipv4.dst(ip, newDst);
        Mem.u16(ip + Ipv4.OFF_CHECKSUM, ChecksumDelta.apply(Ipv4.checksum(ip), addrDelta));
        if (isEcho(ip, ihl, proto)) {
            // No pseudo-header in ICMP: only the identifier counts.
            long icmp = ip + ihl;
            int oldId = Mem.u16(icmp + 4);
            int newId = Icmp.type(icmp) == Icmp.TYPE_ECHO_REQUEST ? newSrcPort : newDstPort;
            if (oldId != newId) {
                Mem.u16(icmp + 4, newId);
                Mem.u16(icmp + 2, ChecksumDelta.apply(Mem.u16(icmp + 2), ChecksumDelta.delta16(oldId, newId)));
            }
            return;
        }
        if (!hasL4Header(ip, ihl, proto)) {
            return;
        }
        long l4 = ip + ihl;
        int oldSport = Mem.u16(l4);
        int oldDport = Mem.u16(l4 + 2);
        int delta = ChecksumDelta.add(addrDelta, ChecksumDelta.add(ChecksumDelta.delta16(oldSport, newSrcPort),
                ChecksumDelta.delta16(oldDport, newDstPort)));
        Mem.u16(l4, newSrcPort);
        Mem.u16(l4 + 2, newDstPort);
        if (proto == Ipv4.PROTO_TCP) {
            if (total - ihl >= 18) {
                Mem.u16(l4 + 16, ChecksumDelta.apply(Mem.u16(l4 + 16), delta));
            }
        } else if (total - ihl >= 8) {
            int ck = Mem.u16(l4 + 6);
            if (ck != 0) { // a UDP checksum of 0 means "none" and stays 0
                int updated = ChecksumDelta.apply(ck, delta);
                Mem.u16(l4 + 6, updated == 0 ? 0xffff : updated);
            }
        }
    }

    /**
     * For an ICMP error, the packet it quotes is translated too (RFC 5508): the quote is the
     * packet as the far side saw it, so it gets the inverse of the outer rewrite. Called after
     * {@link #apply} with the outer addresses before translation. Returns false for a quote too
     * short or malformed to translate (the caller drops it).
     */
    boolean applyToQuote(long ip, int ihl, int total, int outerOldSrc, int outerOldDst) {
        if (Ipv4.protocol(ip) != Ipv4.PROTO_ICMP || (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0
                || total - ihl < Icmp.HEADER_LEN + Ipv4.MIN_HEADER_LEN || !Icmp.isError(Icmp.type(ip + ihl))) {
            return true;
        }
        long icmp = ip + ihl;
        long q = icmp + Icmp.HEADER_LEN;
        int qlen = total - ihl - Icmp.HEADER_LEN;
        int qihl = Ipv4.headerLen(q);
        if (Ipv4.version(q) != 4 || qihl < Ipv4.MIN_HEADER_LEN || qihl > qlen) {
            return false;
        }
        // The quoted packet travelled the other way: its source is our old destination and so on.
        int qsrc = Ipv4.src(q);
        int qdst = Ipv4.dst(q);
        int newQsrc = qsrc == outerOldDst ? newDst : qsrc;
        int newQdst = qdst == outerOldSrc ? newSrc : qdst;
        int delta = ChecksumDelta.add(ChecksumDelta.delta32(qsrc, newQsrc), ChecksumDelta.delta32(qdst, newQdst));
        Ipv4.src(q, newQsrc);
        Ipv4.dst(q, newQdst);
        Mem.u16(q + Ipv4.OFF_CHECKSUM, ChecksumDelta.apply(Ipv4.checksum(q), delta));
        int qproto = Ipv4.protocol(q);
        if (qproto == Ipv4.PROTO_UDP && qlen >= qihl + 8 && Mem.u16(q + qihl + 6) != 0) {
            int updated = ChecksumDelta.apply(Mem.u16(q + qihl + 6), delta);
            Mem.u16(q + qihl + 6, updated == 0 ? 0xffff : updated);
        } else if (qproto == Ipv4.PROTO_TCP && qlen >= qihl + 18) {
            Mem.u16(q + qihl + 16, ChecksumDelta.apply(Mem.u16(q + qihl + 16), delta));
        }
        // The ICMP checksum covers the whole quote: recompute it (errors are rare).
        Mem.u16(icmp + 2, 0);
        Mem.u16(icmp + 2, io.hairpin.engine.packet.Checksum.finish(
                io.hairpin.engine.packet.Checksum.sum(icmp, total - ihl, 0)));
        return true;
    }
}
