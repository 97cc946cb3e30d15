package io.hairpin.engine.it;

import static io.hairpin.engine.it.PcapOutput.assertValid;
import static io.hairpin.engine.it.PcapOutput.ipFrames;
import static io.hairpin.engine.it.PcapOutput.ipv4;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT_MAC;
import static io.hairpin.engine.it.NaptPcapTest.LAN_MAC;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE_MAC;
import static io.hairpin.engine.it.NaptPcapTest.WAN_IP;
import static io.hairpin.engine.it.NaptPcapTest.WAN_MAC;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The established-session path on real DPDK: a session's first packets take the full pipeline
 * (the first opens the session, the next records the route decision), the rest the
 * short path (the first of them through the session table, which leaves a session entry in the
 * flow cache, the others through that entry), and what leaves must not differ — checked by the oracle and byte for byte against
 * what the pipeline sent. Packets the short path must not take get the pipeline's answer.
 */
class EstablishedSessionPcapTest {
    static final byte[] PAYLOAD = "established".getBytes(StandardCharsets.US_ASCII);
    static final int COPIES = 6;
    /** Frames the WAN port reads (and drops: not for us) before the replies, so that the LAN
     * requests, read in the same polling rounds, have opened their sessions by then. */
    static final int WAN_PADDING = 96;

    @TempDir
    Path dir;

    private PcapRun.Result run(NatConfig nat, int wanMtu, List<byte[]> wanIn, List<byte[]> lanIn) throws Exception {
        return run(nat, wanPort().mtu(wanMtu), wanIn, lanIn);
    }

    private static PcapRun.Port wanPort() {
        return PcapRun.Port.of("wan", true, "203.0.113.1/24");
    }

    private PcapRun.Result run(NatConfig nat, PcapRun.Port wan, List<byte[]> wanIn, List<byte[]> lanIn) throws Exception {
        List<byte[]> w = new ArrayList<>(NaptPcapTest.WAN_NEIGHBOURS);
        w.addAll(wanIn);
        List<byte[]> l = new ArrayList<>(NaptPcapTest.LAN_NEIGHBOURS);
        l.addAll(lanIn);
        return PcapRun.run(dir, List.of(wan, PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"),
                Map.of("w", w, "l", l), List.of(), nat);
    }

    private static NatConfig nat(int maxSessions) {
        return NaptPcapTest.nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, maxSessions);
    }

    private static List<byte[]> wanPadding() {
        List<byte[]> padding = new ArrayList<>();
        for (int i = 0; i < WAN_PADDING; i++) {
            padding.add(Frames.udp4(REMOTE_MAC, mac("02:99:00:00:00:01"), REMOTE, WAN_IP, 1, 1, PAYLOAD).build());
        }
        return padding;
    }

    private static byte[] udpOut(int sport) {
        return Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, sport, 53, PAYLOAD).build();
    }

    private static byte[] tcpOut(int seq, int flags) {
        return Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 6000, 443, seq, 1, flags, PAYLOAD).build();
    }

    @Test
    void everyPacketOfASessionLeavesAsThePipelineSentItsFirst() throws Exception {
        List<byte[]> lanIn = new ArrayList<>();
        lanIn.add(tcpOut(100, Frames.TCP_SYN));
        for (int c = 0; c < COPIES; c++) {
            lanIn.add(udpOut(5000));
            lanIn.add(Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 5002, 53, PAYLOAD).l4Checksum(0).build());
            lanIn.add(tcpOut(101 + c, Frames.TCP_ACK));
        }
        List<byte[]> wanIn = wanPadding();
        for (int c = 0; c < COPIES; c++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 53, 5000, PAYLOAD).padTo(80).build());
        }
        PcapRun.Result r = run(nat(1000), 1500, wanIn, lanIn);

        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(1 + 3 * COPIES, toWan.size());
        for (Decoded.Ipv4 p : ipv4(toWan)) {
            assertEquals(WAN_IP, p.src());
            assertEquals(REMOTE, p.dst());
            assertEquals(63, p.ttl());
            assertValid(p);
        }
        Decoded.Ipv4 syn = Decoded.frame(toWan.get(0)).ipv4();
        for (int c = 1; c < COPIES; c++) {
            // identical on the wire in, identical out: the first of each took the full pipeline
            assertArrayEquals(toWan.get(1), toWan.get(1 + 3 * c), "UDP copy " + c);
            assertArrayEquals(toWan.get(2), toWan.get(2 + 3 * c), "zero-checksum UDP copy " + c);
            Decoded.Ipv4 ack = Decoded.frame(toWan.get(3 * c + 3)).ipv4();
            assertEquals(syn.tcp().sport(), ack.tcp().sport(), "TCP packet " + c + " keeps the session's port");
            assertEquals(101 + c, ack.tcp().seq(), "TCP packets in order");
        }
        assertEquals(0, Decoded.frame(toWan.get(2)).ipv4().udp().checksum(), "a zero UDP checksum stays zero");
        assertEquals(REMOTE_MAC, Decoded.frame(toWan.get(toWan.size() - 1)).dstMac());

        List<byte[]> toLan = ipFrames(r.out("l"));
        assertEquals(COPIES, toLan.size());
        for (Decoded.Ipv4 p : ipv4(toLan)) {
            assertEquals(REMOTE, p.src());
            assertEquals(CLIENT, p.dst());
            assertEquals(5000, p.udp().dport());
            assertValid(p);
        }
        for (int c = 1; c < COPIES; c++) {
            assertArrayEquals(toLan.get(0), toLan.get(c), "reply copy " + c + ", Ethernet padding removed");
        }
        assertEquals(Decoded.frame(toLan.get(0)).ipv4().totalLength() + 14, toLan.get(0).length, "no padding kept");
        assertEquals(CLIENT_MAC, Decoded.frame(toLan.get(0)).dstMac());
        // Outbound, the SYN and each UDP flow's first packet open their sessions (the pipeline);
        // the first ACK finds its session but no route decision yet, takes the pipeline, which
        // records it; every later packet takes the short path. Inbound, the first reply records
        // the decision for the other direction.
        int outbound = 3 * COPIES - 3;
        int inbound = COPIES - 1;
        assertEquals(outbound + inbound, r.event(Counters.SESSION_FAST_PATH));
        assertEquals(1 + 4 * COPIES, r.event(Counters.NAT_TRANSLATED));
        assertEquals(1 + 4 * COPIES, r.event(Counters.FORWARDED));
    }

    /**
     * Packets of an established session that the short path must not take — TTL 1, a bad header
     * checksum, too big for the egress MTU with DF, a FIN, an RST — get what the full pipeline
     * gives them, between packets that do take it.
     */
    @Test
    void sessionPacketsThatNeedThePipelineGetIt() throws Exception {
        List<byte[]> lanIn = new ArrayList<>();
        lanIn.add(tcpOut(100, Frames.TCP_SYN));                                       // opens the session
        lanIn.add(tcpOut(101, Frames.TCP_ACK));                                       // records the route
        lanIn.add(tcpOut(102, Frames.TCP_ACK));                                       // the short path
        lanIn.add(Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 6000, 443, 103, 1, Frames.TCP_ACK, PAYLOAD).ttl(1)
                .build());                                                            // time exceeded
        lanIn.add(Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 6000, 443, 104, 1, Frames.TCP_ACK, PAYLOAD)
                .corruptHeaderChecksum().build());                                    // dropped
        lanIn.add(Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 6000, 443, 105, 1, Frames.TCP_ACK, new byte[600])
                .df(true).build());                                                   // fragmentation needed
        lanIn.add(tcpOut(106, Frames.TCP_ACK | Frames.TCP_FIN));                      // the pipeline: state
        lanIn.add(tcpOut(107, Frames.TCP_ACK));                                       // the short path
        lanIn.add(tcpOut(108, Frames.TCP_RST));                                       // the pipeline: state
        lanIn.add(tcpOut(109, Frames.TCP_ACK));                                       // the short path
        PcapRun.Result r = run(nat(1000), 576, List.of(), lanIn);

        List<Decoded.Ipv4> toWan = ipv4(r.out("w"));
        assertEquals(7, toWan.size(), "SYN, two ACKs, FIN, ACK, RST, ACK: " + toWan);
        int[] seqs = {100, 101, 102, 106, 107, 108, 109};
        for (int i = 0; i < seqs.length; i++) {
            Decoded.Ipv4 p = toWan.get(i);
            assertEquals(WAN_IP, p.src());
            assertEquals(toWan.get(0).tcp().sport(), p.tcp().sport());
            assertEquals(seqs[i], p.tcp().seq(), "packet " + i);
            assertEquals(63, p.ttl());
            assertValid(p);
        }
        List<Decoded.Ipv4> toLan = ipv4(r.out("l"));
        assertEquals(2, toLan.size(), "two ICMP errors: " + toLan);
        assertEquals(Icmp.TYPE_TIME_EXCEEDED, toLan.get(0).icmp().type());
        assertEquals(Icmp.TYPE_UNREACHABLE, toLan.get(1).icmp().type());
        assertEquals(Icmp.CODE_FRAGMENTATION_NEEDED, toLan.get(1).icmp().code());
        for (Decoded.Ipv4 p : toLan) {
            assertEquals(CLIENT, p.dst());
            assertValid(p);
        }
        assertEquals(1, r.event(Counters.TTL_EXPIRED));
        assertEquals(1, r.event(Counters.BAD_IP_CHECKSUM));
        assertEquals(1, r.event(Counters.TOO_BIG_DF));
        assertEquals(3, r.event(Counters.SESSION_FAST_PATH), "the ACKs after the first, FIN and RST excepted");
    }

    /**
     * A packet with a session's tuple arriving on the other interface is checked for spoofing as
     * the pipeline checks it: the short path's source decision is per interface.
     */
    @Test
    void aSessionsTupleFromTheWrongInterfaceIsStillDroppedAsSpoofed() throws Exception {
        List<byte[]> lanIn = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            lanIn.add(udpOut(5000));
        }
        List<byte[]> wanIn = wanPadding();
        // the LAN client's own tuple, sent to the appliance's WAN MAC from outside
        wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, CLIENT, REMOTE, 5000, 53, PAYLOAD).build());
        PcapRun.Result r = run(nat(1000), 1500, wanIn, lanIn);

        List<Decoded.Ipv4> toWan = ipv4(r.out("w"));
        assertEquals(3, toWan.size(), toWan.toString());
        for (Decoded.Ipv4 p : toWan) {
            assertEquals(WAN_IP, p.src());
        }
        assertEquals(1, r.event(Counters.SPOOFED_SOURCE));
        assertEquals(1, r.event(Counters.SESSION_FAST_PATH), "the third LAN packet");
    }

    /**
     * Sessions with many remote addresses behind one gateway: their route decision is the
     * gateway's, recorded once for all of them, and the checks of their sources are the route
     * table's, so each session's packets after its first take the short path from the start,
     * however many remotes there are (once, each destination and each remote source had a
     * decision of its own in the flow cache, recorded by a packet through the pipeline, and a
     * million remotes thrashed it). Oracle: the packets the pipeline must take are counted by
     * hand, and every second packet leaves as its first did.
     */
    @Test
    void sessionsToManyRemotesShareTheGatewaysRouteDecision() throws Exception {
        int remotes = 32;
        List<byte[]> lanIn = new ArrayList<>();
        List<byte[]> wanIn = wanPadding();
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < remotes; k++) {
                int remote = Frames.ip("198.51.100." + (k + 1));
                lanIn.add(Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, remote, 5000 + k, 53, PAYLOAD).build());
                wanIn.add(Frames.udp4(REMOTE_MAC, WAN_MAC, remote, WAN_IP, 53, 5000 + k, PAYLOAD).build());
            }
        }
        PcapRun.Result r = run(nat(1000), wanPort().gateway(REMOTE), wanIn, lanIn);

        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(2 * remotes, toWan.size());
        for (int k = 0; k < remotes; k++) {
            Decoded.Ipv4 p = Decoded.frame(toWan.get(k)).ipv4();
            assertValid(p);
            assertEquals(WAN_IP, p.src());
            assertEquals(Frames.ip("198.51.100." + (k + 1)), p.dst());
            assertEquals(5000 + k, p.udp().sport(), "the port kept");
            assertEquals(REMOTE_MAC, Decoded.frame(toWan.get(k)).dstMac(), "to the gateway");
            assertArrayEquals(toWan.get(k), toWan.get(remotes + k), "remote " + k + "'s second packet");
        }
        List<byte[]> toLan = ipFrames(r.out("l"));
        assertEquals(2 * remotes, toLan.size());
        for (int i = 0; i < toLan.size(); i++) {
            Decoded.Ipv4 p = Decoded.frame(toLan.get(i)).ipv4();
            assertValid(p);
            assertEquals(Frames.ip("198.51.100." + (i % remotes + 1)), p.src());
            assertEquals(CLIENT, p.dst());
            assertEquals(5000 + i % remotes, p.udp().dport());
            assertEquals(CLIENT_MAC, Decoded.frame(toLan.get(i)).dstMac());
        }
        // the pipeline takes each session's first packet and, in each direction, the first
        // packet that finds its session (it records the route decision); the short path the rest
        assertEquals((remotes - 1) + (2 * remotes - 1), r.event(Counters.SESSION_FAST_PATH));
        assertEquals(4 * remotes, r.event(Counters.NAT_TRANSLATED));
    }

    /**
     * A table big enough that a burst's session lookups are made all at once: every later packet
     * of each of thousands of flows leaves exactly as that flow's first did.
     */
    @Test
    void aBigSessionTableIsLookedUpABurstAtATime() throws Exception {
        int flows = 5000;
        int rounds = 3;
        List<byte[]> lanIn = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (int f = 0; f < flows; f++) {
                lanIn.add(udpOut(10000 + f));
            }
        }
        PcapRun.Result r = run(nat(2 * flows), 1500, List.of(), lanIn);

        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(rounds * flows, toWan.size());
        Map<Integer, Integer> portOf = new HashMap<>();
        for (int f = 0; f < flows; f++) {
            Decoded.Ipv4 p = Decoded.frame(toWan.get(f)).ipv4();
            assertValid(p);
            assertEquals(WAN_IP, p.src());
            assertEquals(null, portOf.put(p.udp().sport(), f), "one port per flow");
        }
        for (int round = 1; round < rounds; round++) {
            for (int f = 0; f < flows; f++) {
                assertArrayEquals(toWan.get(f), toWan.get(round * flows + f), "flow " + f + " in round " + round);
            }
        }
        // every packet after the first round but the one that records the route decision, and one
        // more each time its second of validity runs out during the run
        assertTrue(r.event(Counters.SESSION_FAST_PATH) >= (rounds - 1) * flows - 100,
                "short path: " + r.event(Counters.SESSION_FAST_PATH));
        assertEquals(rounds * flows, r.event(Counters.NAT_TRANSLATED));
    }

    /**
     * A big table with both ports busy in the same polling rounds: each port's burst is received
     * a burst ahead of its processing (the last port's held over to the next round), and its
     * look-ups start while the burst before it is processed. Thousands of flows open their
     * sessions, then send again from the LAN while their replies come in on the WAN: every packet
     * leaves translated, the later ones by the short path. The flows come from two hosts and go to two remotes, in turn, so that
     * consecutive packets leave by different next hops: each must leave with its own next hop's MAC.
     */
    @Test
    void aBigSessionTableWithBothPortsBusyTranslatesEveryPacket() throws Exception {
        int flows = 5000;
        int[] host = {CLIENT, NaptPcapTest.CLIENT2};
        long[] hostMac = {CLIENT_MAC, NaptPcapTest.CLIENT2_MAC};
        int[] remote = {REMOTE, NaptPcapTest.REMOTE2};
        long[] remoteMac = {REMOTE_MAC, NaptPcapTest.REMOTE2_MAC};
        List<byte[]> lanIn = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int f = 0; f < flows; f++) {
                lanIn.add(Frames.udp4(hostMac[f % 2], LAN_MAC, host[f % 2], remote[f / 2 % 2], 10000 + f, 53, PAYLOAD)
                        .build());
            }
        }
        // the WAN reads frames not for us while the LAN's first round opens the sessions
        List<byte[]> wanIn = new ArrayList<>();
        for (int i = 0; i < flows + 512; i++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, mac("02:99:00:00:00:01"), REMOTE, WAN_IP, 1, 1, PAYLOAD).build());
        }
        for (int round = 0; round < 2; round++) {
            for (int f = 0; f < flows; f++) {
                int to = f / 2 % 2;
                wanIn.add(Frames.udp4(remoteMac[to], WAN_MAC, remote[to], WAN_IP, 53, 10000 + f, PAYLOAD).build());
            }
        }
        PcapRun.Result r = run(nat(2 * flows), 1500, wanIn, lanIn);

        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(3 * flows, toWan.size());
        for (int i = 0; i < toWan.size(); i++) {
            int f = i % flows;
            Decoded.Frame frame = Decoded.frame(toWan.get(i));
            Decoded.Ipv4 p = frame.ipv4();
            assertValid(p);
            assertEquals(WAN_IP, p.src());
            assertEquals(remote[f / 2 % 2], p.dst());
            assertEquals(remoteMac[f / 2 % 2], frame.dstMac(), "packet " + i + " to its remote's MAC");
            assertEquals(10000 + f, p.udp().sport(), "each flow keeps its port, packet " + i);
        }
        List<byte[]> toLan = ipFrames(r.out("l"));
        assertEquals(2 * flows, toLan.size());
        for (int i = 0; i < toLan.size(); i++) {
            int f = i % flows;
            Decoded.Frame frame = Decoded.frame(toLan.get(i));
            Decoded.Ipv4 p = frame.ipv4();
            assertValid(p);
            assertEquals(remote[f / 2 % 2], p.src());
            assertEquals(host[f % 2], p.dst());
            assertEquals(hostMac[f % 2], frame.dstMac(), "reply " + i + " to its host's MAC");
            assertEquals(10000 + f, p.udp().dport(), "reply " + i + " reaches its flow");
        }
        // all but each flow's first packet, the packet per direction that records the route
        // decision, and one more each time a second of validity runs out during the run
        assertTrue(r.event(Counters.SESSION_FAST_PATH) >= 4 * flows - 200,
                "short path: " + r.event(Counters.SESSION_FAST_PATH));
        assertEquals(5 * flows, r.event(Counters.NAT_TRANSLATED));
    }

    /**
     * A table of more sessions than the worker loads ahead of a burst through the flow cache's
     * session entries (4096), while the cache stays in use: a few busy flows keep its hit rate
     * above the three quarters it needs, between new flows that each open a session. Every
     * packet of every flow leaves exactly as that flow's first did.
     */
    @Test
    void aBigSessionTableServedByTheFlowCacheLeavesAsThePipelineSentIt() throws Exception {
        int flows = 4300;
        int busy = 8;
        List<Integer> ports = new ArrayList<>();
        // each new flow between four packets of busy flows: four in five lookups hit
        for (int f = 0; f < flows; f++) {
            ports.add(20000 + f);
            for (int b = 0; b < 4; b++) {
                ports.add(10000 + (4 * f + b) % busy);
            }
        }
        // the first flows again, each twice (the second time through its session entry)
        for (int round = 0; round < 2; round++) {
            for (int f = 0; f < 1000; f++) {
                ports.add(20000 + f);
                for (int b = 0; b < 4; b++) {
                    ports.add(10000 + (4 * f + b) % busy);
                }
            }
        }
        List<byte[]> lanIn = new ArrayList<>();
        for (int port : ports) {
            lanIn.add(udpOut(port));
        }
        PcapRun.Result r = run(nat(2 * flows), 1500, List.of(), lanIn);

        List<byte[]> toWan = ipFrames(r.out("w"));
        assertEquals(lanIn.size(), toWan.size());
        Map<Integer, Integer> firstOf = new HashMap<>();
        Map<Integer, Integer> flowOfPort = new HashMap<>();
        for (int i = 0; i < toWan.size(); i++) {
            int port = ports.get(i);
            Integer first = firstOf.putIfAbsent(port, i);
            if (first == null) {
                Decoded.Ipv4 p = Decoded.frame(toWan.get(i)).ipv4();
                assertValid(p);
                assertEquals(WAN_IP, p.src());
                assertEquals(null, flowOfPort.put(p.udp().sport(), port), "one external port per flow");
            } else {
                assertArrayEquals(toWan.get(first), toWan.get(i), "packet " + i + " of flow " + port);
            }
        }
        assertEquals(lanIn.size(), r.event(Counters.NAT_TRANSLATED), "every packet translated");
        // all but each flow's first packet (its session), the one that records the route
        // decision every flow shares, and any that record it again when its second
        // of validity runs out during the run
        assertTrue(r.event(Counters.SESSION_FAST_PATH) >= lanIn.size() - (flows + busy) - 100,
                "short path: " + r.event(Counters.SESSION_FAST_PATH));
    }
}
