package io.hairpin.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hairpin.engine.packet.Ipv4;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class KernelListenersTest {
    private static final int LAN = Ipv4.parse("192.168.1.1");
    private static final int WAN = Ipv4.parse("203.0.113.1");
    private static final int LOOPBACK = Ipv4.parse("127.0.0.1");

    // As Linux prints them on a little-endian machine: each 32-bit word of an address in host order.
    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
               1: 0101A8C0:1F9A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0
               2: 0101A8C0:1F9A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0
               3: 0101A8C0:1F40 1401A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0 20 4 30 10 -1
               4: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1 0 100 0 0 10 0
            """;
    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 100 0 0 10 0
               1: 0000000000000000FFFF0000017100CB:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0
               2: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0 100 0 0 10 0
               3: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2004 1 0 100 0 0 10 0
            """;

    @Test
    void parsesListenersByAddressAndIgnoresOtherStatesAndIpv6Addresses() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "the text above is a little-endian machine's");
        KernelListeners.Table t = KernelListeners.parse(TCP, TCP6);

        assertTrue(t.listens(WAN, 22), "0.0.0.0:22 takes every address");
        assertTrue(t.listens(LAN, 22));
        assertTrue(t.listens(WAN, 8080), "[::]:8080 takes IPv4 too");
        assertTrue(t.listens(LAN, 8090), "192.168.1.1:8090");
        assertFalse(t.listens(WAN, 8090), "bound to the LAN address only");
        assertTrue(t.listens(LOOPBACK, 3306));
        assertFalse(t.listens(LAN, 3306));
        assertTrue(t.listens(WAN, 443), "[::ffff:203.0.113.1]:443");
        assertFalse(t.listens(LAN, 443));
        assertFalse(t.listens(LAN, 8000), "an established connection's port is no listener");
        assertFalse(t.listens(LOOPBACK, 25), "[::1]:25 is not an IPv4 address");
        assertFalse(t.listens(WAN, 80), "[2001:db8::1]:80 neither");
        assertFalse(t.listens(WAN, 0));
        assertEquals(5, t.size(), "22, 8080, 192.168.1.1:8090 (two sockets), 127.0.0.1:3306, 203.0.113.1:443");
    }

    @Test
    void emptyTextsListenNowhereAndPublishingSaysWhetherAnythingChanged() {
        KernelListeners l = new KernelListeners();
        assertFalse(l.listens(WAN, 22));
        assertEquals(0, l.table().size());
        assertFalse(l.publish(KernelListeners.parse("", "")));
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
        assertTrue(l.publish(KernelListeners.parse(TCP, "")));
        assertTrue(l.listens(WAN, 22));
        assertFalse(l.publish(KernelListeners.parse(TCP, "")));
        assertTrue(l.publish(KernelListeners.parse("", "")));
        assertFalse(l.listens(WAN, 22));
    }

    /** The kernel is the oracle: sockets this test opens appear in the refreshed table, and go when closed. */
    @Test
    void refreshSeesThisProcesssOwnListeningSockets() throws Exception {
        KernelListeners l = new KernelListeners();
        int port;
        try (ServerSocket local = new ServerSocket()) {
            local.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            port = local.getLocalPort();
            assertTrue(l.refresh());
            assertTrue(l.listens(LOOPBACK, port));
            assertFalse(l.listens(Ipv4.parse("127.0.0.2"), port), "bound to 127.0.0.1 only");
        }
        l.refresh();
        assertFalse(l.listens(LOOPBACK, port), "closed");

        try (ServerSocket any = new ServerSocket(0)) { // Java binds the IPv6 wildcard when it can
            l.refresh();
            assertTrue(l.listens(WAN, any.getLocalPort()));
            assertTrue(l.listens(LOOPBACK, any.getLocalPort()));
        }
    }

    @Test
    void watchKeepsTheTableCurrentUntilClosed() throws Exception {
        KernelListeners l = new KernelListeners();
        try (AutoCloseable watch = l.watch(10); ServerSocket s = new ServerSocket(0)) {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!l.listens(LOOPBACK, s.getLocalPort()) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(l.listens(LOOPBACK, s.getLocalPort()), "the watch saw the new socket");
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("hairpin-listeners")),
                "closing the watch stops its thread");
    }
}
