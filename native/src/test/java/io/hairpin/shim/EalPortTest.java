package io.hairpin.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Real DPDK: EAL without hugepages or PCI, a net_ring loopback port, packets through it. */
class EalPortTest {

    @Test
    void packetsGoThroughARingPortAndComeBackIntact() {
        TestEal.ensure();
        Mempool pool = Mempool.create("t_ring_pool", 1023, 32, 2048);
        EthPort port = EthPort.open("net_ring_t0");
        try {
            port.configure(1, 1, 256, 256, pool);
            port.start();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pkts = arena.allocate(ValueLayout.ADDRESS, 4);
                assertEquals(0, Shim.hp_mbuf_alloc_bulk(pool.segment(), pkts, 4));
                for (int i = 0; i < 4; i++) {
                    long m = pkts.getAtIndex(ValueLayout.ADDRESS, i).address();
                    Mbuf.setLength(m, 60 + i);
                    Mem.i32(Mbuf.data(m), 0xCAFE0000 | i);
                }
                assertEquals(4, Shim.hp_tx_burst_or_free(port.id(), (short) 0, pkts, (short) 4));
                MemorySegment rx = arena.allocate(ValueLayout.ADDRESS, 32);
                int n = Shim.hp_rx_burst(port.id(), (short) 0, rx, (short) 32);
                assertEquals(4, n);
                for (int i = 0; i < n; i++) {
                    long m = rx.getAtIndex(ValueLayout.ADDRESS, i).address();
                    assertEquals(60 + i, Mbuf.dataLen(m));
                    assertEquals(60 + i, Mbuf.pktLen(m));
                    assertEquals(0xCAFE0000 | i, Mem.i32(Mbuf.data(m)));
                }
                Shim.hp_mbuf_free_bulk(rx, n);
            }
            assertEquals(1023, pool.available());
        } finally {
            port.close();
            pool.free();
        }
    }

    @Test
    void anUnknownPciDeviceIsReportedClearly() {
        TestEal.ensure();
        DpdkException e = assertThrows(DpdkException.class, () -> EthPort.open("0000:7f:00.0"));
        assertTrue(e.getMessage().contains("was not found by DPDK"), e.getMessage());
    }

    @Test
    void aVirtualDeviceNamingAMissingInterfaceIsReportedClearly() {
        TestEal.ensure();
        DpdkException e = assertThrows(DpdkException.class,
                () -> EthPort.open("net_af_packet_t9,iface=hp-missing0"));
        assertEquals("Device 'net_af_packet_t9,iface=hp-missing0' could not be created: there is no network"
                + " interface 'hp-missing0' (in this network namespace).", e.getMessage());
    }

    @Test
    void anOverlongInterfaceNameIsReportedClearly() {
        TestEal.ensure();
        DpdkException e = assertThrows(DpdkException.class,
                () -> EthPort.open("net_af_packet_t8,iface=hp-does-not-exist"));
        assertEquals("Device 'net_af_packet_t8,iface=hp-does-not-exist' could not be created: the interface name"
                + " 'hp-does-not-exist' is longer than 15 characters.", e.getMessage());
    }

    /** It was "Bad address (is the driver available and the device free?)". */
    @Test
    void aVirtualDeviceOfNoDriverIsReportedClearly() {
        assumeTrue("root".equals(System.getProperty("user.name")), "as another user the words are about permission");
        TestEal.ensure();
        DpdkException e = assertThrows(DpdkException.class, () -> EthPort.open("net_bogus0"));
        assertEquals("Device 'net_bogus0' could not be created: no DPDK driver takes that name (a virtual device is"
                + " named after its driver: net_af_packet0, net_af_xdp0, net_pcap0, net_tap0, net_ring0, net_null0).",
                e.getMessage());
    }

    /** It was "Operation not permitted", as root, from the -1 drivers return for any failure. */
    @Test
    void aVirtualDeviceItsDriverRefusesIsReportedAsSuch() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "as another user the words are about permission");
        TestEal.ensure();
        java.nio.file.Path missing = java.nio.file.Files.createTempDirectory("hp-pcap").resolve("missing.pcap");
        DpdkException e = assertThrows(DpdkException.class,
                () -> EthPort.open("net_pcap_t7,rx_pcap=" + missing + ",tx_iface=lo"));
        assertEquals("Device 'net_pcap_t7,rx_pcap=" + missing + ",tx_iface=lo' could not be created: its driver refused"
                + " it; DPDK's message above says why.", e.getMessage());
    }

    @Test
    void aSecondInitialisationIsRefused() {
        TestEal.ensure();
        assertThrows(DpdkException.class, () -> Eal.init(java.util.List.of("--no-pci")));
    }
}
