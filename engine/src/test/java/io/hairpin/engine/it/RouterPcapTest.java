package io.hairpin.engine.it;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance as a router, on real DPDK: crafted frames go in through net_pcap, what comes out
 * is decoded by the independent oracle and checked field by field.
 */
class RouterPcapTest {
    static final int WAN = ip("203.0.113.1");
    static final int LAN = ip("192.168.1.1");
    static final int INSIDE = ip("192.168.1.10");
    static final int OUTSIDE = ip("203.0.113.254");
    static final long INSIDE_MAC = mac("02:00:00:00:01:10");
    static final long OUTSIDE_MAC = mac("02:00:00:00:02:54");
    static final byte[] PAYLOAD = "hairpin says hello".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    /** wan on device "w", lan on device "l"; MACs are learned from the run, so frames are built for them lazily. */
    private PcapRun.Result run(Map<String, List<byte[]>> in) throws Exception {
        return PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), in, List.of());
    }

    private static long applianceMac(PcapRun.Result r, int iface) {
        Snapshot s = r.engine().snapshot();
        return s.mac[iface];
    }

    private static List<Decoded.Frame> decode(List<byte[]> frames) {
        List<Decoded.Frame> out = new ArrayList<>();
        for (byte[] f : frames) {
            out.add(Decoded.frame(f));
        }
        return out;
    }

    /** Frames that are not the appliance's own start-up announcements (gratuitous ARP). */
    private static List<Decoded.Frame> withoutAnnouncements(List<byte[]> frames) {
        return decode(frames).stream()
                .filter(f -> !(f.arp() != null && f.arp().op() == Frames.ARP_REQUEST && f.arp().spa() == f.arp().tpa()))
                .toList();
    }

    @Test
    void announcesItsAddressesWithGratuitousArpAtStart() throws Exception {
        PcapRun.Result r = run(Map.of());
        List<Decoded.Frame> wan = decode(r.out("w"));
        assertEquals(1, wan.size());
        Decoded.Arp a = wan.get(0).arp();
        assertNotNull(a);
        assertEquals(Frames.BROADCAST, wan.get(0).dstMac());
        assertEquals(Frames.ARP_REQUEST, a.op());
        assertEquals(WAN, a.spa());
        assertEquals(WAN, a.tpa());
        assertEquals(applianceMac(r, 0), a.sha());
        assertEquals(LAN, decode(r.out("l")).get(0).arp().spa());
    }

    @Test
    void answersArpForItsOwnAddressOnlyAndRejectsMalformedArp() throws Exception {
        byte[] forUs = Frames.arpRequest(INSIDE_MAC, INSIDE, LAN);
        byte[] forSomeoneElse = Frames.arpRequest(INSIDE_MAC, INSIDE, ip("192.168.1.20"));
        byte[] wrongHwLen = Frames.arp(Frames.ARP_REQUEST, INSIDE_MAC, INSIDE, 0, LAN).hardwareLength(8).padTo(60).build();
        byte[] forWanOnLan = Frames.arpRequest(INSIDE_MAC, INSIDE, WAN);
        PcapRun.Result r = run(Map.of("l", List.of(forUs, forSomeoneElse, wrongHwLen, forWanOnLan)));
        List<Decoded.Frame> lan = withoutAnnouncements(r.out("l"));
        assertEquals(1, lan.size(), "exactly one ARP reply");
        Decoded.Frame reply = lan.get(0);
        long lanMac = applianceMac(r, 1);
        assertEquals(INSIDE_MAC, reply.dstMac());
        assertEquals(lanMac, reply.srcMac());
        assertEquals(Frames.ARP_REPLY, reply.arp().op());
        assertEquals(lanMac, reply.arp().sha());
        assertEquals(LAN, reply.arp().spa());
        assertEquals(INSIDE_MAC, reply.arp().tha());
        assertEquals(INSIDE, reply.arp().tpa());
        assertEquals(1, r.event(Counters.ARP_REPLIED));
        assertEquals(1, r.event(Counters.ARP_INVALID));
        assertEquals(2, r.event(Counters.ARP_NOT_FOR_US));
        assertEquals(0, withoutAnnouncements(r.out("w")).size());
    }

    @Test
    void answersEchoRequestsToItsOwnAddresses() throws Exception {
        // the MAC is not known before the run; ring-free net_pcap ports take a fixed MAC we read from a dry run
        long lanMac = dryRunMac(1);
        byte[] ping = Frames.icmpEcho4(INSIDE_MAC, lanMac, INSIDE, LAN, Frames.ICMP_ECHO_REQUEST, 0x4242, 7, PAYLOAD)
                .ttl(5).build();
        PcapRun.Result r = run(Map.of("l", List.of(Frames.arpReply(INSIDE_MAC, INSIDE, lanMac, LAN), ping)));
        List<Decoded.Frame> lan = withoutAnnouncements(r.out("l"));
        assertEquals(1, lan.size());
        Decoded.Ipv4 ipv4 = lan.get(0).ipv4();
        assertEquals(INSIDE_MAC, lan.get(0).dstMac());
        assertEquals(lanMac, lan.get(0).srcMac());
        assertEquals(LAN, ipv4.src());
        assertEquals(INSIDE, ipv4.dst());
        assertEquals(64, ipv4.ttl());
        assertTrue(ipv4.headerChecksumValid());
        assertEquals(Frames.ICMP_ECHO_REPLY, ipv4.icmp().type());
        assertEquals(0x4242, ipv4.icmp().id());
        assertEquals(7, ipv4.icmp().seq());
        assertTrue(ipv4.icmp().checksumValid());
        assertArrayEquals(PAYLOAD, ipv4.icmp().body());
        assertEquals(1, r.event(Counters.ECHO_REPLIED));
    }

    /**
     * With no kernel behind an interface, traffic to its address that the data plane does not
     * handle is dropped and counted: UDP gets "port unreachable", another protocol "protocol
     * unreachable", and ICMP other than echo requests nothing (RFC 1122 3.2.2; the appliance has ICMP).
     */
    @Test
    void answersUnhandledLocalTrafficAsAHostWouldAndOtherIcmpNotAtAll() throws Exception {
        long lanMac = dryRunMac(1);
        List<byte[]> in = List.of(Frames.arpReply(INSIDE_MAC, INSIDE, lanMac, LAN),
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, LAN, 40000, 161, PAYLOAD).build(),
                Frames.ipv4(INSIDE_MAC, lanMac, INSIDE, LAN).payload(47, PAYLOAD).build(),
                Frames.icmpEcho4(INSIDE_MAC, lanMac, INSIDE, LAN, Frames.ICMP_ECHO_REPLY, 1, 1, PAYLOAD).build(),
                Frames.ipv4(INSIDE_MAC, lanMac, INSIDE, LAN).icmp(13, 0, 0, new byte[12]).build());
        PcapRun.Result r = run(Map.of("l", in));
        List<Decoded.Icmp> answers = withoutAnnouncements(r.out("l")).stream().map(f -> f.ipv4().icmp()).toList();
        assertEquals(2, answers.size(), "answers: " + answers);
        assertEquals(Frames.ICMP_DEST_UNREACHABLE, answers.get(0).type());
        assertEquals(3, answers.get(0).code(), "port unreachable for UDP");
        assertEquals(Frames.PROTO_UDP, answers.get(0).quoted().protocol());
        assertEquals(2, answers.get(1).code(), "protocol unreachable for GRE");
        assertEquals(47, answers.get(1).quoted().protocol());
        assertEquals(4, r.event(Counters.LOCAL_UNHANDLED), "the four");
        assertEquals(1, r.event(Counters.ARP_REPLIES_LEARNT), "the ARP reply is learnt and kept: no drop");
    }

    /** wan is on device group "w", lan on "l": their MACs are fixed by the run. */
    private static long dryRunMac(int iface) {
        return PcapRun.macOf(iface == 0 ? "w" : "l");
    }

    @Test
    void forwardsBetweenInterfacesRewritingMacsAndTtl() throws Exception {
        long wanMac = dryRunMac(0);
        long lanMac = dryRunMac(1);
        byte[] udp = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 40000, 53, PAYLOAD).ttl(64).df(true).id(777).build();
        byte[] tcp = Frames.tcp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 40001, 80, 1000, 0, Frames.TCP_SYN, new byte[0]).build();
        PcapRun.Result r = run(Map.of(
                "w", List.of(Frames.arpReply(OUTSIDE_MAC, OUTSIDE, wanMac, WAN)),
                "l", List.of(udp, tcp)));
        List<Decoded.Frame> wan = withoutAnnouncements(r.out("w"));
        assertEquals(2, wan.size(), "both packets leave on the WAN side");
        Decoded.Frame f = wan.get(0);
        assertEquals(OUTSIDE_MAC, f.dstMac());
        assertEquals(wanMac, f.srcMac());
        Decoded.Ipv4 ipv4 = f.ipv4();
        assertEquals(INSIDE, ipv4.src());
        assertEquals(OUTSIDE, ipv4.dst());
        assertEquals(63, ipv4.ttl());
        assertEquals(777, ipv4.id());
        assertTrue(ipv4.df());
        assertTrue(ipv4.headerChecksumValid());
        assertEquals(40000, ipv4.udp().sport());
        assertEquals(53, ipv4.udp().dport());
        assertTrue(ipv4.udp().checksumValid());
        assertArrayEquals(PAYLOAD, ipv4.udp().payload());
        Decoded.Ipv4 syn = wan.get(1).ipv4();
        assertEquals(Frames.TCP_SYN, syn.tcp().flags());
        assertTrue(syn.tcp().checksumValid());
        assertTrue(syn.headerChecksumValid());
        assertEquals(2, r.event(Counters.FORWARDED));
    }

    @Test
    void queuesPacketsWhileResolvingTheNextHop() throws Exception {
        long lanMac = dryRunMac(1);
        long wanMac = dryRunMac(0);
        byte[] udp = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 40000, 53, PAYLOAD).build();
        PcapRun.Result r = run(Map.of("l", List.of(udp)));
        List<Decoded.Frame> wan = withoutAnnouncements(r.out("w"));
        assertEquals(1, wan.size(), "an ARP request goes out for the unresolved next hop");
        Decoded.Arp req = wan.get(0).arp();
        assertNotNull(req);
        assertEquals(Frames.BROADCAST, wan.get(0).dstMac());
        assertEquals(Frames.ARP_REQUEST, req.op());
        assertEquals(wanMac, req.sha());
        assertEquals(WAN, req.spa());
        assertEquals(OUTSIDE, req.tpa());
        assertEquals(1, r.event(Counters.ARP_REQUESTS_SENT) - 2 /* the two announcements */);
    }

    @Test
    void sendsTimeExceededWhenTtlRunsOut() throws Exception {
        long lanMac = dryRunMac(1);
        byte[] udp = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 33434, 33435, PAYLOAD).ttl(1).build();
        PcapRun.Result r = run(Map.of("l", List.of(Frames.arpReply(INSIDE_MAC, INSIDE, lanMac, LAN), udp)));
        List<Decoded.Frame> lan = withoutAnnouncements(r.out("l"));
        assertEquals(1, lan.size());
        Decoded.Ipv4 err = lan.get(0).ipv4();
        assertEquals(LAN, err.src());
        assertEquals(INSIDE, err.dst());
        assertTrue(err.headerChecksumValid());
        assertEquals(Frames.ICMP_TIME_EXCEEDED, err.icmp().type());
        assertEquals(0, err.icmp().code());
        assertTrue(err.icmp().checksumValid());
        Decoded.Ipv4 quoted = err.icmp().quoted();
        assertEquals(INSIDE, quoted.src());
        assertEquals(OUTSIDE, quoted.dst());
        assertEquals(1, quoted.ttl(), "the quote is the packet as it arrived");
        assertTrue(quoted.headerChecksumValid());
        assertEquals(0, withoutAnnouncements(r.out("w")).size());
        assertEquals(1, r.event(Counters.TTL_EXPIRED));
    }

    @Test
    void sendsNetUnreachableWithoutARouteAndFragmentationNeededForBigDfPackets() throws Exception {
        long lanMac = dryRunMac(1);
        byte[] noRoute = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, ip("198.51.100.9"), 1000, 2000, PAYLOAD).build();
        byte[] bigDf = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1000, 2000, new byte[1400]).df(true).build();
        byte[] bigNoDf = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1000, 2000, new byte[1400]).df(false).build();
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24").mtu(1280),
                        PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"),
                Map.of("l", List.of(Frames.arpReply(INSIDE_MAC, INSIDE, lanMac, LAN), noRoute, bigDf, bigNoDf)), List.of());
        List<Decoded.Frame> lan = withoutAnnouncements(r.out("l"));
        assertEquals(2, lan.size());
        Decoded.Icmp unreachable = lan.get(0).ipv4().icmp();
        assertEquals(Frames.ICMP_DEST_UNREACHABLE, unreachable.type());
        assertEquals(0, unreachable.code());
        assertEquals(ip("198.51.100.9"), unreachable.quoted().dst());
        Decoded.Icmp fragNeeded = lan.get(1).ipv4().icmp();
        assertEquals(Frames.ICMP_DEST_UNREACHABLE, fragNeeded.type());
        assertEquals(Frames.ICMP_CODE_FRAG_NEEDED, fragNeeded.code());
        assertEquals(1280, fragNeeded.mtu());
        assertTrue(fragNeeded.checksumValid());
        assertEquals(576, lan.get(1).ipv4().totalLength(), "RFC 1812: the error holds as much as fits in 576 bytes");
        assertEquals(1, r.event(Counters.NO_ROUTE));
        assertEquals(1, r.event(Counters.TOO_BIG_DF));
        assertEquals(1, r.event(Counters.TOO_BIG_NO_FRAGMENTATION));
        assertEquals(0, withoutAnnouncements(r.out("w")).size());
    }

    @Test
    void dropsAndCountsMalformedSpoofedAndMartianPackets() throws Exception {
        long lanMac = dryRunMac(1);
        long wanMac = dryRunMac(0);
        Frames.Ipv4Builder good = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD);
        byte[] valid = good.build();
        List<byte[]> lanIn = List.of(
                Frames.truncate(valid, 10),                                        // truncated Ethernet
                Frames.truncate(valid, 14 + 12),                                   // truncated IPv4 header
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD).ihl(4).build(),
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD).ihl(15).truncate(14 + 40).build(),
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD).totalLength(1400).build(),
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD).corruptHeaderChecksum().build(),
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD).version(6).build(),
                Frames.udp4(INSIDE_MAC, lanMac, ip("224.0.0.5"), OUTSIDE, 1, 2, PAYLOAD).build(),   // martian source
                Frames.udp4(INSIDE_MAC, lanMac, ip("127.0.0.1"), OUTSIDE, 1, 2, PAYLOAD).build(),   // martian source
                Frames.udp4(INSIDE_MAC, lanMac, LAN, OUTSIDE, 1, 2, PAYLOAD).build(),               // our own address
                Frames.udp4(INSIDE_MAC, lanMac, OUTSIDE, ip("192.168.1.20"), 1, 2, PAYLOAD).build(),  // spoofed on lan
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, ip("240.0.0.1"), 1, 2, PAYLOAD).build(),    // martian dst
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, ip("192.168.1.255"), 1, 2, PAYLOAD).build(), // directed bcast
                Frames.udp4(INSIDE_MAC, mac("02:99:99:99:99:99"), INSIDE, OUTSIDE, 1, 2, PAYLOAD).build(), // not our MAC
                Frames.ethernet(lanMac, INSIDE_MAC, Frames.ETHERTYPE_IPV6, new byte[46]),
                Frames.udp4(INSIDE_MAC, lanMac, INSIDE, OUTSIDE, 1, 2, PAYLOAD).vlan(99).build());  // unknown VLAN
        List<byte[]> wanIn = List.of(
                Frames.udp4(OUTSIDE_MAC, wanMac, INSIDE, ip("192.168.1.20"), 1, 2, PAYLOAD).build()); // internal src on wan
        PcapRun.Result r = run(Map.of("l", lanIn, "w", wanIn));
        assertEquals(0, withoutAnnouncements(r.out("w")).size(), "nothing malformed or spoofed is forwarded");
        assertEquals(0, withoutAnnouncements(r.out("l")).size());
        assertEquals(3, r.event(Counters.TRUNCATED), "short Ethernet, short IPv4 header, IHL beyond the frame");
        assertEquals(1, r.event(Counters.BAD_IHL));
        assertEquals(1, r.event(Counters.BAD_TOTAL_LENGTH), "total length beyond the frame");
        assertEquals(1, r.event(Counters.BAD_IP_CHECKSUM));
        assertEquals(1, r.event(Counters.BAD_VERSION));
        assertEquals(3, r.event(Counters.MARTIAN_SOURCE));
        assertEquals(2, r.event(Counters.SPOOFED_SOURCE));
        assertEquals(2, r.event(Counters.MARTIAN_DESTINATION));
        assertEquals(1, r.event(Counters.NOT_FOR_US));
        assertEquals(1, r.event(Counters.UNKNOWN_ETHERTYPE));
        assertEquals(1, r.event(Counters.UNKNOWN_VLAN));
        assertEquals(0, r.event(Counters.FORWARDED));
    }

    @Test
    void routesVlanSubInterfacesTaggingAndUntagging() throws Exception {
        List<PcapRun.Port> ports = List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24"),
                PcapRun.Port.of("guest", false, "192.168.10.1/24").vlan(10));
        List<String> devices = List.of("w", "l", "l");
        long wanMac = PcapRun.macOf("w");
        long lanMac = PcapRun.macOf("l");
        int guestHost = ip("192.168.10.5");
        long guestMac = mac("02:00:00:00:10:05");
        byte[] tagged = Frames.udp4(guestMac, lanMac, guestHost, OUTSIDE, 5000, 53, PAYLOAD).vlan(10).build();
        byte[] back = Frames.udp4(OUTSIDE_MAC, wanMac, OUTSIDE, guestHost, 53, 5000, PAYLOAD).build();
        PcapRun.Result r = PcapRun.run(dir, ports, devices, Map.of(
                "w", List.of(Frames.arpReply(OUTSIDE_MAC, OUTSIDE, wanMac, WAN), back),
                "l", List.of(Frames.arp(Frames.ARP_REPLY, guestMac, guestHost, lanMac, ip("192.168.10.1"))
                        .ethDst(lanMac).vlan(10).build(), tagged)), List.of());
        List<Decoded.Frame> wan = withoutAnnouncements(r.out("w"));
        assertEquals(1, wan.size(), wan.toString());
        assertEquals(-1, wan.get(0).vlan(), "leaves the untagged WAN untagged");
        assertEquals(guestHost, wan.get(0).ipv4().src());
        assertTrue(wan.get(0).ipv4().udp().checksumValid());
        // The reply from the WAN is read before the guest's ARP reply: it waits for resolution.
        List<Decoded.Frame> lanAll = withoutAnnouncements(r.out("l"));
        assertEquals(2, lanAll.size(), lanAll.toString());
        Decoded.Frame request = lanAll.get(0);
        assertEquals(10, request.vlan(), "the ARP request goes out on the guest VLAN");
        assertEquals(guestHost, request.arp().tpa());
        assertEquals(ip("192.168.10.1"), request.arp().spa());
        List<Decoded.Frame> lan = lanAll.subList(1, 2);
        assertEquals(10, lan.get(0).vlan(), "enters the guest VLAN tagged");
        assertEquals(guestMac, lan.get(0).dstMac());
        assertEquals(guestHost, lan.get(0).ipv4().dst());
        assertEquals(63, lan.get(0).ipv4().ttl());
        assertTrue(lan.get(0).ipv4().headerChecksumValid());
        assertFalse(lan.get(0).truncated());
    }

    @Test
    void followsStaticRoutesAndTheDefaultGateway() throws Exception {
        int gw = ip("203.0.113.254");
        int lanRouter = ip("192.168.1.254");
        long lanRouterMac = mac("02:00:00:00:01:fe");
        List<PcapRun.Port> ports = List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24").gateway(gw),
                PcapRun.Port.of("lan", false, "192.168.1.1/24"));
        List<EngineConfig.StaticRoute> routes = List.of(new EngineConfig.StaticRoute(ip("10.20.0.0"), 16, lanRouter));
        long wanMac = PcapRun.macOf("w");
        long lanMac = PcapRun.macOf("l");
        byte[] toInternet = Frames.udp4(INSIDE_MAC, lanMac, INSIDE, ip("198.51.100.7"), 1, 2, PAYLOAD).build();
        byte[] toBranch = Frames.udp4(OUTSIDE_MAC, wanMac, ip("198.51.100.7"), ip("10.20.3.4"), 2, 1, PAYLOAD).build();
        PcapRun.Result r = PcapRun.run(dir, ports, List.of("w", "l"), Map.of(
                "w", List.of(Frames.arpReply(OUTSIDE_MAC, gw, wanMac, WAN), toBranch),
                "l", List.of(Frames.arpReply(lanRouterMac, lanRouter, lanMac, LAN), toInternet)), routes);
        List<Decoded.Frame> wan = withoutAnnouncements(r.out("w"));
        assertEquals(1, wan.size(), wan.toString());
        assertEquals(OUTSIDE_MAC, wan.get(0).dstMac(), "sent to the default gateway's MAC");
        assertEquals(ip("198.51.100.7"), wan.get(0).ipv4().dst());
        // The WAN packet is read before the LAN router's ARP reply: it is queued, the router resolved, then sent.
        List<Decoded.Frame> lanAll = withoutAnnouncements(r.out("l"));
        assertEquals(2, lanAll.size(), lanAll.toString());
        assertEquals(lanRouter, lanAll.get(0).arp().tpa(), "the next hop is resolved, not the destination");
        List<Decoded.Frame> lan = lanAll.subList(1, 2);
        assertEquals(lanRouterMac, lan.get(0).dstMac(), "sent to the static route's next hop");
        assertEquals(ip("10.20.3.4"), lan.get(0).ipv4().dst());
    }
}
