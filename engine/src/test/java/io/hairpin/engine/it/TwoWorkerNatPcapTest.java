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
 * Two workers, each with its own RX queue of every port. All traffic of these flows arrives on
 * worker 1's queues while the NAT sessions live with worker 0: without the handoff nothing
 * would be translated. The frames' order is causal and deterministic: within an iteration a
 * worker polls the WAN queue before the LAN queue (bursts of 32), and what it hands over
 * travels one FIFO ring. (Directions landing on different workers at the same time are covered
 * by the lab's two-worker run, where the kernel's fanout spreads them.)
 */
class TwoWorkerNatPcapTest {
    static final int WAN_IP = NaptPcapTest.WAN_IP;
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");

    @TempDir
    Path dir;

    private static void pad(List<byte[]> frames, long srcMac, int src, int until) {
        while (frames.size() < until) {
            frames.add(Frames.udp4(srcMac, mac("02:99:00:00:00:09"), src, WAN_IP, 1, 1, new byte[4]).build());
        }
    }

    private static List<Decoded.Ipv4> packets(List<byte[]> frames) {
        return frames.stream().map(Decoded::frame).filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
    }

    @Test
    void packetsReceivedByAnotherWorkerAreTranslatedByTheSessionsOwner() throws Exception {
        int client = NaptPcapTest.CLIENT;
        int server = NaptPcapTest.SERVER;
        int remote = NaptPcapTest.REMOTE;
        long remoteMac = NaptPcapTest.REMOTE_MAC;
        // worker 1, iteration 0: WAN padding, then the client's request (LAN position 0)
        List<byte[]> lanQ1 = new ArrayList<>();
        lanQ1.add(Frames.udp4(NaptPcapTest.CLIENT_MAC, LAN_MAC, client, remote, 5000, 53, new byte[8]).build());
        // iteration 1: its reply (WAN position 32..63); iteration 2: a port-forward SYN (WAN 64..95)
        List<byte[]> wanQ1 = new ArrayList<>();
        pad(wanQ1, remoteMac, remote, 40);
        wanQ1.add(Frames.udp4(remoteMac, WAN_MAC, remote, WAN_IP, 53, 5000, new byte[8]).build());
        pad(wanQ1, remoteMac, remote, 70);
        wanQ1.add(Frames.tcp4(remoteMac, WAN_MAC, remote, WAN_IP, 4000, 8080, 7, 0, Frames.TCP_SYN, new byte[0]).build());
        // iteration 3: the server's SYN-ACK (LAN position 96..127)
        pad(lanQ1, NaptPcapTest.SERVER_MAC, server, 100);
        lanQ1.add(Frames.tcp4(NaptPcapTest.SERVER_MAC, LAN_MAC, server, remote, 80, 4000, 99, 8,
                Frames.TCP_SYN | Frames.TCP_ACK, new byte[0]).build());
        PcapRun.Result r = PcapRun.run(dir, 2, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                        PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"),
                Map.of("w:0", NaptPcapTest.WAN_NEIGHBOURS, "w:1", wanQ1, "l:0", NaptPcapTest.LAN_NEIGHBOURS, "l:1", lanQ1),
                List.of(), NaptPcapTest.nat(io.hairpin.engine.nat.NatConfig.ReflectionSource.MAPPED,
                        io.hairpin.engine.nat.NatConfig.Filtering.ADDRESS_DEPENDENT, 1000));
        List<Decoded.Ipv4> wan = packets(r.out("w"));
        List<Decoded.Ipv4> lan = packets(r.out("l"));
        assertTrue(wan.stream().anyMatch(p -> p.src() == WAN_IP && p.udp() != null && p.udp().sport() == 5000),
                "the request leaves translated: " + wan);
        assertTrue(lan.stream().anyMatch(p -> p.dst() == client && p.udp() != null && p.udp().dport() == 5000),
                "its reply reaches the client: " + lan);
        assertTrue(lan.stream().anyMatch(p -> p.dst() == server && p.tcp() != null && p.tcp().dport() == 80),
                "the port forward reaches the server: " + lan);
        assertTrue(wan.stream().anyMatch(p -> p.src() == WAN_IP && p.tcp() != null && p.tcp().sport() == 8080),
                "the server's reply leaves from the forwarded port: " + wan);
        for (Decoded.Ipv4 p : wan) {
            assertEquals(WAN_IP, p.src(), "nothing leaves untranslated");
            assertTrue(p.headerChecksumValid());
        }
        assertEquals(4, r.event(Counters.HANDED_OFF), "worker 1 handed its four NAT packets to worker 0");
        assertEquals(0, r.event(Counters.HANDOFF_FULL));
        assertEquals(0, r.event(Counters.NAT_NOT_ADMITTED));
    }
}
