package io.hairpin.engine.it;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers, each with its own RX queue of every port: a flow's two directions arrive on
 * different workers' queues, and NAT must still translate both (the session lives in one place).
 */
class TwoWorkerNatPcapTest {
    static final int WAN_IP = NaptPcapTest.WAN_IP;
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");

    @TempDir
    Path dir;

    private static List<byte[]> padding(long srcMac, int src, int n) {
        List<byte[]> p = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            p.add(Frames.udp4(srcMac, mac("02:99:00:00:00:09"), src, WAN_IP, 1, 1, new byte[4]).build());
        }
        return p;
    }

    private static List<Decoded.Ipv4> packets(List<byte[]> frames) {
        return frames.stream().map(Decoded::frame).filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
    }

    @Test
    void repliesLandingOnTheOtherWorkerAreTranslated() throws Exception {
        int client = NaptPcapTest.CLIENT;
        int server = NaptPcapTest.SERVER;
        int remote = NaptPcapTest.REMOTE;
        long clientMac = NaptPcapTest.CLIENT_MAC;
        long serverMac = NaptPcapTest.SERVER_MAC;
        long remoteMac = NaptPcapTest.REMOTE_MAC;
        // queue 0: the neighbours and an outbound request; queue 1: its reply (after padding),
        // and a port-forward request whose reply comes back on queue 0 of the LAN.
        List<byte[]> wanQ0 = new ArrayList<>(NaptPcapTest.WAN_NEIGHBOURS);
        List<byte[]> wanQ1 = new ArrayList<>(padding(remoteMac, remote, 96));
        wanQ1.add(Frames.udp4(remoteMac, WAN_MAC, remote, WAN_IP, 53, 5000, new byte[8]).build());
        wanQ1.add(Frames.tcp4(remoteMac, WAN_MAC, remote, WAN_IP, 4000, 8080, 7, 0, Frames.TCP_SYN, new byte[0]).build());
        List<byte[]> lanQ0 = new ArrayList<>(NaptPcapTest.LAN_NEIGHBOURS);
        lanQ0.add(Frames.udp4(clientMac, LAN_MAC, client, remote, 5000, 53, new byte[8]).build());
        lanQ0.addAll(padding(serverMac, server, 160));
        lanQ0.add(Frames.tcp4(serverMac, LAN_MAC, server, remote, 80, 4000, 99, 8, Frames.TCP_SYN | Frames.TCP_ACK,
                new byte[0]).build());
        PcapRun.Result r = PcapRun.run(dir, 2, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                        PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"),
                Map.of("w:0", wanQ0, "w:1", wanQ1, "l:0", lanQ0), List.of(),
                NaptPcapTest.nat(io.hairpin.engine.nat.NatConfig.ReflectionSource.MAPPED,
                        io.hairpin.engine.nat.NatConfig.Filtering.ADDRESS_DEPENDENT, 1000));
        List<Decoded.Ipv4> wan = packets(r.out("w"));
        List<Decoded.Ipv4> lan = packets(r.out("l"));
        assertTrue(wan.stream().anyMatch(p -> p.src() == WAN_IP && p.udp() != null && p.udp().sport() == 5000),
                "the request leaves translated: " + wan);
        assertTrue(lan.stream().anyMatch(p -> p.dst() == client && p.udp() != null && p.udp().dport() == 5000),
                "its reply, received by the other worker, reaches the client: " + lan);
        assertTrue(lan.stream().anyMatch(p -> p.dst() == server && p.tcp() != null && p.tcp().dport() == 80),
                "the port forward, received by worker 1, reaches the server: " + lan);
        assertTrue(wan.stream().anyMatch(p -> p.src() == WAN_IP && p.tcp() != null && p.tcp().sport() == 8080),
                "the server's reply, received by worker 0, leaves from the forwarded port: " + wan);
        for (Decoded.Ipv4 p : wan) {
            assertEquals(WAN_IP, p.src(), "nothing leaves untranslated");
            assertTrue(p.headerChecksumValid());
        }
        assertTrue(r.event(Counters.HANDED_OFF) >= 2, "worker 1 handed its NAT packets to worker 0");
        assertEquals(0, r.event(Counters.HANDOFF_FULL));
        assertEquals(0, r.event(Counters.NAT_NOT_ADMITTED));
    }
}
