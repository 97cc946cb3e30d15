package io.hairpin.engine.testing;

/**
 * RFC 1071 Internet checksum, written the slow obvious way: sum big-endian 16-bit words into a wide
 * accumulator, fold the carries back in, complement. Shared by {@link Frames} (to produce checksums)
 * and {@link Decoded} (to recompute them); both are cross-checked against scapy and tshark by
 * {@link OracleSelfCheck}.
 */
final class Checksum {

    private Checksum() {}

    /** Adds {@code len} bytes starting at {@code off} as big-endian 16-bit words; an odd last byte is padded with zero. */
    static long add(long acc, byte[] b, int off, int len) {
        int i = 0;
        for (; i + 1 < len; i += 2) {
            acc += ((b[off + i] & 0xFF) << 8) | (b[off + i + 1] & 0xFF);
        }
        if (i < len) {
            acc += (b[off + i] & 0xFF) << 8;
        }
        return acc;
    }

    /** Adds the IPv4 pseudo-header (src, dst, zero, protocol, L4 length) used by UDP and TCP. */
    static long addPseudoHeader(long acc, int srcIp, int dstIp, int protocol, int l4Length) {
        acc += srcIp >>> 16;
        acc += srcIp & 0xFFFF;
        acc += dstIp >>> 16;
        acc += dstIp & 0xFFFF;
        acc += protocol & 0xFF;
        acc += l4Length & 0xFFFF;
        return acc;
    }

    /** Folds carries and returns the one's complement of the sum, 0..0xFFFF. */
    static int finish(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int) (~acc & 0xFFFF);
    }

    /** Checksum of {@code len} bytes at {@code off}, treating the 16-bit field at {@code fieldOff} (absolute) as zero. */
    static int computeWithFieldZeroed(byte[] b, int off, int len, int fieldOff, long initial) {
        byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
        int rel = fieldOff - off;
        copy[rel] = 0;
        copy[rel + 1] = 0;
        return finish(add(initial, copy, 0, copy.length));
    }

    /** A value guaranteed to differ from {@code correct} and not to be a one's-complement alias of it (0x0000/0xFFFF), and never 0. */
    static int corrupt(int correct) {
        int bad = (correct ^ 0x00FF) & 0xFFFF;
        return bad == 0 ? 0x0100 : bad;
    }
}
