package io.hairpin.perf.jmh;

import io.hairpin.perf.Frames;
import io.hairpin.shim.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Real frames in native memory for the microbenchmarks: Ethernet II + IPv4 (no options, DF) +
 * UDP or TCP, 60 bytes in the buffer (64 on the wire), valid checksums. Laid out like a burst of
 * DPDK mbufs: one frame per 2304-byte element (128-byte mbuf header, 128 bytes of headroom, then
 * the data), so a burst of 32 spans 72 KiB as it does in the engine. Its own checksum routine
 * (16-bit words, not the engine's {@code Checksum}) is the oracle the benchmarks check against.
 */
final class WireFrames implements AutoCloseable {
    static final int ELEMENT = 2304;
    static final int DATA_OFFSET = 256;
    static final int ETH_LEN = 14;
    static final int IP_LEN = 20;
    static final int WIRE_LEN = 60;
    static final int UDP = 17;
    static final int TCP = 6;

    private final Arena arena = Arena.ofShared();
    private final long base;
    final int count;

    WireFrames(int count) {
        this.count = count;
        MemorySegment s = arena.allocate((long) count * ELEMENT, 4096);
        s.fill((byte) 0);
        base = s.address();
    }

    /** The address of frame i's first byte (its Ethernet destination). */
    long frame(int i) {
        return base + (long) i * ELEMENT + DATA_OFFSET;
    }

    /** Writes frame i: UDP (8-byte header and payload) or TCP (a 20-byte SYN header), padded to 60 bytes. */
    void write(int i, int proto, long dstMac, long srcMac, int srcIp, int dstIp, int srcPort, int dstPort) {
        long f = frame(i);
        Mem.mac(f, dstMac);
        Mem.mac(f + 6, srcMac);
        Mem.u16(f + 12, 0x0800);
        long ip = f + ETH_LEN;
        int l4Len = proto == UDP ? WIRE_LEN - ETH_LEN - IP_LEN : 20;
        int total = IP_LEN + l4Len;
        Mem.u8(ip, 0x45);
        Mem.u8(ip + 1, 0);
        Mem.u16(ip + 2, total);
        Mem.u16(ip + 4, i & 0xffff);
        Mem.u16(ip + 6, 0x4000);
        Mem.u8(ip + 8, 64);
        Mem.u8(ip + 9, proto);
        Mem.u16(ip + 10, 0);
        Mem.i32(ip + 12, srcIp);
        Mem.i32(ip + 16, dstIp);
        Mem.u16(ip + 10, Frames.finish(Frames.sum(ip, IP_LEN, 0)));
        long l4 = ip + IP_LEN;
        Mem.u16(l4, srcPort);
        Mem.u16(l4 + 2, dstPort);
        if (proto == UDP) {
            Mem.u16(l4 + 4, l4Len);
            Mem.u16(l4 + 6, 0);
            for (int k = 8; k < l4Len; k++) {
                Mem.u8(l4 + k, 'a' + k % 26);
            }
            int c = Frames.finish(Frames.sum(l4, l4Len, pseudo(srcIp, dstIp, proto, l4Len)));
            Mem.u16(l4 + 6, c == 0 ? 0xffff : c);
        } else {
            Mem.i32(l4 + 4, 0x1000 + i);
            Mem.i32(l4 + 8, 0);
            Mem.u8(l4 + 12, 5 << 4);
            Mem.u8(l4 + 13, 0x02);
            Mem.u16(l4 + 14, 65535);
            Mem.u16(l4 + 16, 0);
            Mem.u16(l4 + 18, 0);
            Mem.u16(l4 + 16, Frames.finish(Frames.sum(l4, l4Len, pseudo(srcIp, dstIp, proto, l4Len))));
            for (int k = ETH_LEN + total; k < WIRE_LEN; k++) {
                Mem.u8(f + k, 0); // Ethernet padding
            }
        }
    }

    /** True when frame i's IPv4 header checksum and its UDP/TCP checksum both verify. */
    boolean checksumsValid(int i) {
        long ip = frame(i) + ETH_LEN;
        if (Frames.finish(Frames.sum(ip, IP_LEN, 0)) != 0) {
            return false;
        }
        int proto = Mem.u8(ip + 9);
        int l4Len = Mem.u16(ip + 2) - IP_LEN;
        long l4 = ip + IP_LEN;
        if (proto == UDP && Mem.u16(l4 + 6) == 0) {
            return true;
        }
        return Frames.finish(Frames.sum(l4, l4Len, pseudo(Mem.i32(ip + 12), Mem.i32(ip + 16), proto, l4Len))) == 0;
    }

    private static long pseudo(int src, int dst, int proto, int l4Len) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Len;
    }

    @Override
    public void close() {
        arena.close();
    }
}
