package io.hairpin.engine.it;

import static io.hairpin.engine.it.PcapOutput.assertValid;
import static io.hairpin.engine.it.PcapOutput.ipv4;
import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.Reflection;
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

/** Outbound NAPT, port forwards and reflection through sessions, on real DPDK. */
class NaptPcapTest {
    static final int WAN_IP = ip("203.0.113.1");
    static final int LAN_IP = ip("192.168.1.1");
    static final int CLIENT = ip("192.168.1.10");
    static final int CLIENT2 = ip("192.168.1.11");
    static final int SERVER = ip("192.168.1.20");
    static final int REMOTE = ip("203.0.113.254");
    static final int REMOTE2 = ip("203.0.113.253");
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");
    static final long REMOTE_MAC = mac("02:00:00:00:02:54");
    static final long REMOTE2_MAC = mac("02:00:00:00:02:53");
    static final long CLIENT_MAC = mac("02:00:00:00:01:10");
    static final long CLIENT2_MAC = mac("02:00:00:00:01:11");
    static final long SERVER_MAC = mac("02:00:00:00:01:20");
    static final byte[] PAYLOAD = "napt".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    static final List<byte[]> WAN_NEIGHBOURS = List.of(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP),
            Frames.arpReply(REMOTE2_MAC, REMOTE2, WAN_MAC, WAN_IP));
    static final List<byte[]> LAN_NEIGHBOURS = List.of(Frames.arpReply(CLIENT_MAC, CLIENT, LAN_MAC, LAN_IP),
            Frames.arpReply(CLIENT2_MAC, CLIENT2, LAN_MAC, LAN_IP), Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP));

    static NatConfig nat(NatConfig.ReflectionSource source, NatConfig.Filtering filtering, int maxSessions) {
        return new NatConfig(true, source, filtering, NatConfig.Timeouts.DEFAULTS, maxSessions, 0, List.of(),
                List.of(new NatConfig.PortForward(0, NatConfig.PROTO_TCP, WAN_IP, 8080, 8080, SERVER, 80, Destination.ANY,
                        Reflection.DEFAULT, null, "web")),
                List.of(new NatConfig.Outbound(0, ip("192.168.1.0"), 24, new int[0], false, "")));
    }

    private PcapRun.Result run(NatConfig nat, List<byte[]> wanIn, List<byte[]> lanIn) throws Exception {
        List<byte[]> w = new ArrayList<>(WAN_NEIGHBOURS);
        w.addAll(wanIn);
        List<byte[]> l = new ArrayList<>(LAN_NEIGHBOURS);
        l.addAll(lanIn);
        return PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), Map.of("w", w, "l", l), List.of(), nat);
    }

    static byte[] udpOut(long mac, int src, int sport, int dst, int dport) {
        return Frames.udp4(mac, LAN_MAC, src, dst, sport, dport, PAYLOAD).build();
    }

    static byte[] udpIn(long mac, int src, int sport, int dport) {
        return Frames.udp4(mac, WAN_MAC, src, WAN_IP, sport, dport, PAYLOAD).build();
    }

    @Test
    void outboundUdpKeepsItsPortAndItsMappingAndRepliesComeBack() throws Exception {
        // the replies come after the requests in the WAN input, which is read first: pad with the
        // requests' own processing by putting the replies behind padding frames would be fragile,
        // so the same pcap carries both and order is per port; replies on WAN are read in the
        // next bursts, after the LAN requests opened the sessions.
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                List.of(),
                List.of(udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53), udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE2, 53),
                        udpOut(CLIENT2_MAC, CLIENT2, 5000, REMOTE, 53)));
        List<Decoded.Ipv4> wan = ipv4(r.out("w"));
        assertEquals(3, wan.size());
        for (Decoded.Ipv4 p : wan) {
            assertEquals(WAN_IP, p.src(), "the interface address");
            assertValid(p);
            assertArrayEquals(PAYLOAD, p.udp().payload());
        }
        assertEquals(5000, wan.get(0).udp().sport(), "port preserved when free (RFC 4787 REQ-3)");
        assertEquals(5000, wan.get(1).udp().sport(), "endpoint-independent mapping (RFC 4787 REQ-1)");
        assertNotEquals(5000, wan.get(2).udp().sport(), "no port overloading: another host gets another port");
        assertEquals(3, r.event(Counters.NAT_TRANSLATED));
    }

    @Test
    void repliesAndAddressDependentFilteringAndIcmpErrors() throws Exception {
        // Two-phase: the session must exist before the WAN frames are read, so the first run opens
        // it from the LAN while the WAN input is read only after a burst of LAN traffic: the WAN
        // port is polled first, hence the WAN frames are placed behind dropped padding.
        List<byte[]> padding = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            padding.add(Frames.udp4(REMOTE_MAC, mac("02:99:00:00:00:01"), REMOTE, WAN_IP, 1, 1, PAYLOAD).build());
        }
        byte[] sentByNat = Frames.udp4(WAN_MAC, REMOTE_MAC, WAN_IP, REMOTE, 5000, 53, PAYLOAD).ttl(63).packet();
        List<byte[]> wanIn = new ArrayList<>(padding);
        wanIn.add(udpIn(REMOTE_MAC, REMOTE, 53, 5000));            // the reply: admitted by the session
        wanIn.add(udpIn(REMOTE_MAC, REMOTE, 54, 5000));            // same address, other port: address-dependent
        wanIn.add(udpIn(REMOTE2_MAC, REMOTE2, 53, 5000));          // never contacted: filtered
        wanIn.add(Frames.icmpError4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, Frames.ICMP_DEST_UNREACHABLE, 3, 0, sentByNat)
                .build());
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                wanIn, List.of(udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53)));
        List<Decoded.Ipv4> lan = ipv4(r.out("l"));
        assertEquals(3, lan.size(), lan.toString());
        assertEquals(REMOTE, lan.get(0).src());
        assertEquals(CLIENT, lan.get(0).dst());
        assertEquals(5000, lan.get(0).udp().dport());
        assertValid(lan.get(0));
        assertEquals(54, lan.get(1).udp().sport(), "address-dependent filtering admits another port of that address");
        Decoded.Ipv4 err = lan.get(2);
        assertEquals(CLIENT, err.dst());
        assertValid(err);
        assertEquals(CLIENT, err.icmp().quoted().src(), "the quote shows what the client sent");
        assertEquals(REMOTE, err.icmp().quoted().dst());
        assertTrue(err.icmp().quoted().headerChecksumValid());
        assertEquals(1, r.event(Counters.NAT_NOT_ADMITTED), "the never-contacted address is filtered");
    }

    @Test
    void pingsThroughNaptAndBack() throws Exception {
        List<byte[]> padding = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            padding.add(Frames.udp4(REMOTE_MAC, mac("02:99:00:00:00:01"), REMOTE, WAN_IP, 1, 1, PAYLOAD).build());
        }
        List<byte[]> wanIn = new ArrayList<>(padding);
        wanIn.add(Frames.icmpEcho4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, Frames.ICMP_ECHO_REPLY, 0x4242, 1, PAYLOAD).build());
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                wanIn, List.of(Frames.icmpEcho4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x4242, 1,
                        PAYLOAD).build()));
        Decoded.Ipv4 out = ipv4(r.out("w")).get(0);
        assertEquals(WAN_IP, out.src());
        assertEquals(0x4242, out.icmp().id(), "the identifier is preserved like a port");
        assertValid(out);
        Decoded.Ipv4 back = ipv4(r.out("l")).get(0);
        assertEquals(REMOTE, back.src());
        assertEquals(CLIENT, back.dst());
        assertEquals(Frames.ICMP_ECHO_REPLY, back.icmp().type());
        assertValid(back);
    }

    @Test
    void portForwardInboundAndTheServersReply() throws Exception {
        List<byte[]> lanPadding = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            lanPadding.add(Frames.udp4(SERVER_MAC, mac("02:99:00:00:00:02"), SERVER, REMOTE, 1, 1, PAYLOAD).build());
        }
        List<byte[]> lanIn = new ArrayList<>(lanPadding);
        lanIn.add(Frames.tcp4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 80, 4000, 99, 8, Frames.TCP_SYN | Frames.TCP_ACK,
                new byte[0]).build());
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                List.of(Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 4000, 8080, 7, 0, Frames.TCP_SYN, new byte[0])
                        .build()), lanIn);
        Decoded.Ipv4 in = ipv4(r.out("l")).get(0);
        assertEquals(REMOTE, in.src());
        assertEquals(SERVER, in.dst());
        assertEquals(80, in.tcp().dport());
        assertValid(in);
        Decoded.Ipv4 out = ipv4(r.out("w")).get(0);
        assertEquals(WAN_IP, out.src());
        assertEquals(8080, out.tcp().sport(), "the reply comes from the forwarded port");
        assertEquals(4000, out.tcp().dport());
        assertValid(out);
    }

    private Decoded.Ipv4 hairpinViaForward(NatConfig.ReflectionSource source) throws Exception {
        PcapRun.Result r = run(nat(source, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000), List.of(),
                List.of(Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, WAN_IP, 40000, 8080, 1, 0, Frames.TCP_SYN, new byte[0])
                        .build()));
        List<Decoded.Frame> lan = r.out("l").stream().map(Decoded::frame).filter(f -> f.ipv4() != null).toList();
        assertEquals(1, lan.size());
        assertEquals(SERVER_MAC, lan.get(0).dstMac());
        assertEquals(0, ipv4(r.out("w")).size(), "hairpin traffic never leaves on the WAN");
        return lan.get(0).ipv4();
    }

    @Test
    void hairpinThroughAPortForwardShowsTheClientsMappingOrTheInterface() throws Exception {
        Decoded.Ipv4 mapped = hairpinViaForward(NatConfig.ReflectionSource.MAPPED);
        assertEquals(WAN_IP, mapped.src(), "mapped: the client's NAPT address");
        assertEquals(SERVER, mapped.dst());
        assertEquals(80, mapped.tcp().dport());
        assertEquals(40000, mapped.tcp().sport(), "the client's mapping preserved its port");
        assertValid(mapped);
        Decoded.Ipv4 iface = hairpinViaForward(NatConfig.ReflectionSource.INTERFACE);
        assertEquals(LAN_IP, iface.src(), "interface: the appliance's LAN address");
        assertEquals(SERVER, iface.dst());
        assertValid(iface);
    }

    @Test
    void aFullSessionTableDropsAndCountsNewFlows() throws Exception {
        List<byte[]> lanIn = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            lanIn.add(udpOut(CLIENT_MAC, CLIENT, 6000 + i, REMOTE, 53));
        }
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 16),
                List.of(), lanIn);
        assertEquals(16, ipv4(r.out("w")).size());
        assertEquals(8, r.event(Counters.NAT_SESSIONS_FULL));
        for (Decoded.Ipv4 p : ipv4(r.out("w"))) {
            assertEquals(WAN_IP, p.src(), "nothing leaves untranslated");
        }
    }

    @Test
    void protocolsWithoutPortsCannotUseNaptAndAreNotLeaked() throws Exception {
        byte[] gre = Frames.ipv4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE).payload(47, new byte[24]).build();
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                List.of(), List.of(gre));
        assertEquals(0, ipv4(r.out("w")).size());
        assertEquals(1, r.event(Counters.NAT_NO_MAPPING));
    }

    static byte[] firstFragment(long mac, long dstMac, int src, int dst, int sport, int dport, int id) {
        return Frames.udp4(mac, dstMac, src, dst, sport, dport, new byte[32]).id(id).mf(true).build();
    }

    /** The rest of the datagram: 16 bytes at offset 40 (5 units), after the 8-byte UDP header and 32 bytes. */
    static byte[] laterFragment(long mac, long dstMac, int src, int dst, int id, int offsetUnits) {
        return Frames.ipv4(mac, dstMac, src, dst).id(id).fragOffset(offsetUnits).payload(17, new byte[16]).build();
    }

    @Test
    void outboundFragmentsFollowTheFirstFragmentsTranslationInAnyOrder() throws Exception {
        List<byte[]> lanIn = List.of(
                firstFragment(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 5000, 53, 100),
                laterFragment(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 100, 5),
                laterFragment(CLIENT_MAC, LAN_MAC, CLIENT2, REMOTE, 200, 5),          // early: parked
                firstFragment(CLIENT2_MAC, LAN_MAC, CLIENT2, REMOTE, 5000, 53, 200));
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                List.of(), lanIn);
        List<Decoded.Ipv4> wan = ipv4(r.out("w"));
        assertEquals(4, wan.size(), r.events() + " " + wan);
        for (Decoded.Ipv4 p : wan) {
            assertEquals(WAN_IP, p.src(), "every fragment leaves translated");
            assertTrue(p.headerChecksumValid());
        }
        assertEquals(100, wan.get(0).id());
        assertEquals(5000, wan.get(0).udp().sport());
        assertEquals(5, wan.get(1).fragOffset());
        assertEquals(200, wan.get(2).id(), "the parked fragment waits for its first fragment");
        assertEquals(0, wan.get(2).fragOffset());
        assertEquals(200, wan.get(3).id());
        assertEquals(5, wan.get(3).fragOffset(), "then follows it");
        assertEquals(1, r.event(Counters.FRAGMENTS_PARKED));
    }

    @Test
    void inboundFragmentsOfASessionAreReassembledVirtuallyAndBadOnesCounted() throws Exception {
        List<byte[]> wanIn = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, mac("02:99:00:00:00:01"), REMOTE, WAN_IP, 1, 1, PAYLOAD).build());
        }
        wanIn.add(laterFragment(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 300, 5));              // early: bytes 40..55
        wanIn.add(Frames.ipv4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP).id(300).fragOffset(4).mf(true) // 32..47 overlaps
                .payload(17, new byte[16]).build());
        wanIn.add(firstFragment(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 53, 5000, 300));      // 0..39 completes it
        wanIn.add(laterFragment(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 301, 5));              // its first never comes
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                wanIn, List.of(udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53)));
        List<Decoded.Ipv4> lan = ipv4(r.out("l"));
        assertEquals(2, lan.size(), lan.toString());
        assertEquals(CLIENT, lan.get(0).dst());
        assertEquals(5000, lan.get(0).udp().dport());
        assertEquals(CLIENT, lan.get(1).dst(), "the early fragment follows once the first is translated");
        assertEquals(5, lan.get(1).fragOffset());
        assertTrue(lan.get(1).headerChecksumValid());
        assertEquals(1, r.event(Counters.FRAGMENT_OVERLAP));
        assertEquals(1, r.event(Counters.FRAGMENT_TIMEOUT), "the orphan is freed, never forwarded");
    }

    @Test
    void addressDependentFilteringAdmitsEveryAddressTheHostSentToAndNoOther() throws Exception {
        List<byte[]> wanIn = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            wanIn.add(Frames.udp4(REMOTE_MAC, mac("02:99:00:00:00:01"), REMOTE, WAN_IP, 1, 1, PAYLOAD).build());
        }
        int stranger = ip("203.0.113.200");
        wanIn.add(udpIn(REMOTE_MAC, REMOTE, 9999, 5000));    // the first address the host sent to, a new port
        wanIn.add(udpIn(REMOTE2_MAC, REMOTE2, 9999, 5000));  // the second one
        wanIn.add(udpIn(REMOTE_MAC, stranger, 9999, 5000));  // never contacted
        PcapRun.Result r = run(nat(NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT, 1000),
                wanIn, List.of(udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53), udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE2, 53)));
        List<Decoded.Ipv4> lan = ipv4(r.out("l"));
        assertEquals(2, lan.size(), lan.toString());
        assertEquals(REMOTE, lan.get(0).src());
        assertEquals(REMOTE2, lan.get(1).src());
        assertEquals(CLIENT, lan.get(0).dst());
        assertEquals(1, r.event(Counters.NAT_NOT_ADMITTED));
    }
}
