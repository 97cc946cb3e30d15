package io.hairpin.perf;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;

/**
 * Writes the benchmark's traffic: Ethernet II + IPv4 (no options, DF) + UDP (or TCP SYN) frames
 * with valid IP and L4 checksums, straight into mbufs. A "64-byte packet" is 64 bytes on the wire including
 * the 4-byte FCS, so the mbuf holds 60 bytes.
 */
public final class Frames {
    static final int ETH_LEN = 14;
    static final int IP_LEN = 20;
    static final int UDP_LEN = 8;
    static final int FCS_LEN = 4;
    static final int MIN_WIRE_SIZE = 64;
    static final int TTL = 64;
    static final int PROTO_UDP = 17;
    static final int PROTO_TCP = 6;
    static final int TCP_LEN = 20;
    static final int TCP_SYN = 0x02;

    private Frames() {
    }

    /** Bytes in the mbuf for a frame of wireSize bytes on the wire. */
    static int frameLen(int wireSize) {
        return wireSize - FCS_LEN;
    }

    /** Writes the Ethernet header and a 20-byte IPv4 header (DF, TTL 64, its checksum); returns the IPv4 address. */
    private static long writeHeaders(long m, long dstMac, long srcMac, int srcIp, int dstIp, int proto, int ipTotal,
                                     int ipId) {
        long f = Mbuf.data(m);
        Mem.mac(f, dstMac);
        Mem.mac(f + 6, srcMac);
        Mem.u16(f + 12, 0x0800);
        long ip = f + ETH_LEN;
        Mem.u8(ip, 0x45);
        Mem.u8(ip + 1, 0);
        Mem.u16(ip + 2, ipTotal);
        Mem.u16(ip + 4, ipId & 0xffff);
        Mem.u16(ip + 6, 0x4000); // DF
        Mem.u8(ip + 8, TTL);
        Mem.u8(ip + 9, proto);
        Mem.u16(ip + 10, 0);
        Mem.i32(ip + 12, srcIp);
        Mem.i32(ip + 16, dstIp);
        Mem.u16(ip + 10, finish(sum(ip, IP_LEN, 0)));
        return ip;
    }

    /** Writes one UDP frame into mbuf m and sets its length. */
    static void writeUdp(long m, int wireSize, long dstMac, long srcMac, int srcIp, int dstIp, int srcPort, int dstPort,
                         int ipId) {
        int frameLen = frameLen(wireSize);
        int ipTotal = frameLen - ETH_LEN;
        int udpLen = ipTotal - IP_LEN;
        long udp = writeHeaders(m, dstMac, srcMac, srcIp, dstIp, PROTO_UDP, ipTotal, ipId) + IP_LEN;
        Mem.u16(udp, srcPort);
        Mem.u16(udp + 2, dstPort);
        Mem.u16(udp + 4, udpLen);
        Mem.u16(udp + 6, 0);
        for (int i = UDP_LEN; i < udpLen; i++) {
            Mem.u8(udp + i, 'a' + (i % 26));
        }
        long pseudo = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + PROTO_UDP + udpLen;
        int c = finish(sum(udp, udpLen, pseudo));
        Mem.u16(udp + 6, c == 0 ? 0xffff : c);
        Mbuf.setLength(m, frameLen);
    }

    /**
     * Writes one frame of a benchmark flow: UDP whose first 4 payload bytes hold flowId, or a TCP
     * SYN whose sequence number is flowId (where {@link Mirror} finds it again).
     */
    static void writeFlow(long m, int wireSize, int proto, long dstMac, long srcMac, int srcIp, int dstIp, int srcPort,
                          int dstPort, int flowId) {
        if (proto == PROTO_UDP) {
            writeUdp(m, wireSize, dstMac, srcMac, srcIp, dstIp, srcPort, dstPort, flowId);
            long udp = Mbuf.data(m) + ETH_LEN + IP_LEN;
            int old = Mem.i32(udp + 8);
            Mem.i32(udp + 8, flowId);
            int c = Mirror.updateChecksum32(Mem.u16(udp + 6), old, flowId);
            Mem.u16(udp + 6, c == 0 ? 0xffff : c);
            return;
        }
        if (proto != PROTO_TCP) {
            throw new IllegalArgumentException("protocol " + proto);
        }
        int frameLen = frameLen(wireSize);
        int ipTotal = IP_LEN + TCP_LEN;
        long f = Mbuf.data(m);
        long tcp = writeHeaders(m, dstMac, srcMac, srcIp, dstIp, PROTO_TCP, ipTotal, flowId) + IP_LEN;
        Mem.u16(tcp, srcPort);
        Mem.u16(tcp + 2, dstPort);
        Mem.i32(tcp + 4, flowId);     // sequence number
        Mem.i32(tcp + 8, 0);          // acknowledgment number
        Mem.u8(tcp + 12, 5 << 4);     // data offset: 5 words, no options
        Mem.u8(tcp + 13, TCP_SYN);
        Mem.u16(tcp + 14, 65535);     // window
        Mem.u16(tcp + 16, 0);
        Mem.u16(tcp + 18, 0);         // urgent pointer
        for (int i = ETH_LEN + ipTotal; i < frameLen; i++) {
            Mem.u8(f + i, 0);         // Ethernet padding up to the 60-byte minimum
        }
        long pseudo = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + PROTO_TCP + TCP_LEN;
        Mem.u16(tcp + 16, finish(sum(tcp, TCP_LEN, pseudo)));
        Mbuf.setLength(m, Math.max(frameLen, ETH_LEN + ipTotal));
    }

    /** Internet checksum (RFC 1071) partial sum over len bytes at addr. */
    public static long sum(long addr, int len, long initial) {
        long s = initial;
        int i = 0;
        for (; i + 2 <= len; i += 2) {
            s += Mem.u16(addr + i);
        }
        if (i < len) {
            s += (long) Mem.u8(addr + i) << 8;
        }
        return s;
    }

    public static int finish(long sum) {
        long s = sum;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    /** True when the IPv4 header at ip and the UDP or TCP segment after it both carry valid checksums. */
    static boolean checksumsValid(long ip) {
        if (finish(sum(ip, IP_LEN, 0)) != 0) {
            return false;
        }
        int src = Mem.i32(ip + 12);
        int dst = Mem.i32(ip + 16);
        int proto = Mem.u8(ip + 9);
        long l4 = ip + IP_LEN;
        int l4Len = Mem.u16(ip + 2) - IP_LEN;
        if (proto != PROTO_UDP && proto != PROTO_TCP) {
            return false;
        }
        if (proto == PROTO_UDP && Mem.u16(l4 + 4) != l4Len) {
            return false;
        }
        long pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Len;
        return finish(sum(l4, l4Len, pseudo)) == 0;
    }
}
