package io.hairpin.perf;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.HdrHistogram.Histogram;

/**
 * Generator mode's far end: takes what the DUT transmitted (both ports' TX rings), counts the
 * current trial's frames, records each one's latency (TSC now − the TSC the {@link Generator}
 * stamped, in ns) into a histogram, checks it left by the expected port translated as expected
 * for its flow ({@link Expect}), checks the checksums of one frame in 1024, and frees it. Frames
 * of an earlier trial count as late; anything not one of ours (the engine's ARP) as other. No
 * allocation: the histogram has a fixed range.
 */
final class Sink implements AutoCloseable {
    static final int BURST = 64;
    /** Latencies above this (ns) are recorded as this. */
    static final long MAX_NS = 10_000_000_000L;

    /**
     * What the DUT does to a frame of flow g: the port it leaves by, its source (kept; shifted by
     * a constant, as 1:1 NAT does, port kept; or a NAPT pool address with a port ≥ 1024) and its
     * destination (kept, or rewritten to one address and port).
     */
    record Expect(int outPort, int srcKind, int srcShift, int poolBase, int poolCount, int dstIp, int dstPort) {
        static final int KEEP = 0;
        static final int SHIFT = 1;
        static final int POOL = 2;
    }

    private final MemorySegment[] txRing;
    private final Flows flows;
    private final Expect x;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final long bufAddr;
    private final double nsPerTick;
    final Histogram histogram = new Histogram(1, MAX_NS, 3);
    int trial;
    long received;
    long late;
    long other;
    long mistranslated;
    long checked;
    long badChecksums;
    private int sample;

    /** @param flows the scenario's flows (only their numbering is used), null for forward's frames */
    Sink(Rig rig, Flows flows, Expect expect, long tscHz) {
        txRing = new MemorySegment[] {rig.tx[0].segment(), rig.tx[1].segment()};
        this.flows = flows;
        this.x = expect;
        buf = arena.allocate(ValueLayout.JAVA_LONG, BURST);
        bufAddr = buf.address();
        nsPerTick = 1e9 / tscHz;
    }

    /** One pass over both TX rings; returns the frames taken. */
    int poll() {
        int total = 0;
        for (int p = 0; p < 2; p++) {
            int n = Shim.hp_ring_dequeue_burst(txRing[p], buf, BURST);
            if (n == 0) {
                continue;
            }
            long now = Shim.hp_rdtsc();
            for (int i = 0; i < n; i++) {
                take(Mem.nativeLong(bufAddr + 8L * i), p, now);
            }
            Shim.hp_mbuf_free_bulk(buf, n);
            total += n;
        }
        return total;
    }

    private void take(long m, int port, long now) {
        long f = Mbuf.data(m);
        long ip = f + Frames.ETH_LEN;
        if (Mem.u16(f + 12) != 0x0800 || Mem.u8(ip) != 0x45 || Mem.u8(ip + 9) != Frames.PROTO_UDP
                || Mem.u16(ip + 2) != Generator.IP_TOTAL) {
            other++;
            return;
        }
        long udp = ip + Frames.IP_LEN;
        long pl = udp + Frames.UDP_LEN;
        if ((Mem.u16(pl + 16) & 0xffff) != (trial & 0xffff)) {
            late++;
            return;
        }
        received++;
        long sent = ((long) Mem.i32(pl + 4) << 32) | (Mem.i32(pl + 8) & 0xffffffffL);
        long ns = (long) ((now - sent) * nsPerTick);
        histogram.recordValue(ns < 1 ? 1 : Math.min(ns, MAX_NS));
        if (!translatedAsExpected(port, Mem.i32(pl), Mem.i32(ip + 12), Mem.i32(ip + 16),
                Mem.u16(udp), Mem.u16(udp + 2))) {
            mistranslated++;
        }
        if ((++sample & 1023) == 0) {
            checked++;
            if (!Frames.checksumsValid(ip)) {
                badChecksums++;
            }
        }
    }

    private boolean translatedAsExpected(int port, int g, int src, int dst, int sport, int dport) {
        int oSrc;
        int oDst;
        int oSport;
        int oDport;
        if (flows == null) { // forward's frame k
            if (g < 0 || g > 65_535) {
                return false;
            }
            int sv = (g / Rig.CLIENTS) % Rig.SERVERS;
            oSrc = Rig.clientIp(g % Rig.CLIENTS);
            oDst = Rig.serverIp(sv);
            oSport = 10_000 + g;
            oDport = sv == 0 ? 53 : 443 + sv;
        } else {
            if (g < 0 || g >= flows.n) {
                return false;
            }
            oSrc = flows.clientIp(g);
            oDst = flows.serverIp(g);
            oSport = flows.clientPort(g);
            oDport = flows.serverPort(g);
        }
        Expect e = x;
        if (port != e.outPort()) {
            return false;
        }
        boolean srcOk = switch (e.srcKind()) {
            case Expect.KEEP -> src == oSrc && sport == oSport;
            case Expect.SHIFT -> src == oSrc + e.srcShift() && sport == oSport;
            default -> Integer.compareUnsigned(src - e.poolBase(), e.poolCount()) < 0 && sport >= 1024;
        };
        boolean dstOk = e.dstIp() == 0 ? dst == oDst && dport == oDport : dst == e.dstIp() && dport == e.dstPort();
        return srcOk && dstOk;
    }

    /** Starts a trial: frames of other trials count as late from now on; the histogram restarts. */
    void startTrial(int t) {
        trial = t;
        histogram.reset();
    }

    @Override
    public void close() {
        arena.close();
    }
}
