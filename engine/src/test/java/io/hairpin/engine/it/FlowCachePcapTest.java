package io.hairpin.engine.it;

import static io.hairpin.engine.it.PcapOutput.assertValid;
import static io.hairpin.engine.it.PcapOutput.ipFrames;
import static io.hairpin.engine.it.PcapOutput.ipv4;
import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.packet.Icmp;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flow cache's fast path on real DPDK: the first packet of a flow takes the full pipeline,
 * the next ones the cached rewrite, and what leaves must not differ — checked by the oracle and
 * byte for byte against the first packet's output.
 */
class FlowCachePcapTest {
    static final int SERVER = ip("10.3.1.15");
    static final int SERVER_PUBLIC = ip("198.51.100.210");
    static final int REMOTE = ip("198.51.100.254");
    static final int LAN_HOST = ip("10.3.1.40");
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");
    static final long REMOTE_MAC = mac("02:00:00:00:02:54");
    static final long SERVER_MAC = mac("02:00:00:00:01:15");
    static final long SERVER_MAC_2 = mac("02:00:00:00:01:16");
    static final long LAN_HOST_MAC = mac("02:00:00:00:01:40");
    /** A second inside host with a 1:1 address of its own, the client of the reflection tests. */
    static final int CLIENT = ip("10.3.1.30");
    static final int CLIENT_PUBLIC = ip("198.51.100.230");
    static final long CLIENT_MAC = mac("02:00:00:00:01:30");
    static final byte[] PAYLOAD = "cached flow".getBytes(StandardCharsets.US_ASCII);
    static final int COPIES = 4;
    /** net_pcap hands the worker 32 frames per burst: this many frames not for us first, so the flows
     * arrive in the second burst, after both sides' neighbours were learned in the first. */
    static final int FILLER = 31;

    @TempDir
    Path dir;

    private static List<byte[]> firstBurst(byte[] arp, long filler) {
        List<byte[]> in = new ArrayList<>();
        in.add(arp);
        for (int i = 0; i < FILLER; i++) {
            in.add(Frames.udp4(filler, mac("02:00:00:00:09:99"), REMOTE, SERVER_PUBLIC, 1, 1, PAYLOAD).build());
        }
        return in;
    }

    private static NatConfig binat() {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0, List.of(BinatPcapTest.binat(SERVER_PUBLIC, SERVER, 32, null)),
                List.of(), List.of());
    }

    /** 1:1 for the server and the client, reflection on: the client reaches the server by its public address. */
    private static NatConfig reflectionNat() {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0, List.of(BinatPcapTest.binat(SERVER_PUBLIC, SERVER, 32, null),
                        BinatPcapTest.binat(CLIENT_PUBLIC, CLIENT, 32, null)), List.of(), List.of());
    }

    /** The LAN port's first burst for the reflection tests: the server's and the client's ARP replies, then filler. */
    private static List<byte[]> reflectionFirstBurst() {
        List<byte[]> lanIn = firstBurst(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, ip("10.3.1.1")), SERVER_MAC);
        lanIn.set(1, Frames.arpReply(CLIENT_MAC, CLIENT, LAN_MAC, ip("10.3.1.1")));
        return lanIn;
    }

    private PcapRun.Result run(NatConfig nat, List<byte[]> wanIn, List<byte[]> lanIn) throws Exception {
        return PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "198.51.100.1/24"),
                PcapRun.Port.of("lan", false, "10.3.1.1/24")), List.of("w", "l"), Map.of("w", wanIn, "l", lanIn),
                List.of(), nat);
    }

    @Test
    void everyPacketOfAStatelessOneToOneFlowLeavesAsTheFirstDid() throws Exception {
        List<byte[]> wanIn = firstBurst(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, ip("198.51.100.1")), REMOTE_MAC);
        List<byte[]> lanIn = firstBurst(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, ip("10.3.1.1")), SERVER_MAC);
        for (int c = 0; c < COPIES; c++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, PAYLOAD).build());
            wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4002, 53, PAYLOAD).l4Checksum(0).build());
            wanIn.add(Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4001, 80, 7 + c, 9, Frames.TCP_ACK, PAYLOAD)
                    .build());
            lanIn.add(Frames.udp4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 53, 4000, PAYLOAD).padTo(80).build());
            lanIn.add(Frames.tcp4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 80, 4001, 9, 8 + c, Frames.TCP_ACK, PAYLOAD)
                    .build());
        }
        PcapRun.Result r = run(binat(), wanIn, lanIn);

        List<byte[]> toLan = ipFrames(r.out("l"));
        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(3 * COPIES, toLan.size());
        assertEquals(2 * COPIES, toWan.size());
        for (Decoded.Ipv4 p : ipv4(toLan)) {
            assertEquals(REMOTE, p.src());
            assertEquals(SERVER, p.dst());
            assertEquals(63, p.ttl());
            assertValid(p);
        }
        for (Decoded.Ipv4 p : ipv4(toWan)) {
            assertEquals(SERVER_PUBLIC, p.src());
            assertEquals(REMOTE, p.dst());
            assertEquals(63, p.ttl());
            assertValid(p);
        }
        assertEquals(0, Decoded.frame(toLan.get(1)).ipv4().udp().checksum(), "a zero UDP checksum stays zero");
        assertEquals(SERVER_MAC, Decoded.frame(toLan.get(0)).dstMac());
        assertEquals(REMOTE_MAC, Decoded.frame(toWan.get(0)).dstMac());
        // UDP copies are identical on the wire, so their output must be too (the first took the full pipeline)
        for (int c = 1; c < COPIES; c++) {
            assertArrayEquals(toLan.get(0), toLan.get(3 * c), "UDP copy " + c + " to the LAN");
            assertArrayEquals(toLan.get(1), toLan.get(3 * c + 1), "zero-checksum UDP copy " + c);
            assertArrayEquals(toWan.get(0), toWan.get(2 * c), "UDP copy " + c + " to the WAN, padding removed");
            assertEquals(Decoded.frame(toLan.get(2)).ipv4().tcp().sport(), Decoded.frame(toLan.get(3 * c + 2)).ipv4().tcp().sport());
        }
        assertEquals(Decoded.frame(toWan.get(0)).ipv4().totalLength() + 14, toWan.get(0).length, "no padding kept");
        assertEquals(5 * (COPIES - 1), r.event(Counters.FLOW_CACHE_HITS), "all but each flow's first packet");
        assertEquals(5 * COPIES, r.event(Counters.NAT_TRANSLATED));
        assertEquals(5 * COPIES, r.event(Counters.FORWARDED));
    }

    /**
     * Packets of a cached flow that the fast path must not take — TTL 1, a bad header checksum,
     * a first fragment, IP options, too big for the egress MTU with DF — get what the full
     * pipeline gives them, between two packets that do take it.
     */
    @Test
    void packetsOfACachedFlowThatNeedThePipelineGetIt() throws Exception {
        List<byte[]> wanIn = firstBurst(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, ip("198.51.100.1")), REMOTE_MAC);
        List<byte[]> lanIn = firstBurst(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, ip("10.3.1.1")), SERVER_MAC);
        wanIn.add(flowPacket().build());                              // fills the cache
        wanIn.add(flowPacket().build());                              // a hit
        wanIn.add(flowPacket().ttl(1).build());                       // time exceeded
        wanIn.add(flowPacket().corruptHeaderChecksum().build());      // dropped
        wanIn.add(flowPacket().mf(true).build());                     // a first fragment: 1:1 translates it
        wanIn.add(flowPacket().options(new byte[] {1, 1, 1, 0}).build()); // options: routed with them
        wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, new byte[1000]).df(true)
                .build());                                            // fragmentation needed
        wanIn.add(flowPacket().build());                              // a hit again
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "198.51.100.1/24"),
                PcapRun.Port.of("lan", false, "10.3.1.1/24").mtu(576)), List.of("w", "l"),
                Map.of("w", wanIn, "l", lanIn), List.of(), binat());

        List<Decoded.Ipv4> toLan = ipv4(r.out("l"));
        assertEquals(5, toLan.size(), "the two hits, the first fragment, the one with options, the last hit");
        for (Decoded.Ipv4 p : toLan) {
            assertEquals(REMOTE, p.src());
            assertEquals(SERVER, p.dst());
            assertEquals(63, p.ttl());
            assertTrue(p.headerChecksumValid(), "IPv4 header checksum");
        }
        assertEquals(6, toLan.get(3).ihl(), "the options stay");
        List<Decoded.Ipv4> toWan = ipv4(r.out("w"));
        assertEquals(2, toWan.size(), "two ICMP errors: " + toWan);
        assertEquals(Icmp.TYPE_TIME_EXCEEDED, toWan.get(0).icmp().type());
        assertEquals(Icmp.TYPE_UNREACHABLE, toWan.get(1).icmp().type());
        assertEquals(Icmp.CODE_FRAGMENTATION_NEEDED, toWan.get(1).icmp().code());
        for (Decoded.Ipv4 p : toWan) {
            assertEquals(REMOTE, p.dst());
            assertTrue(p.icmp().checksumValid(), "ICMP checksum");
        }
        assertEquals(1, r.event(Counters.TTL_EXPIRED));
        assertEquals(1, r.event(Counters.BAD_IP_CHECKSUM));
        assertEquals(1, r.event(Counters.TOO_BIG_DF));
        assertEquals(2, r.event(Counters.FLOW_CACHE_HITS), "only the two plain packets after the first");
    }

    private static Frames.Ipv4Builder flowPacket() {
        return Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, PAYLOAD);
    }

    @Test
    void aNeighbourChangingItsMacTakesEffectOnTheNextPacket() throws Exception {
        List<byte[]> wanIn = firstBurst(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, ip("198.51.100.1")), REMOTE_MAC);
        List<byte[]> lanIn = firstBurst(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, ip("10.3.1.1")), SERVER_MAC);
        // WAN burst 2: two packets of the flow (then filler); LAN burst 2: the server moved to another NIC;
        // WAN burst 3: two more packets of the flow
        for (int c = 0; c < 2; c++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, PAYLOAD).build());
        }
        while (wanIn.size() < 64) {
            wanIn.add(Frames.udp4(REMOTE_MAC, mac("02:00:00:00:09:99"), REMOTE, SERVER_PUBLIC, 1, 1, PAYLOAD).build());
        }
        for (int c = 0; c < 2; c++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, PAYLOAD).build());
        }
        lanIn.add(Frames.arp(Frames.ARP_REPLY, SERVER_MAC_2, SERVER, LAN_MAC, ip("10.3.1.1")).ethSrc(SERVER_MAC_2).build());
        assertTheServerMoved(run(binat(), wanIn, lanIn), "after the ARP reply with the new MAC");
    }

    /**
     * The short path reads the neighbour table's version once per run of packets it takes
     * (Worker.cached); an ARP reply ends such a run, so a change it makes counts for the very
     * next packet of the same burst.
     */
    @Test
    void aNeighbourChangingItsMacWithinABurstTakesEffectOnTheNextPacket() throws Exception {
        List<byte[]> lanIn = reflectionFirstBurst();
        // burst 2, all on the LAN port: two requests, the server moving to another NIC, two more
        for (int c = 0; c < 2; c++) {
            lanIn.add(Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, SERVER_PUBLIC, 5000, 80, PAYLOAD).build());
        }
        lanIn.add(Frames.arp(Frames.ARP_REPLY, SERVER_MAC_2, SERVER, LAN_MAC, ip("10.3.1.1")).ethSrc(SERVER_MAC_2).build());
        for (int c = 0; c < 2; c++) {
            lanIn.add(Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, SERVER_PUBLIC, 5000, 80, PAYLOAD).build());
        }
        assertTheServerMoved(run(reflectionNat(), List.of(), lanIn), "the packet right after the ARP reply, same burst");
    }

    /**
     * Four packets of one flow reached the server: two at its first MAC, then (after its ARP reply
     * from another NIC) two at the new one, the second of each pair from the flow cache.
     */
    private static void assertTheServerMoved(PcapRun.Result r, String afterTheMove) {
        List<Decoded.Frame> toLan = r.out("l").stream().map(Decoded::frame).filter(f -> f.ipv4() != null).toList();
        assertEquals(4, toLan.size());
        assertEquals(SERVER_MAC, toLan.get(0).dstMac());
        assertEquals(SERVER_MAC, toLan.get(1).dstMac());
        assertEquals(SERVER_MAC_2, toLan.get(2).dstMac(), afterTheMove);
        assertEquals(SERVER_MAC_2, toLan.get(3).dstMac());
        assertEquals(2, r.event(Counters.FLOW_CACHE_HITS), "the second packet before and after the move");
    }

    @Test
    void plainRoutedFlowsAreCachedToo() throws Exception {
        List<byte[]> wanIn = firstBurst(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, ip("198.51.100.1")), REMOTE_MAC);
        List<byte[]> lanIn = firstBurst(Frames.arpReply(LAN_HOST_MAC, LAN_HOST, LAN_MAC, ip("10.3.1.1")), LAN_HOST_MAC);
        for (int c = 0; c < COPIES; c++) {
            lanIn.add(Frames.udp4(LAN_HOST_MAC, LAN_MAC, LAN_HOST, REMOTE, 5000, 7, PAYLOAD).ttl(9).build());
        }
        PcapRun.Result r = run(null, wanIn, lanIn);
        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(COPIES, toWan.size());
        Decoded.Ipv4 p = Decoded.frame(toWan.get(0)).ipv4();
        assertEquals(LAN_HOST, p.src());
        assertEquals(8, p.ttl());
        assertValid(p);
        for (int c = 1; c < COPIES; c++) {
            assertTrue(Arrays.equals(toWan.get(0), toWan.get(c)), "copy " + c);
        }
        assertEquals(COPIES - 1, r.event(Counters.FLOW_CACHE_HITS));
    }

    @Test
    void reflectionBetweenTwoOneToOneHostsIsCachedAndLeavesAsTheFirstDid() throws Exception {
        List<byte[]> wanIn = List.of();
        List<byte[]> lanIn = reflectionFirstBurst();
        for (int c = 0; c < COPIES; c++) {
            lanIn.add(Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, SERVER_PUBLIC, 5000, 80, PAYLOAD).build());
            lanIn.add(Frames.udp4(SERVER_MAC, LAN_MAC, SERVER, CLIENT_PUBLIC, 80, 5000, PAYLOAD).build());
        }
        PcapRun.Result r = run(reflectionNat(), wanIn, lanIn);

        List<byte[]> toLan = ipFrames(r.out("l"));
        assertEquals(2 * COPIES, toLan.size());
        Decoded.Ipv4 request = Decoded.frame(toLan.get(0)).ipv4();
        assertEquals(CLIENT_PUBLIC, request.src(), "mapped: the server sees the client's own public address");
        assertEquals(SERVER, request.dst());
        Decoded.Ipv4 reply = Decoded.frame(toLan.get(1)).ipv4();
        assertEquals(SERVER_PUBLIC, reply.src());
        assertEquals(CLIENT, reply.dst());
        assertEquals(SERVER_MAC, Decoded.frame(toLan.get(0)).dstMac());
        assertEquals(CLIENT_MAC, Decoded.frame(toLan.get(1)).dstMac());
        assertValid(request);
        assertValid(reply);
        for (int c = 1; c < COPIES; c++) {
            assertArrayEquals(toLan.get(0), toLan.get(2 * c), "request copy " + c);
            assertArrayEquals(toLan.get(1), toLan.get(2 * c + 1), "reply copy " + c);
        }
        assertEquals(2 * (COPIES - 1), r.event(Counters.FLOW_CACHE_HITS));
        assertEquals(2 * COPIES, r.event(Counters.NAT_TRANSLATED));
    }
}
