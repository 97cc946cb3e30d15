package io.hairpin.perf;

import io.hairpin.shim.Mem;

/** The test's own checksum arithmetic (RFC 1071, 16-bit big-endian words), independent of Frames and SwapVerifier. */
final class Rfc1071 {
    static final int IP = 14;
    static final int UDP = 34;

    private Rfc1071() {
    }

    private static long sum(byte[] b, int from, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = b[from + i] & 0xff;
            int lo = i + 1 < len ? b[from + i + 1] & 0xff : 0;
            s += (hi << 8) | lo;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    private static long pseudo(byte[] f, int udpLen) {
        return sum(f, IP + 12, 8) + 17 + udpLen;
    }

    /** An Ethernet + IPv4 (20 bytes) + UDP frame whose header and UDP checksums are both right. */
    static boolean valid(byte[] f) {
        if (fold(sum(f, IP, 20)) != 0xffff) {
            return false;
        }
        int udpLen = u16(f, IP + 2) - 20;
        if (udpLen != u16(f, UDP + 4) || UDP + udpLen > f.length) {
            return false;
        }
        return fold(pseudo(f, udpLen) + sum(f, UDP, udpLen)) == 0xffff;
    }

    /** Recomputes the IPv4 header checksum of the frame at address f from scratch. */
    static void fixIp(long f, byte[] bytes) {
        bytes[IP + 10] = 0;
        bytes[IP + 11] = 0;
        Mem.u16(f + IP + 10, ~fold(sum(bytes, IP, 20)) & 0xffff);
    }

    /** Recomputes the UDP checksum of the frame at address f from scratch. */
    static void fixUdp(long f, byte[] bytes) {
        int udpLen = u16(bytes, IP + 2) - 20;
        bytes[UDP + 6] = 0;
        bytes[UDP + 7] = 0;
        int c = ~fold(pseudo(bytes, udpLen) + sum(bytes, UDP, udpLen)) & 0xffff;
        Mem.u16(f + UDP + 6, c == 0 ? 0xffff : c);
    }
}
