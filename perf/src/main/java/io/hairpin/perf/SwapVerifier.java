package io.hairpin.perf;

import io.hairpin.shim.Mem;
import java.util.Map;

/**
 * rule-swap's check of every frame the engine sent, before the {@link Mirror} swaps it back: the
 * packet must have been translated entirely by rule set A or entirely by rule set B, whichever
 * snapshot the worker ran when it took the packet. Each frame carries its flow number (the first
 * 4 UDP payload bytes), so what it must look like is known:
 * <ul>
 *   <li>left the WAN port (outbound, SNAT): client(g)'s request to server(g) with the client's
 *       source address replaced by A's public address for that host ({@code translated_by_a}) or
 *       B's ({@code translated_by_b});</li>
 *   <li>left the LAN port (inbound, DNAT): server(g)'s reply to client(g) itself (both sets map
 *       both public addresses back to the host, so either set gives the same answer);</li>
 * </ul>
 * and in both, ports untouched, TTL decremented once, IPv4 header and UDP checksums valid
 * (verified in full, not incrementally). Anything else (the other host's address, an address
 * from neither set, a half-applied rewrite, a bad checksum) counts as mistranslated. No
 * allocation; runs in the benchmark thread.
 */
final class SwapVerifier {
    /** 0x0800 as a little-endian 16-bit load sees it. */
    private static final int ETHERTYPE_IPV4_LE = 0x0008;
    private static final int TTL_OUT = Frames.TTL - 1;

    private final Flows flows;
    /** Per client host index: the public address of rule set A, and of B. */
    private final int[] publicA;
    private final int[] publicB;
    private long byA;
    private long byB;
    private long back;
    private long mistranslated;
    private long byA0;
    private long byB0;
    private long back0;

    SwapVerifier(Flows flows, int[] publicA, int[] publicB) {
        if (flows.hosts > publicA.length || flows.hosts > publicB.length) {
            throw new IllegalArgumentException("a public address per host is needed");
        }
        this.flows = flows;
        this.publicA = publicA.clone();
        this.publicB = publicB.clone();
    }

    /** Checks frame f (its first byte) that left port (Rig.WAN or Rig.LAN); ignores what is not IPv4. */
    void check(long f, int port) {
        if (Mem.nativeU16(f + 12) != ETHERTYPE_IPV4_LE) {
            return; // the engine's own ARP: the mirror frees it
        }
        long ip = f + Frames.ETH_LEN;
        long udp = ip + Frames.IP_LEN;
        int g = Mem.i32(udp + 8);
        if (Mem.u8(ip) != 0x45 || Mem.u8(ip + 9) != Frames.PROTO_UDP || g < 0 || g >= flows.n
                || Mem.u8(ip + 8) != TTL_OUT || !checksumsValid(ip)) {
            mistranslated++;
            return;
        }
        int src = Mem.i32(ip + 12);
        int dst = Mem.i32(ip + 16);
        int ports = Mem.i32(udp);
        int client = flows.clientIp(g);
        int server = flows.serverIp(g);
        int clientPort = flows.clientPort(g);
        int serverPort = flows.serverPort(g);
        if (port == Rig.WAN) {
            int h = flows.host(g);
            if (dst != server || ports != ((clientPort << 16) | serverPort)) {
                mistranslated++;
            } else if (src == publicA[h]) {
                byA++;
            } else if (src == publicB[h]) {
                byB++;
            } else {
                mistranslated++;
            }
        } else if (src == server && dst == client && ports == ((serverPort << 16) | clientPort)) {
            back++;
        } else {
            mistranslated++;
        }
    }

    /**
     * True when the IPv4 header at ip (20 bytes) and the UDP datagram after it both have valid
     * checksums. Sums little-endian 32-bit words: a one's-complement sum of byte-swapped 16-bit
     * words is the byte-swapped sum, and the valid total 0xffff reads the same either way.
     */
    static boolean checksumsValid(long ip) {
        long h = (Mem.nativeInt(ip) & 0xffffffffL) + (Mem.nativeInt(ip + 4) & 0xffffffffL)
                + (Mem.nativeInt(ip + 8) & 0xffffffffL) + (Mem.nativeInt(ip + 12) & 0xffffffffL)
                + (Mem.nativeInt(ip + 16) & 0xffffffffL);
        if (fold(h) != 0xffff) {
            return false;
        }
        long udp = ip + Frames.IP_LEN;
        int len = Mem.u16(udp + 4);
        if (len < Frames.UDP_LEN || len != Mem.u16(ip + 2) - Frames.IP_LEN) {
            return false;
        }
        // pseudo header: source, destination (native words), then protocol and length byte-swapped
        long s = (Mem.nativeInt(ip + 12) & 0xffffffffL) + (Mem.nativeInt(ip + 16) & 0xffffffffL)
                + (Frames.PROTO_UDP << 8) + (((len & 0xff) << 8) | (len >>> 8));
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            s += Mem.nativeInt(udp + i) & 0xffffffffL;
        }
        if (i + 2 <= len) {
            s += Mem.nativeU16(udp + i);
            i += 2;
        }
        if (i < len) {
            s += Mem.u8(udp + i); // the odd last byte is the high byte of a zero-padded word
        }
        return fold(s) == 0xffff;
    }

    private static int fold(long s) {
        s = (s & 0xffffffffL) + (s >>> 32);
        s = (s & 0xffffffffL) + (s >>> 32);
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    long mistranslated() {
        return mistranslated;
    }

    /** Starts the window's counts (mistranslated is counted by the caller, with the mirror's). */
    void markWindowStart() {
        byA0 = byA;
        byB0 = byB;
        back0 = back;
    }

    /** The window's counts, for the JSON line. */
    void putFigures(Map<String, Object> x) {
        x.put("translated_by_a", byA - byA0);
        x.put("translated_by_b", byB - byB0);
        x.put("translated_back", back - back0);
    }
}
