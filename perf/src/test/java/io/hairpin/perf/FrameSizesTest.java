package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Frame sizes other than 64 bytes (no EAL: the frames are written into plain native memory):
 * every size the benchmark accepts is written with the right lengths and valid checksums, keeps
 * them through the mirror's swap, and the IMIX has its 28/16/4 mix.
 */
class FrameSizesTest {
    private static final long[] PORT_MAC = {0x02_00_00_00_aa_01L, 0x02_00_00_00_aa_02L};

    @Test
    void everySizeFrom64To1518IsWellFormedAndStaysValidThroughTheMirrorSwap() {
        try (FakeMbuf buf = new FakeMbuf()) {
            for (int size = FrameSizes.MIN; size <= FrameSizes.MAX; size++) {
                Setup s = Setup.binat(1, 16).wireSize(size);
                Flows walk = s.flows.get();
                s.writeFrame(buf.m, 0, walk, PORT_MAC);
                byte[] f = buf.bytes();
                assertEquals(size - Frames.FCS_LEN, Mbuf.dataLen(buf.m), "mbuf length for " + size);
                assertEquals(size - Frames.FCS_LEN - Frames.ETH_LEN, ((f[16] & 0xff) << 8) | (f[17] & 0xff),
                        "IPv4 total length for " + size);
                assertTrue(Rfc1071.valid(f), "checksums of a " + size + "-byte frame");
                assertTrue(SwapVerifier.checksumsValid(buf.data + Frames.ETH_LEN), "fast check, " + size);
                int src = Mem.i32(buf.data + 26);
                int dst = Mem.i32(buf.data + 30);

                assertTrue(Mirror.reflect(buf.m));
                assertTrue(Rfc1071.valid(buf.bytes()), "checksums after the swap, " + size);
                assertEquals(dst, Mem.i32(buf.data + 26));
                assertEquals(src, Mem.i32(buf.data + 30));

                // one payload byte off: both checks must see it (last byte: the odd-length tail)
                long at = buf.data + size - Frames.FCS_LEN - 1;
                Mem.u8(at, Mem.u8(at) ^ 0x10);
                assertFalse(Rfc1071.valid(buf.bytes()), "corrupted " + size);
                assertFalse(SwapVerifier.checksumsValid(buf.data + Frames.ETH_LEN), "fast check, corrupted " + size);
            }
        }
    }

    @Test
    void imixIs28Small16Medium4LargePer48Frames() {
        FrameSizes imix = FrameSizes.imix();
        Map<Integer, Integer> count = new TreeMap<>();
        for (int k = 0; k < 48 * 5; k++) {
            count.merge(imix.of(k), 1, Integer::sum);
        }
        assertEquals(Map.of(64, 28 * 5, 570, 16 * 5, 1518, 4 * 5), count);
        assertEquals((28 * 64 + 16 * 570 + 4 * 1518) / 48.0, imix.mean(48), 1e-9);
        assertEquals("28x64,16x570,4x1518", imix.mix());

        Setup s = Setup.imix(48);
        try (FakeMbuf buf = new FakeMbuf()) {
            Flows walk = s.flows.get();
            for (int k = 0; k < 48; k++) {
                s.writeFrame(buf.m, k, walk, PORT_MAC);
                assertEquals(imix.of(k) - Frames.FCS_LEN, Mbuf.dataLen(buf.m));
                assertTrue(Rfc1071.valid(buf.bytes()), "frame " + k);
            }
        }
    }

    @Test
    void pktSizeIsAFrameSizeFrom64To1518() {
        assertEquals(1518, Bench.Options.parse(new String[] {"forward", "--pkt-size", "1518"}).pktSize());
        assertEquals(65, Bench.Options.parse(new String[] {"forward", "--pkt-size", "65"}).pktSize());
        assertThrows(Bench.UsageException.class, () -> Bench.Options.parse(new String[] {"--pkt-size", "63"}));
        assertThrows(Bench.UsageException.class, () -> Bench.Options.parse(new String[] {"--pkt-size", "1519"}));
        Bench.Options tcp = Bench.Options.parse(new String[] {"napt-cps:tcp", "--pkt-size", "570"});
        assertThrows(Bench.UsageException.class, () -> Bench.setup("napt-cps:tcp", tcp));
        assertEquals(570, Bench.setup("binat:1", tcp).sizes.of(7));
        assertEquals(1518, Bench.setup("imix", tcp).sizes.of(6), "imix keeps its own sizes");
    }
}
