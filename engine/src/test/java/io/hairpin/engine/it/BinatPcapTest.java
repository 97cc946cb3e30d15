package io.hairpin.engine.it;

import static io.hairpin.engine.it.PcapOutput.assertValid;
import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.OneToOne;
import io.hairpin.engine.nat.NatConfig.Reflection;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 1:1 NAT on real DPDK: crafted frames in through net_pcap, translated frames checked by the oracle. */
class BinatPcapTest {
    static final int WAN_IP = ip("198.51.100.1");
    static final int LAN_IP = ip("10.3.1.1");
    static final int SERVER = ip("10.3.1.15");
    static final int SERVER_PUBLIC = ip("198.51.100.210");
    static final int CLIENT = ip("10.3.1.30");
    static final int CLIENT_PUBLIC = ip("198.51.100.230");
    static final int REMOTE = ip("198.51.100.254");
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");
    static final long REMOTE_MAC = mac("02:00:00:00:02:54");
    static final long SERVER_MAC = mac("02:00:00:00:01:15");
    static final long CLIENT_MAC = mac("02:00:00:00:01:30");
    static final byte[] PAYLOAD = "one to one".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    static OneToOne binat(int external, int internal, int len, List<NatConfig.InboundAllow> inbound) {
        return new OneToOne(0, external, internal, len, false, Destination.ANY, Reflection.DEFAULT, null, true, inbound, "");
    }

    private PcapRun.Result run(List<OneToOne> rules, List<byte[]> wanIn, List<byte[]> lanIn) throws Exception {
        NatConfig nat = new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0, rules, List.of(), List.of());
        return PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "198.51.100.1/24"),
                PcapRun.Port.of("lan", false, "10.3.1.1/24")), List.of("w", "l"),
                Map.of("w", wanIn, "l", lanIn), List.of(), nat);
    }

    private static List<Decoded.Frame> sent(List<byte[]> frames) {
        return frames.stream().map(Decoded::frame)
                .filter(f -> !(f.arp() != null && f.arp().op() == Frames.ARP_REQUEST && f.arp().spa() == f.arp().tpa()))
                .toList();
    }

    @Test
    void translatesInboundAndOutboundAndAnswersArpForThePublicAddress() throws Exception {
        List<byte[]> wanIn = List.of(
                Frames.arpRequest(REMOTE_MAC, REMOTE, SERVER_PUBLIC),
                Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, PAYLOAD).build(),
                Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4001, 80, 7, 0, Frames.TCP_SYN, new byte[0]).build(),
                Frames.icmpEcho4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, Frames.ICMP_ECHO_REQUEST, 9, 1, PAYLOAD).build());
        List<byte[]> lanIn = List.of(
                Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP),
                Frames.udp4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 53, 4000, PAYLOAD).build());
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null)), wanIn, lanIn);

        List<Decoded.Frame> wan = sent(r.out("w"));
        Decoded.Frame arpReply = wan.get(0);
        assertEquals(Frames.ARP_REPLY, arpReply.arp().op(), "proxy ARP for the 1:1 address");
        assertEquals(SERVER_PUBLIC, arpReply.arp().spa());
        assertEquals(WAN_MAC, arpReply.arp().sha());
        // the server's reply leaves with its public address (and the remote must be resolved first)
        Decoded.Frame out = wan.stream().filter(f -> f.ipv4() != null).findFirst().orElseThrow();
        assertEquals(SERVER_PUBLIC, out.ipv4().src());
        assertEquals(REMOTE, out.ipv4().dst());
        assertEquals(53, out.ipv4().udp().sport(), "1:1 never changes ports");
        assertValid(out.ipv4());
        assertArrayEquals(PAYLOAD, out.ipv4().udp().payload());

        List<Decoded.Ipv4> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
        assertEquals(3, lan.size());
        for (Decoded.Ipv4 p : lan) {
            assertEquals(REMOTE, p.src(), "1:1 inbound keeps the remote source");
            assertEquals(SERVER, p.dst());
            assertEquals(63, p.ttl());
            assertValid(p);
        }
        assertEquals(4000, lan.get(0).udp().sport());
        assertEquals(Frames.TCP_SYN, lan.get(1).tcp().flags());
        assertEquals(Frames.ICMP_ECHO_REQUEST, lan.get(2).icmp().type());
        assertEquals(4, r.event(Counters.NAT_TRANSLATED));
    }

    @Test
    void subnetRulesKeepHostBits() throws Exception {
        int extBase = ip("198.51.100.64");
        int intBase = ip("10.3.1.200");
        List<byte[]> wanIn = List.of(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP),
                Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, extBase + 2, 1, 2, PAYLOAD).build());
        List<byte[]> lanIn = List.of(
                Frames.arpReply(SERVER_MAC, intBase + 2, LAN_MAC, LAN_IP),
                Frames.udp4(SERVER_MAC, LAN_MAC, intBase + 3, REMOTE, 2, 1, PAYLOAD).build());
        PcapRun.Result r = run(List.of(binat(extBase, intBase, 30, null)), wanIn, lanIn);
        Decoded.Ipv4 in = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).findFirst().orElseThrow().ipv4();
        assertEquals(intBase + 2, in.dst());
        assertValid(in);
        Decoded.Ipv4 out = sent(r.out("w")).stream().filter(f -> f.ipv4() != null).findFirst().orElseThrow().ipv4();
        assertEquals(extBase + 3, out.src());
        assertValid(out);
    }

    @Test
    void icmpErrorsHaveTheirQuoteTranslatedAndBadOnesAreDropped() throws Exception {
        // The server sent UDP from its public address to REMOTE; a router on the way reports it unreachable.
        byte[] sentByServer = Frames.udp4(WAN_MAC, REMOTE_MAC, SERVER_PUBLIC, REMOTE, 53, 4000, PAYLOAD).ttl(63).packet();
        int router = ip("198.51.100.253");
        long routerMac = mac("02:00:00:00:02:53");
        byte[] error = Frames.icmpError4(routerMac, WAN_MAC, router, SERVER_PUBLIC, Frames.ICMP_DEST_UNREACHABLE, 1, 0,
                sentByServer).build();
        byte[] badError = Frames.icmpError4(routerMac, WAN_MAC, router, SERVER_PUBLIC, Frames.ICMP_DEST_UNREACHABLE, 1, 0,
                sentByServer).corruptL4Checksum().build();
        List<byte[]> lanIn = List.of(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP));
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null)), List.of(error, badError), lanIn);
        List<Decoded.Ipv4> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
        assertEquals(1, lan.size());
        Decoded.Ipv4 p = lan.get(0);
        assertEquals(router, p.src());
        assertEquals(SERVER, p.dst());
        assertValid(p);
        Decoded.Ipv4 quoted = p.icmp().quoted();
        assertEquals(SERVER, quoted.src(), "the quote shows the packet as the server sent it");
        assertEquals(REMOTE, quoted.dst());
        assertTrue(quoted.headerChecksumValid());
        assertEquals(1, r.event(Counters.BAD_ICMP_CHECKSUM));
    }

    /**
     * RFC 5508 REQ-4: an error from a 1:1 host leaves with its quote translated when a mapping holds
     * the quoted packet, and is dropped when none does: a quote of a packet to another internal host,
     * or from another sender than the one the error goes to, would show the outside internal addresses.
     */
    @Test
    void anErrorFromAOneToOneHostWhoseQuoteNoMappingHoldsIsDroppedNotLeaked() throws Exception {
        int other = ip("10.3.1.99");
        byte[] toServer = Frames.udp4(0, 0, REMOTE, SERVER, 4000, 53, PAYLOAD).packet();
        byte[] toOther = Frames.udp4(0, 0, REMOTE, other, 4000, 53, PAYLOAD).packet();
        byte[] fromOther = Frames.udp4(0, 0, other, SERVER, 4000, 53, PAYLOAD).packet();
        List<byte[]> lanIn = List.of(
                Frames.icmpError4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, Frames.ICMP_DEST_UNREACHABLE, 3, 0, toServer).build(),
                Frames.icmpError4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, Frames.ICMP_DEST_UNREACHABLE, 3, 0, toOther).build(),
                Frames.icmpError4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, Frames.ICMP_DEST_UNREACHABLE, 3, 0, fromOther).build());
        List<byte[]> wanIn = List.of(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP));
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null)), wanIn, lanIn);
        List<Decoded.Ipv4> wan = sent(r.out("w")).stream().filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
        assertEquals(1, wan.size(), "only the error whose quote a mapping holds leaves: " + wan);
        Decoded.Ipv4 p = wan.get(0);
        assertEquals(SERVER_PUBLIC, p.src());
        assertEquals(REMOTE, p.dst());
        assertValid(p);
        assertEquals(REMOTE, p.icmp().quoted().src());
        assertEquals(SERVER_PUBLIC, p.icmp().quoted().dst(), "the quote shows the packet as REMOTE sent it");
        assertTrue(p.icmp().quoted().headerChecksumValid());
        assertEquals(2, r.event(Counters.NAT_NO_MAPPING));
    }

    /**
     * The other way: an error from outside reaches a 1:1 host only when it quotes a packet that host
     * sent (the quote's source is the public address the error goes to); any other quote is a packet
     * no mapping holds (RFC 5508 REQ-4), and the host would be told of traffic it never sent.
     */
    @Test
    void anErrorToAOneToOneHostThatQuotesAnotherSendersPacketIsDropped() throws Exception {
        byte[] fromServer = Frames.udp4(0, 0, SERVER_PUBLIC, REMOTE, 53, 4000, PAYLOAD).ttl(63).packet();
        byte[] fromOther = Frames.udp4(0, 0, CLIENT_PUBLIC, REMOTE, 53, 4000, PAYLOAD).ttl(63).packet();
        List<byte[]> wanIn = List.of(
                Frames.icmpError4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, Frames.ICMP_DEST_UNREACHABLE, 3, 0,
                        fromServer).build(),
                Frames.icmpError4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, Frames.ICMP_DEST_UNREACHABLE, 3, 0,
                        fromOther).build());
        List<byte[]> lanIn = List.of(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP));
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null), binat(CLIENT_PUBLIC, CLIENT, 32, null)),
                wanIn, lanIn);
        List<Decoded.Ipv4> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
        assertEquals(1, lan.size(), "only the error about the host's own packet reaches it: " + lan);
        Decoded.Ipv4 p = lan.get(0);
        assertEquals(REMOTE, p.src());
        assertEquals(SERVER, p.dst());
        assertValid(p);
        assertEquals(SERVER, p.icmp().quoted().src(), "the quote shows the packet as the host sent it");
        assertEquals(REMOTE, p.icmp().quoted().dst());
        assertTrue(p.icmp().quoted().headerChecksumValid());
        assertEquals(1, r.event(Counters.NAT_NO_MAPPING));
    }

    @Test
    void hairpinBetweenTwoOneToOneHostsShowsTheClientsPublicAddress() throws Exception {
        List<byte[]> lanIn = List.of(
                Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP),
                Frames.arpReply(CLIENT_MAC, CLIENT, LAN_MAC, LAN_IP),
                Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, SERVER_PUBLIC, 40000, 443, 1, 0, Frames.TCP_SYN, new byte[0]).build(),
                Frames.tcp4(SERVER_MAC, LAN_MAC, SERVER, CLIENT_PUBLIC, 443, 40000, 9, 2, Frames.TCP_SYN | Frames.TCP_ACK,
                        new byte[0]).build());
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null), binat(CLIENT_PUBLIC, CLIENT, 32, null)),
                List.of(), lanIn);
        List<Decoded.Frame> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).toList();
        assertEquals(2, lan.size());
        Decoded.Ipv4 syn = lan.get(0).ipv4();
        assertEquals(SERVER_MAC, lan.get(0).dstMac());
        assertEquals(CLIENT_PUBLIC, syn.src(), "the server sees the client's public identity");
        assertEquals(SERVER, syn.dst());
        assertValid(syn);
        Decoded.Ipv4 synAck = lan.get(1).ipv4();
        assertEquals(CLIENT_MAC, lan.get(1).dstMac());
        assertEquals(SERVER_PUBLIC, synAck.src(), "the client hears back from the address it called");
        assertEquals(CLIENT, synAck.dst());
        assertValid(synAck);
        assertEquals(0, sent(r.out("w")).size(), "hairpin traffic never leaves on the WAN");
    }

    /**
     * Reflected, the same rules: an error one 1:1 host sends to another's public address reaches
     * that host only when it quotes a packet from that public address to the reporting host or to
     * another 1:1 host (shown by its public address, as the server sent it); a quote of another
     * sender's packet or of one to a host no rule maps is one no mapping holds, and a quote too
     * short to read cannot be translated.
     */
    @Test
    void aReflectedErrorReachesTheOneToOneHostOnlyWhenItQuotesThatHostsPacket() throws Exception {
        int other = ip("10.3.1.40");
        int otherPublic = ip("198.51.100.240");
        byte[] fromServer = Frames.udp4(0, 0, SERVER_PUBLIC, CLIENT, 53, 4000, PAYLOAD).ttl(63).packet();
        byte[] toOther = Frames.udp4(0, 0, SERVER_PUBLIC, other, 53, 4001, PAYLOAD).ttl(63).packet();
        byte[] fromRemote = Frames.udp4(0, 0, REMOTE, CLIENT, 53, 4000, PAYLOAD).ttl(63).packet();
        byte[] toUnmapped = Frames.udp4(0, 0, SERVER_PUBLIC, ip("10.3.1.99"), 53, 4000, PAYLOAD).ttl(63).packet();
        byte[] cutShort = java.util.Arrays.copyOf(fromServer, 12);
        List<byte[]> lanIn = new java.util.ArrayList<>(List.of(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP)));
        for (byte[] quote : List.of(fromServer, toOther, fromRemote, toUnmapped, cutShort)) {
            lanIn.add(Frames.icmpError4(CLIENT_MAC, LAN_MAC, CLIENT, SERVER_PUBLIC, Frames.ICMP_DEST_UNREACHABLE, 3, 0,
                    quote).build());
        }
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null), binat(CLIENT_PUBLIC, CLIENT, 32, null),
                binat(otherPublic, other, 32, null)), List.of(), lanIn);
        List<Decoded.Frame> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).toList();
        assertEquals(2, lan.size(), "only the errors about the server's own packets reach it: " + lan);
        int[] quotedDst = {CLIENT_PUBLIC, otherPublic};
        for (int i = 0; i < 2; i++) {
            assertEquals(SERVER_MAC, lan.get(i).dstMac());
            Decoded.Ipv4 p = lan.get(i).ipv4();
            assertEquals(CLIENT_PUBLIC, p.src(), "the server hears from the client's public identity");
            assertEquals(SERVER, p.dst());
            assertValid(p);
            assertEquals(SERVER, p.icmp().quoted().src(), "the quote shows the packet as the server sent it");
            assertEquals(quotedDst[i], p.icmp().quoted().dst());
        }
        assertEquals(2, r.event(Counters.NAT_NO_MAPPING));
        assertEquals(1, r.event(Counters.NAT_BAD_QUOTE));
        assertEquals(0, sent(r.out("w")).size(), "reflected errors never leave on the WAN");
    }

    @Test
    void neverLeaksAnUntranslatedInternalSourceAndHonoursTheInboundList() throws Exception {
        List<byte[]> lanIn = List.of(
                Frames.udp4(CLIENT_MAC, LAN_MAC, ip("10.3.1.99"), REMOTE, 1, 2, PAYLOAD).build());
        List<byte[]> wanIn = List.of(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP),
                Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 5, 22, 1, 0, Frames.TCP_SYN, new byte[0]).build(),
                Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 5, 80, 1, 0, Frames.TCP_SYN, new byte[0]).build());
        List<NatConfig.InboundAllow> webOnly = List.of(new NatConfig.InboundAllow(6, 80, 80));
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, webOnly)), wanIn, lanIn);
        assertEquals(0, sent(r.out("w")).stream().filter(f -> f.ipv4() != null).count());
        assertEquals(1, r.event(Counters.NAT_UNTRANSLATED_SOURCE));
        assertEquals(1, r.event(Counters.NAT_NOT_ADMITTED));
        List<Decoded.Frame> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null || f.arp() != null).toList();
        assertEquals(ip("10.3.1.15"), lan.get(0).arp().tpa(), "port 80 is admitted: the server gets resolved");
    }

    @Test
    void translatesEveryFragmentStatelessly() throws Exception {
        byte[] first = Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, new byte[64]).id(77).mf(true)
                .build();
        byte[] later = Frames.ipv4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC).id(77).fragOffset(9)
                .payload(17, new byte[32]).build();
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null)),
                List.of(first, later), List.of(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP)));
        List<Decoded.Ipv4> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
        assertEquals(2, lan.size());
        for (Decoded.Ipv4 p : lan) {
            assertEquals(SERVER, p.dst());
            assertEquals(77, p.id());
            assertTrue(p.headerChecksumValid());
        }
        assertTrue(lan.get(0).mf());
        assertEquals(9, lan.get(1).fragOffset());
        assertEquals(4000, lan.get(0).udp().sport(), "the first fragment keeps its ports");
    }

    @Test
    void announcesPublicAddressesWithGratuitousArpExceptWhereProxyArpIsOff() throws Exception {
        OneToOne quiet = new OneToOne(0, CLIENT_PUBLIC, CLIENT, 32, false, Destination.ANY, Reflection.DEFAULT, null,
                false, null, "");
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null), quiet), List.of(), List.of());
        List<Integer> announced = r.out("w").stream().map(Decoded::frame)
                .filter(f -> f.arp() != null && f.arp().spa() == f.arp().tpa()).map(f -> f.arp().spa()).toList();
        assertEquals(List.of(WAN_IP, SERVER_PUBLIC), announced);
    }

    @Test
    void aTcpOrUdpHeaderCutShortIsDroppedAsTruncatedNotTranslatedFromPadding() throws Exception {
        List<byte[]> wanIn = List.of(
                Frames.ipv4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC).payload(17, new byte[] {0x0f, (byte) 0xa0, 0, 53})
                        .build(),
                Frames.ipv4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC).payload(6, new byte[16]).mf(true).build(),
                Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, SERVER_PUBLIC, 4000, 53, PAYLOAD).build());
        List<byte[]> lanIn = List.of(Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP));
        PcapRun.Result r = run(List.of(binat(SERVER_PUBLIC, SERVER, 32, null)), wanIn, lanIn);

        List<Decoded.Ipv4> lan = sent(r.out("l")).stream().filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
        assertEquals(1, lan.size(), "only the whole UDP datagram gets through: " + lan);
        assertEquals(4000, lan.get(0).udp().sport());
        assertEquals(2, r.event(Counters.TRUNCATED));
        assertEquals(1, r.event(Counters.NAT_TRANSLATED));
    }
}
