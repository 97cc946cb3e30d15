package io.hairpin.perf;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Generator mode's traffic source: writes the scenario's frames (as capacity mode's packets enter
 * {@code startPort}: the same flows, addresses and ports, so the worker translates them as it
 * does there) into fresh mbufs from the pool and puts them into that port's RX ring, as a NIC
 * would. 64-byte UDP frames only; the 18 payload bytes carry, big-endian:
 * <pre>
 *   +0  flow id (a Flows index, or forward's frame number)    +12 sequence number
 *   +4  TSC when sent (64 bits)                               +16 trial number (16 bits)
 * </pre>
 * The IP and UDP checksums are computed from the fields (no pass over the frame). No allocation.
 */
final class Generator implements AutoCloseable {
    static final int MAX_BURST = 32;
    static final int FRAME_LEN = 60;
    static final int PAYLOAD = Frames.ETH_LEN + Frames.IP_LEN + Frames.UDP_LEN;
    static final int IP_TOTAL = FRAME_LEN - Frames.ETH_LEN;
    static final int UDP_TOTAL = IP_TOTAL - Frames.IP_LEN;
    /** The IP header's words that never change (version/IHL/TOS, total length, DF, TTL/protocol). */
    private static final int IP_FIXED = 0x4500 + IP_TOTAL + 0x4000 + ((Frames.TTL << 8) | Frames.PROTO_UDP);

    private final MemorySegment pool;
    private final MemorySegment rxRing;
    private final Flows walk;
    private final int inFlight;
    private final boolean fromWan;
    private final long dstMac;
    private final long gatewayMac;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment burst;
    private final long burstAddr;
    private final MemorySegment junk;
    private final long junkAddr;
    private int frame;
    private int seq;
    int trial;
    /** Frames offered: written and handed to the RX ring, or refused by a full ring or an empty pool. */
    long offered;
    long ringFull;
    long noMbuf;

    /** @param walk the scenario's flows (a fresh walk), null for forward's frames */
    Generator(Setup s, Rig rig, Flows walk) {
        if (walk != null && walk.proto != Frames.PROTO_UDP) {
            throw new IllegalArgumentException("the generator writes UDP only");
        }
        pool = rig.pool.segment();
        rxRing = rig.rx[s.startPort].segment();
        this.walk = walk;
        inFlight = rig.inFlight;
        fromWan = s.startPort == Rig.WAN;
        dstMac = rig.portMac[s.startPort];
        gatewayMac = Flows.mac(Setup.GATEWAY);
        burst = arena.allocate(ValueLayout.JAVA_LONG, MAX_BURST);
        burstAddr = burst.address();
        junk = arena.allocate(ValueLayout.JAVA_LONG, MAX_BURST);
        junkAddr = junk.address();
    }

    /** Offers n ≤ {@link #MAX_BURST} frames stamped with tsc; returns how many the RX ring took. */
    int send(int n, long tsc) {
        offered += n;
        if (Shim.hp_mbuf_alloc_bulk(pool, burst, n) != 0) {
            noMbuf += n;
            return 0;
        }
        for (int i = 0; i < n; i++) {
            write(Mem.nativeLong(burstAddr + 8L * i), tsc);
        }
        int took = Shim.hp_ring_enqueue_burst(rxRing, burst, n);
        if (took < n) {
            int left = n - took;
            for (int i = 0; i < left; i++) {
                Mem.nativeLong(junkAddr + 8L * i, Mem.nativeLong(burstAddr + 8L * (took + i)));
            }
            Shim.hp_mbuf_free_bulk(junk, left);
            ringFull += left;
        }
        return took;
    }

    private void write(long m, long tsc) {
        int id;
        int src;
        int dst;
        int sport;
        int dport;
        long srcMac;
        if (walk == null) { // forward: frame k of capacity mode's in-flight set
            int k = frame;
            frame = k + 1 == inFlight ? 0 : k + 1;
            int c = k % Rig.CLIENTS;
            int sv = (k / Rig.CLIENTS) % Rig.SERVERS;
            id = k;
            src = Rig.clientIp(c);
            dst = Rig.serverIp(sv);
            sport = 10_000 + k;
            dport = sv == 0 ? 53 : 443 + sv;
            srcMac = Rig.clientMac(c);
        } else {
            int g = walk.next();
            id = g;
            src = walk.clientIp(g);
            dst = walk.serverIp(g);
            sport = walk.clientPort(g);
            dport = walk.serverPort(g);
            srcMac = fromWan ? gatewayMac : Flows.mac(src);
        }
        int sq = seq++;
        int tscHi = (int) (tsc >>> 32);
        int tscLo = (int) tsc;
        long f = Mbuf.data(m);
        Mem.mac(f, dstMac);
        Mem.mac(f + 6, srcMac);
        Mem.u16(f + 12, 0x0800);
        long ip = f + Frames.ETH_LEN;
        Mem.u16(ip, 0x4500);
        Mem.u16(ip + 2, IP_TOTAL);
        Mem.u16(ip + 4, id & 0xffff);
        Mem.u16(ip + 6, 0x4000);
        Mem.u16(ip + 8, (Frames.TTL << 8) | Frames.PROTO_UDP);
        Mem.i32(ip + 12, src);
        Mem.i32(ip + 16, dst);
        Mem.u16(ip + 10, ~fold(IP_FIXED + (id & 0xffff) + pos(src) + pos(dst)) & 0xffff);
        long udp = ip + Frames.IP_LEN;
        Mem.u16(udp, sport);
        Mem.u16(udp + 2, dport);
        Mem.u16(udp + 4, UDP_TOTAL);
        long pl = udp + Frames.UDP_LEN;
        Mem.i32(pl, id);
        Mem.i32(pl + 4, tscHi);
        Mem.i32(pl + 8, tscLo);
        Mem.i32(pl + 12, sq);
        Mem.u16(pl + 16, trial & 0xffff);
        int sum = pos(src) + pos(dst) + Frames.PROTO_UDP + UDP_TOTAL // pseudo header
                + sport + dport + UDP_TOTAL
                + pos(id) + pos(tscHi) + pos(tscLo) + pos(sq) + (trial & 0xffff);
        int ck = ~fold(sum) & 0xffff;
        Mem.u16(udp + 6, ck == 0 ? 0xffff : ck);
        Mbuf.setLength(m, FRAME_LEN);
    }

    private static int pos(int v) {
        return (v >>> 16) + (v & 0xffff);
    }

    private static int fold(int s) {
        s = (s & 0xffff) + (s >>> 16);
        return (s & 0xffff) + (s >>> 16);
    }

    @Override
    public void close() {
        arena.close();
    }
}
