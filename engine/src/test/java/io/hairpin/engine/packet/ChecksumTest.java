package io.hairpin.engine.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.shim.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTest {

    /** Oracle: RFC 1071 over a byte[], the plainest possible way. */
    private static int reference(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** 20 random bytes with the header checksum (bytes 10..11) that makes them a valid header. */
    private static byte[] validHeader(Random rnd) {
        byte[] hdr = new byte[20];
        rnd.nextBytes(hdr);
        hdr[10] = 0;
        hdr[11] = 0;
        int ck = reference(hdr, 0, 20);
        hdr[10] = (byte) (ck >> 8);
        hdr[11] = (byte) ck;
        return hdr;
    }

    @Test
    void aUdpChecksumOfZeroStaysZeroAndAComputedZeroIsSentAsAllOnes() {
        assertEquals(0, ChecksumDelta.applyUdp(0, 0x1234), "0: no checksum (RFC 768)");
        assertEquals(0, ChecksumDelta.apply(0x1234, 0x1234), "this update computes 0");
        assertEquals(0xffff, ChecksumDelta.applyUdp(0x1234, 0x1234), "which UDP sends as 0xffff");
        Random rnd = new Random(5);
        for (int i = 0; i < 10_000; i++) {
            int ck = 1 + rnd.nextInt(0xffff);
            int delta = rnd.nextInt(0x10000);
            int plain = ChecksumDelta.apply(ck, delta);
            assertEquals(plain == 0 ? 0xffff : plain, ChecksumDelta.applyUdp(ck, delta));
        }
    }

    @Test
    void fullChecksumMatchesTheReferenceForEveryLength() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1600);
            for (int len = 0; len < 1500; len += 1 + rnd.nextInt(7)) {
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                MemorySegment.copy(data, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, len);
                assertEquals(reference(data, 0, len), Checksum.finish(Checksum.sum(seg.address(), len, 0)), "len " + len);
            }
        }
    }

    @Test
    void aHeaderVerifiesExactlyWhenTheReferenceSumsItToZero() {
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(20);
            long a = seg.address();
            int valid = 0;
            for (int round = 0; round < 200_000; round++) {
                byte[] hdr = new byte[20];
                switch (round % 4) {
                    case 0 -> rnd.nextBytes(hdr);
                    case 1 -> { // sums that carry the most: all ones but for one byte
                        java.util.Arrays.fill(hdr, (byte) 0xff);
                        hdr[rnd.nextInt(20)] = (byte) rnd.nextInt(256);
                    }
                    default -> {
                        hdr = validHeader(rnd);
                        if (round % 4 == 3) {
                            hdr[rnd.nextInt(20)] ^= (byte) (1 << rnd.nextInt(8));
                        }
                    }
                }
                MemorySegment.copy(hdr, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, 20);
                boolean expected = reference(hdr, 0, 20) == 0;
                valid += expected ? 1 : 0;
                assertEquals(expected, Checksum.headerOk20(a), "round " + round);
            }
            assertTrue(valid >= 50_000, "valid headers tried: " + valid);
        }
    }

    @Test
    void incrementalUpdatesMatchARecomputation() {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(20);
            long a = seg.address();
            for (int round = 0; round < 10000; round++) {
                byte[] hdr = validHeader(rnd);
                MemorySegment.copy(hdr, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, 20);
                int newAddr = rnd.nextInt();
                int oldAddr = Mem.i32(a + 12);
                Mem.i32(a + 12, newAddr);
                Mem.u16(a + 10, ChecksumDelta.update32(Mem.u16(a + 10), oldAddr, newAddr));
                int oldWord = Mem.u16(a + 4);
                int newWord = rnd.nextInt(0x10000);
                Mem.u16(a + 4, newWord);
                Mem.u16(a + 10, ChecksumDelta.update16(Mem.u16(a + 10), oldWord, newWord));
                byte[] after = seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                assertEquals(0, reference(after, 0, 20), "round " + round);
            }
        }
    }

    @Test
    void ttlDecrementKeepsTheHeaderValid() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(20);
            long ip = seg.address();
            Ipv4.writeHeader(ip, 0, 84, 0x1234, Ipv4.FLAG_DF, 64, Ipv4.PROTO_ICMP, Ipv4.parse("192.168.1.10"),
                    Ipv4.parse("203.0.113.254"));
            for (int ttl = 64; ttl > 1; ttl--) {
                Ipv4.decrementTtl(ip);
                assertEquals(ttl - 1, Ipv4.ttl(ip));
                assertEquals(0, reference(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), 0, 20));
                assertTrue(Ipv4.headerChecksumOk(ip, 20));
            }
        }
    }
}
