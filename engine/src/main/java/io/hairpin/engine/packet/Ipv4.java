package io.hairpin.engine.packet;

import io.hairpin.shim.Mem;

/** IPv4 header (RFC 791) at an absolute address, plus address helpers. */
public final class Ipv4 {
    public static final int MIN_HEADER_LEN = 20;
    public static final int OFF_TOS = 1;
    public static final int OFF_TOTAL_LEN = 2;
    public static final int OFF_ID = 4;
    public static final int OFF_FRAG = 6;
    public static final int OFF_TTL = 8;
    public static final int OFF_PROTO = 9;
    public static final int OFF_CHECKSUM = 10;
    /** What decrementing the TTL by 1 (from above 0) adds to the header checksum: -0x0100 (RFC 1624). */
    public static final int TTL_DECREMENT_DELTA = 0xfeff;
    public static final int OFF_SRC = 12;
    public static final int OFF_DST = 16;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int FRAG_OFFSET_MASK = 0x1fff;

    private Ipv4() {
    }

    public static int version(long ip) {
        return Mem.u8(ip) >>> 4;
    }

    public static int headerLen(long ip) {
        return (Mem.u8(ip) & 0xf) << 2;
    }

    public static int totalLen(long ip) {
        return Mem.u16(ip + OFF_TOTAL_LEN);
    }

    public static int fragField(long ip) {
        return Mem.u16(ip + OFF_FRAG);
    }

    public static int ttl(long ip) {
        return Mem.u8(ip + OFF_TTL);
    }

    public static int protocol(long ip) {
        return Mem.u8(ip + OFF_PROTO);
    }

    public static int checksum(long ip) {
        return Mem.u16(ip + OFF_CHECKSUM);
    }

    public static int src(long ip) {
        return Mem.i32(ip + OFF_SRC);
    }

    public static int dst(long ip) {
        return Mem.i32(ip + OFF_DST);
    }

    public static void src(long ip, int addr) {
        Mem.i32(ip + OFF_SRC, addr);
    }

    public static void dst(long ip, int addr) {
        Mem.i32(ip + OFF_DST, addr);
    }

    /** Writes a 20-byte header without options and fills in its checksum. */
    public static void writeHeader(long ip, int tos, int totalLen, int id, int frag, int ttl, int proto, int src, int dst) {
        Mem.u8(ip, 0x45);
        Mem.u8(ip + OFF_TOS, tos);
        Mem.u16(ip + OFF_TOTAL_LEN, totalLen);
        Mem.u16(ip + OFF_ID, id);
        Mem.u16(ip + OFF_FRAG, frag);
        Mem.u8(ip + OFF_TTL, ttl);
        Mem.u8(ip + OFF_PROTO, proto);
        Mem.u16(ip + OFF_CHECKSUM, 0);
        Mem.i32(ip + OFF_SRC, src);
        Mem.i32(ip + OFF_DST, dst);
        Mem.u16(ip + OFF_CHECKSUM, Checksum.finish(Checksum.sum(ip, MIN_HEADER_LEN, 0)));
    }

    /** True if the header's one's-complement sum (checksum included) verifies. */
    public static boolean headerChecksumOk(long ip, int headerLen) {
        return headerLen == MIN_HEADER_LEN ? Checksum.headerOk20(ip)
                : Checksum.fold(Checksum.sum(ip, headerLen, 0)) == 0xffff;
    }

    /**
     * Decrements TTL and patches the header checksum incrementally (RFC 1624): TTL is the high
     * byte of the 16-bit word at offset 8, so the word drops by 0x0100 (a TTL of 0 wraps to 255,
     * with a checksum that still verifies). TTL, protocol and checksum are one 32-bit read and write.
     */
    public static void decrementTtl(long ip) {
        int w = Mem.i32(ip + OFF_TTL);
        int oldWord = w >>> 16;
        int newWord = (oldWord - 0x0100) & 0xffff;
        Mem.i32(ip + OFF_TTL, newWord << 16 | ChecksumDelta.update16(w & 0xffff, oldWord, newWord));
    }

    public static String format(int addr) {
        return ((addr >>> 24) & 0xff) + "." + ((addr >>> 16) & 0xff) + "." + ((addr >>> 8) & 0xff) + "." + (addr & 0xff);
    }

    public static int parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int addr = 0;
        for (String p : parts) {
            int v = Integer.parseInt(p);
            if (v < 0 || v > 255 || p.isEmpty() || p.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            addr = (addr << 8) | v;
        }
        return addr;
    }

    public static int mask(int prefixLen) {
        return prefixLen == 0 ? 0 : -1 << (32 - prefixLen);
    }

    /** Addresses that never appear as a source on the wire: 0/8, 127/8, multicast and class E. */
    public static boolean isMartianSource(int addr) {
        int first = addr >>> 24;
        return first == 0 || first == 127 || first >= 224;
    }

    /** Destinations a router never forwards: 0/8, 127/8, class E and the limited broadcast. */
    public static boolean isMartianDestination(int addr) {
        int first = addr >>> 24;
        return first == 0 || first == 127 || first >= 240;
    }

    public static boolean isMulticast(int addr) {
        return (addr >>> 28) == 0xe;
    }
}
