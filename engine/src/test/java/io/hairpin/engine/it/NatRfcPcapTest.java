package io.hairpin.engine.it;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.Filtering;
import io.hairpin.engine.nat.NatConfig.Reflection;
import io.hairpin.engine.nat.NatConfig.ReflectionSource;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NAT behaviour the RFCs (4787, 5382, 5508, 7857) and the product spec (§2, §3) require, on real
 * DPDK through net_pcap: ICMP errors both ways for NAPT, port forwards and 1:1; errors about
 * flows that do not exist; errors never touching sessions; zero UDP checksums; rule precedence;
 * TCP simultaneous open and RST; port exhaustion; reflection to another internal interface;
 * spoofed sources; the three filtering modes; paired pooling.
 *
 * <p>The oracle is independent of the engine: frames are built by {@link Frames} and what comes
 * out is decoded by {@link Decoded}, which recomputes every checksum. For ICMP errors the quote
 * the appliance restores is compared byte for byte with the packet as its sender originally built
 * it (so the embedded header and UDP/TCP/ICMP checksums are checked exactly, even in an 8-byte
 * RFC 792 quote where no checksum can be recomputed).
 *
 * <p>Ordering between ports is made with {@link PcapScript} phases (padding frames dropped as
 * not_for_us), since the worker reads the WAN port before the LAN port in each iteration.
 */
class NatRfcPcapTest {
    static final int WAN = 0;
    static final int WAN_IP = ip("203.0.113.1");
    static final int LAN_IP = ip("192.168.1.1");
    static final int DMZ_IP = ip("172.16.0.1");
    static final int LAN_NET = ip("192.168.1.0");
    static final int REMOTE = ip("203.0.113.254");
    static final int REMOTE2 = ip("203.0.113.253");
    /** A router on the Internet side that reports errors about packets passing it. */
    static final int ROUTER = ip("203.0.113.250");
    static final int POOL = ip("203.0.113.5");
    static final int PUB = ip("203.0.113.20");
    static final int CLIENT = ip("192.168.1.10");
    static final int CLIENT2 = ip("192.168.1.11");
    static final int SERVER = ip("192.168.1.20");
    static final int WEB = ip("192.168.1.30");
    static final int DMZ_SERVER = ip("172.16.0.20");

    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");
    static final long DMZ_MAC = PcapRun.macOf("d");
    static final long REMOTE_MAC = mac("02:00:00:00:02:54");
    static final long REMOTE2_MAC = mac("02:00:00:00:02:53");
    static final long ROUTER_MAC = mac("02:00:00:00:02:50");
    static final long CLIENT_MAC = mac("02:00:00:00:01:10");
    static final long CLIENT2_MAC = mac("02:00:00:00:01:11");
    static final long SERVER_MAC = mac("02:00:00:00:01:20");
    static final long WEB_MAC = mac("02:00:00:00:01:30");
    static final long DMZ_SERVER_MAC = mac("02:00:00:00:03:20");
    static final byte[] PAYLOAD = "rfc nat".getBytes(StandardCharsets.US_ASCII);

    static final int SYN = Frames.TCP_SYN;
    static final int ACK = Frames.TCP_ACK;
    static final int RST = Frames.TCP_RST;
    static final int UNREACH = Frames.ICMP_DEST_UNREACHABLE;
    static final int TIME_EXCEEDED = Frames.ICMP_TIME_EXCEEDED;

    @TempDir
    Path dir;

    // ---- configuration ----------------------------------------------------------------------

    static NatConfig nat(Filtering filtering, ReflectionSource source, List<NatConfig.OneToOne> oneToOne,
                         List<NatConfig.PortForward> forwards, List<NatConfig.Outbound> outbound) {
        return new NatConfig(true, source, filtering, NatConfig.Timeouts.DEFAULTS, 4096, 0, oneToOne, forwards, outbound);
    }

    static NatConfig nat(List<NatConfig.OneToOne> oneToOne, List<NatConfig.PortForward> forwards,
                         List<NatConfig.Outbound> outbound) {
        return nat(Filtering.ADDRESS_DEPENDENT, ReflectionSource.MAPPED, oneToOne, forwards, outbound);
    }

    static NatConfig.OneToOne oneToOne(int external, int internal, List<NatConfig.InboundAllow> inbound) {
        return new NatConfig.OneToOne(WAN, external, internal, 32, false, Destination.ANY, Reflection.DEFAULT, null, true,
                inbound, "");
    }

    static NatConfig.PortForward forward(int protocols, int external, int externalPort, int internal, int internalPort) {
        return new NatConfig.PortForward(WAN, protocols, external, externalPort, externalPort, internal, internalPort,
                Destination.ANY, Reflection.DEFAULT, null, "");
    }

    /** Outbound NAPT of source/len leaving the WAN; no pool addresses = the interface address. */
    static NatConfig.Outbound outbound(int source, int len, boolean staticPort, int... pool) {
        return new NatConfig.Outbound(WAN, source, len, pool, staticPort, "");
    }

    static NatConfig.Outbound lanOutbound(int... pool) {
        return outbound(LAN_NET, 24, false, pool);
    }

    // ---- frames -----------------------------------------------------------------------------

    static byte[] frame(long srcMac, long dstMac, byte[] packet) {
        return Frames.ethernet(dstMac, srcMac, Frames.ETHERTYPE_IPV4, packet);
    }

    static byte[] udpPacket(int src, int sport, int dst, int dport, int ttl) {
        return Frames.udp4(0, 0, src, dst, sport, dport, PAYLOAD).ttl(ttl).packet();
    }

    static byte[] udpPacketNoChecksum(int src, int sport, int dst, int dport, int ttl) {
        return Frames.udp4(0, 0, src, dst, sport, dport, PAYLOAD).ttl(ttl).l4Checksum(0).packet();
    }

    static byte[] tcpPacket(int src, int sport, int dst, int dport, long seq, long ack, int flags, int ttl) {
        return Frames.tcp4(0, 0, src, dst, sport, dport, seq, ack, flags, new byte[0]).ttl(ttl).packet();
    }

    static byte[] tcpPacket(int src, int sport, int dst, int dport, long seq, long ack, int flags, int ttl, byte[] data) {
        return Frames.tcp4(0, 0, src, dst, sport, dport, seq, ack, flags, data).ttl(ttl).packet();
    }

    static byte[] echoPacket(int src, int dst, int type, int id, int ttl) {
        return Frames.icmpEcho4(0, 0, src, dst, type, id, 1, PAYLOAD).ttl(ttl).packet();
    }

    /** An ICMP error quoting exactly {@code quote} (pass a whole packet, or {@link Frames#icmpQuote} of one). */
    static byte[] icmpError(int src, int dst, int type, int code, int rest, byte[] quote) {
        return Frames.ipv4(0, 0, src, dst).icmp(type, code, rest, quote).packet();
    }

    static byte[] rfc792(byte[] packet) {
        return Frames.icmpQuote(packet);
    }

    // ---- runs -------------------------------------------------------------------------------

    /** wan (w) and lan (l), with the Internet hosts and the LAN hosts resolved in phase 0. */
    static PcapScript script() {
        PcapScript s = new PcapScript("w", "l");
        s.add("w", wanNeighbours());
        s.add("l", lanNeighbours());
        return s.then();
    }

    static List<byte[]> wanNeighbours() {
        return List.of(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP),
                Frames.arpReply(REMOTE2_MAC, REMOTE2, WAN_MAC, WAN_IP),
                Frames.arpReply(ROUTER_MAC, ROUTER, WAN_MAC, WAN_IP));
    }

    static List<byte[]> lanNeighbours() {
        return List.of(Frames.arpReply(CLIENT_MAC, CLIENT, LAN_MAC, LAN_IP),
                Frames.arpReply(CLIENT2_MAC, CLIENT2, LAN_MAC, LAN_IP),
                Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP),
                Frames.arpReply(WEB_MAC, WEB, LAN_MAC, LAN_IP));
    }

    private PcapRun.Result run(NatConfig nat, PcapScript s) throws Exception {
        return PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), s.inputs(), List.of(), nat);
    }

    /** wan (w), lan (l) and a second internal interface dmz (d) with its own subnet. */
    private PcapRun.Result runWithDmz(NatConfig nat, PcapScript s) throws Exception {
        return PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24"), PcapRun.Port.of("dmz", false, "172.16.0.1/24")),
                List.of("w", "l", "d"), s.inputs(), List.of(), nat);
    }

    /** IPv4 frames the appliance sent on a device, in order (its ARP traffic left out). */
    static List<Decoded.Frame> sent(PcapRun.Result r, String device) {
        return r.out(device).stream().map(Decoded::frame).filter(f -> f.ipv4() != null).toList();
    }

    // ---- oracle assertions ------------------------------------------------------------------

    /**
     * An ICMP error as it must leave the appliance: outer addresses, TTL decremented once, type,
     * code and rest of header unchanged, every checksum right, and the quote exactly the packet as
     * its sender built it (addresses, ports or echo identifier, both checksums).
     */
    static Decoded.Ipv4 assertError(Decoded.Frame f, long dstMac, int src, int dst, int type, int code, long rest,
                                    byte[] expectedQuote) {
        Decoded.Ipv4 p = f.ipv4();
        assertEquals(dstMac, f.dstMac(), () -> "next hop of " + p);
        assertEquals(Frames.ipString(src), Frames.ipString(p.src()), () -> "outer source of " + p);
        assertEquals(Frames.ipString(dst), Frames.ipString(p.dst()), () -> "outer destination of " + p);
        assertEquals(63, p.ttl(), "TTL decremented once");
        assertNotNull(p.icmp(), () -> "not ICMP: " + p);
        assertEquals(type, p.icmp().type(), "ICMP type unchanged");
        assertEquals(code, p.icmp().code(), "ICMP code unchanged");
        assertEquals(rest, p.icmp().restOfHeader(), "rest of the ICMP header unchanged");
        PcapOutput.assertValid(p);
        assertArrayEquals(expectedQuote, p.icmp().body(), () -> "quote\n expected " + Decoded.ipv4(expectedQuote)
                + "\n      got " + p.icmp().quoted());
        return p;
    }

    static void assertUdp(Decoded.Frame f, long dstMac, int src, int sport, int dst, int dport) {
        Decoded.Ipv4 p = f.ipv4();
        assertEquals(dstMac, f.dstMac(), () -> "next hop of " + p);
        assertEquals(Frames.ipString(src), Frames.ipString(p.src()), () -> "source of " + p);
        assertEquals(Frames.ipString(dst), Frames.ipString(p.dst()), () -> "destination of " + p);
        assertNotNull(p.udp(), () -> "not UDP: " + p);
        assertEquals(sport, p.udp().sport(), () -> "source port of " + p);
        assertEquals(dport, p.udp().dport(), () -> "destination port of " + p);
        assertArrayEquals(PAYLOAD, p.udp().payload());
        PcapOutput.assertValid(p);
    }

    static void assertTcp(Decoded.Frame f, long dstMac, int src, int sport, int dst, int dport, int flags) {
        Decoded.Ipv4 p = f.ipv4();
        assertEquals(dstMac, f.dstMac(), () -> "next hop of " + p);
        assertEquals(Frames.ipString(src), Frames.ipString(p.src()), () -> "source of " + p);
        assertEquals(Frames.ipString(dst), Frames.ipString(p.dst()), () -> "destination of " + p);
        assertNotNull(p.tcp(), () -> "not TCP: " + p);
        assertEquals(sport, p.tcp().sport(), () -> "source port of " + p);
        assertEquals(dport, p.tcp().dport(), () -> "destination port of " + p);
        assertEquals(flags, p.tcp().flags(), () -> "flags of " + p);
        PcapOutput.assertValid(p);
    }

    static void assertEcho(Decoded.Frame f, long dstMac, int src, int dst, int type, int id) {
        Decoded.Ipv4 p = f.ipv4();
        assertEquals(dstMac, f.dstMac(), () -> "next hop of " + p);
        assertEquals(Frames.ipString(src), Frames.ipString(p.src()), () -> "source of " + p);
        assertEquals(Frames.ipString(dst), Frames.ipString(p.dst()), () -> "destination of " + p);
        assertEquals(type, p.icmp().type());
        assertEquals(id, p.icmp().id(), () -> "echo identifier of " + p);
        PcapOutput.assertValid(p);
    }

    /** Nothing with an internal (RFC 1918) source or an internal address in a quote ever leaves on the WAN. */
    static void assertNoPrivateAddressLeaves(PcapRun.Result r) {
        for (Decoded.Frame f : sent(r, "w")) {
            Decoded.Ipv4 p = f.ipv4();
            assertTrue(!isPrivate(p.src()) && !isPrivate(p.dst()), () -> "private address on the WAN: " + p);
            if (p.icmp() != null && p.icmp().quoted() != null) {
                Decoded.Ipv4 q = p.icmp().quoted();
                assertTrue(!isPrivate(q.src()) && !isPrivate(q.dst()), () -> "private address quoted on the WAN: " + p);
            }
        }
    }

    static boolean isPrivate(int a) {
        return (a >>> 24) == 10 || (a >>> 20) == (172 << 4 | 1) || (a >>> 16) == (192 << 8 | 168);
    }

    // ==== 1. ICMP errors both ways ===========================================================

    @Test
    void naptIcmpErrorsBothWaysQuotingUdpTcpAndEcho() throws Exception {
        NatConfig nat = nat(List.of(), List.of(), List.of(lanOutbound()));
        PcapScript s = script();
        // CLIENT's flows keep their ports; CLIENT2 uses the same ones, so its flows get other ports.
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 80, 1000, 0, SYN, 64)),
                frame(CLIENT_MAC, LAN_MAC, echoPacket(CLIENT, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x4242, 64)),
                frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 5000, REMOTE, 53, 64)),
                frame(CLIENT2_MAC, LAN_MAC, tcpPacket(CLIENT2, 40000, REMOTE, 80, 2000, 0, SYN, 64)),
                frame(CLIENT2_MAC, LAN_MAC, echoPacket(CLIENT2, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x4242, 64)),
                // outbound errors: CLIENT2 reports about the replies it received on its re-mapped flows
                frame(CLIENT2_MAC, LAN_MAC, icmpError(CLIENT2, REMOTE, UNREACH, 3, 0,
                        udpPacket(REMOTE, 53, CLIENT2, 5000, 63))),
                frame(CLIENT2_MAC, LAN_MAC, icmpError(CLIENT2, REMOTE, UNREACH, 13, 0,
                        tcpPacket(REMOTE, 80, CLIENT2, 40000, 700, 2001, SYN | ACK, 63))),
                frame(CLIENT2_MAC, LAN_MAC, icmpError(CLIENT2, REMOTE, UNREACH, 13, 0,
                        echoPacket(REMOTE, CLIENT2, Frames.ICMP_ECHO_REPLY, 0x4242, 63))));
        s.then();
        // inbound errors about what the appliance sent for CLIENT (the engine picks CLIENT2's ports, so
        // those cannot be quoted in a prepared input)
        s.add("w", frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, TIME_EXCEEDED, 0, 0,
                        udpPacket(WAN_IP, 5000, REMOTE, 53, 1))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, UNREACH, 1, 0,
                        rfc792(tcpPacket(WAN_IP, 40000, REMOTE, 80, 1000, 0, SYN, 62)))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, TIME_EXCEEDED, 0, 0,
                        echoPacket(WAN_IP, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x4242, 1))),
                frame(REMOTE_MAC, WAN_MAC, icmpError(REMOTE, WAN_IP, UNREACH, 3, 0,
                        rfc792(udpPacket(WAN_IP, 5000, REMOTE, 53, 63)))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                        tcpPacket(WAN_IP, 40000, REMOTE, 80, 1001, 0, ACK, 62, new byte[64]))));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(9, wan.size(), wan::toString);
        assertUdp(wan.get(0), REMOTE_MAC, WAN_IP, 5000, REMOTE, 53);
        assertTcp(wan.get(1), REMOTE_MAC, WAN_IP, 40000, REMOTE, 80, SYN);
        assertEcho(wan.get(2), REMOTE_MAC, WAN_IP, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x4242);
        int udpPort = wan.get(3).ipv4().udp().sport();
        int tcpPort = wan.get(4).ipv4().tcp().sport();
        int echoId = wan.get(5).ipv4().icmp().id();
        assertNotEquals(5000, udpPort, "no port overloading");
        assertNotEquals(40000, tcpPort, "no port overloading");
        assertNotEquals(0x4242, echoId, "no identifier overloading");
        assertUdp(wan.get(3), REMOTE_MAC, WAN_IP, udpPort, REMOTE, 53);
        assertTcp(wan.get(4), REMOTE_MAC, WAN_IP, tcpPort, REMOTE, 80, SYN);
        assertEcho(wan.get(5), REMOTE_MAC, WAN_IP, REMOTE, Frames.ICMP_ECHO_REQUEST, echoId);
        assertError(wan.get(6), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 53, WAN_IP, udpPort, 63));
        assertError(wan.get(7), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, 13, 0,
                tcpPacket(REMOTE, 80, WAN_IP, tcpPort, 700, 2001, SYN | ACK, 63));
        assertError(wan.get(8), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, 13, 0,
                echoPacket(REMOTE, WAN_IP, Frames.ICMP_ECHO_REPLY, echoId, 63));

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(5, lan.size(), lan::toString);
        assertError(lan.get(0), CLIENT_MAC, ROUTER, CLIENT, TIME_EXCEEDED, 0, 0, udpPacket(CLIENT, 5000, REMOTE, 53, 1));
        assertError(lan.get(1), CLIENT_MAC, ROUTER, CLIENT, UNREACH, 1, 0,
                rfc792(tcpPacket(CLIENT, 40000, REMOTE, 80, 1000, 0, SYN, 62)));
        assertError(lan.get(2), CLIENT_MAC, ROUTER, CLIENT, TIME_EXCEEDED, 0, 0,
                echoPacket(CLIENT, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x4242, 1));
        assertError(lan.get(3), CLIENT_MAC, REMOTE, CLIENT, UNREACH, 3, 0,
                rfc792(udpPacket(CLIENT, 5000, REMOTE, 53, 63)));
        Decoded.Ipv4 fragNeeded = assertError(lan.get(4), CLIENT_MAC, ROUTER, CLIENT, UNREACH,
                Frames.ICMP_CODE_FRAG_NEEDED, 1400, tcpPacket(CLIENT, 40000, REMOTE, 80, 1001, 0, ACK, 62, new byte[64]));
        assertEquals(1400, fragNeeded.icmp().mtu(), "the next-hop MTU reaches the client");
        assertNoPrivateAddressLeaves(r);
    }

    @Test
    void portForwardIcmpErrorsBothWaysQuotingTcpAndUdp() throws Exception {
        NatConfig nat = nat(List.of(), List.of(forward(NatConfig.PROTO_TCP, WAN_IP, 8080, WEB, 80),
                forward(NatConfig.PROTO_UDP, WAN_IP, 5353, WEB, 53)), List.of(lanOutbound()));
        PcapScript s = script();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 4000, WAN_IP, 8080, 7, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 4001, WAN_IP, 5353, 64)),
                // inbound errors about the server's replies as the appliance sent them
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, UNREACH, 1, 0,
                        tcpPacket(WAN_IP, 8080, REMOTE, 4000, 99, 8, SYN | ACK, 62))),
                frame(REMOTE_MAC, WAN_MAC, icmpError(REMOTE, WAN_IP, UNREACH, 3, 0,
                        udpPacket(WAN_IP, 5353, REMOTE, 4001, 63))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, TIME_EXCEEDED, 0, 0,
                        rfc792(udpPacket(WAN_IP, 5353, REMOTE, 4001, 1)))));
        s.then();
        // outbound errors: the server reports about what it received through the forwards
        s.add("l", frame(WEB_MAC, LAN_MAC, icmpError(WEB, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 4001, WEB, 53, 63))),
                frame(WEB_MAC, LAN_MAC, icmpError(WEB, REMOTE, UNREACH, 13, 0,
                        rfc792(tcpPacket(REMOTE, 4000, WEB, 80, 7, 0, SYN, 63)))),
                frame(WEB_MAC, LAN_MAC, icmpError(WEB, REMOTE, UNREACH, 13, 0,
                        tcpPacket(REMOTE, 4000, WEB, 80, 7, 0, SYN, 63))));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(5, lan.size(), lan::toString);
        assertTcp(lan.get(0), WEB_MAC, REMOTE, 4000, WEB, 80, SYN);
        assertUdp(lan.get(1), WEB_MAC, REMOTE, 4001, WEB, 53);
        assertError(lan.get(2), WEB_MAC, ROUTER, WEB, UNREACH, 1, 0, tcpPacket(WEB, 80, REMOTE, 4000, 99, 8, SYN | ACK, 62));
        assertError(lan.get(3), WEB_MAC, REMOTE, WEB, UNREACH, 3, 0, udpPacket(WEB, 53, REMOTE, 4001, 63));
        assertError(lan.get(4), WEB_MAC, ROUTER, WEB, TIME_EXCEEDED, 0, 0, rfc792(udpPacket(WEB, 53, REMOTE, 4001, 1)));

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(3, wan.size(), wan::toString);
        assertError(wan.get(0), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 4001, WAN_IP, 5353, 63));
        assertError(wan.get(1), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, 13, 0,
                rfc792(tcpPacket(REMOTE, 4000, WAN_IP, 8080, 7, 0, SYN, 63)));
        assertError(wan.get(2), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, 13, 0,
                tcpPacket(REMOTE, 4000, WAN_IP, 8080, 7, 0, SYN, 63));
        assertNoPrivateAddressLeaves(r);
    }

    @Test
    void oneToOneIcmpErrorsBothWaysQuotingUdpTcpAndEcho() throws Exception {
        NatConfig nat = nat(List.of(oneToOne(PUB, SERVER, null)), List.of(), List.of());
        PcapScript s = script();
        s.add("w", frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, PUB, UNREACH, 1, 0, udpPacket(PUB, 53, REMOTE, 4000, 62))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, PUB, TIME_EXCEEDED, 0, 0,
                        tcpPacket(PUB, 80, REMOTE, 4001, 5, 6, SYN | ACK, 1))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, PUB, TIME_EXCEEDED, 0, 0,
                        echoPacket(PUB, REMOTE, Frames.ICMP_ECHO_REQUEST, 9, 1))),
                frame(REMOTE_MAC, WAN_MAC, icmpError(REMOTE, PUB, UNREACH, 3, 0, rfc792(udpPacket(PUB, 53, REMOTE, 4000, 63)))));
        s.add("l", frame(SERVER_MAC, LAN_MAC, icmpError(SERVER, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 4000, SERVER, 53, 63))),
                frame(SERVER_MAC, LAN_MAC, icmpError(SERVER, REMOTE, UNREACH, 13, 0,
                        tcpPacket(REMOTE, 4001, SERVER, 80, 5, 0, SYN, 63))),
                frame(SERVER_MAC, LAN_MAC, icmpError(SERVER, REMOTE, UNREACH, 13, 0,
                        echoPacket(REMOTE, SERVER, Frames.ICMP_ECHO_REQUEST, 7, 63))),
                frame(SERVER_MAC, LAN_MAC, icmpError(SERVER, REMOTE, UNREACH, 3, 0,
                        rfc792(udpPacket(REMOTE, 4000, SERVER, 53, 63)))));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(4, lan.size(), lan::toString);
        assertError(lan.get(0), SERVER_MAC, ROUTER, SERVER, UNREACH, 1, 0, udpPacket(SERVER, 53, REMOTE, 4000, 62));
        assertError(lan.get(1), SERVER_MAC, ROUTER, SERVER, TIME_EXCEEDED, 0, 0,
                tcpPacket(SERVER, 80, REMOTE, 4001, 5, 6, SYN | ACK, 1));
        assertError(lan.get(2), SERVER_MAC, ROUTER, SERVER, TIME_EXCEEDED, 0, 0,
                echoPacket(SERVER, REMOTE, Frames.ICMP_ECHO_REQUEST, 9, 1));
        assertError(lan.get(3), SERVER_MAC, REMOTE, SERVER, UNREACH, 3, 0, rfc792(udpPacket(SERVER, 53, REMOTE, 4000, 63)));

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(4, wan.size(), wan::toString);
        assertError(wan.get(0), REMOTE_MAC, PUB, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 4000, PUB, 53, 63));
        assertError(wan.get(1), REMOTE_MAC, PUB, REMOTE, UNREACH, 13, 0, tcpPacket(REMOTE, 4001, PUB, 80, 5, 0, SYN, 63));
        assertError(wan.get(2), REMOTE_MAC, PUB, REMOTE, UNREACH, 13, 0,
                echoPacket(REMOTE, PUB, Frames.ICMP_ECHO_REQUEST, 7, 63));
        assertError(wan.get(3), REMOTE_MAC, PUB, REMOTE, UNREACH, 3, 0, rfc792(udpPacket(REMOTE, 4000, PUB, 53, 63)));
        assertNoPrivateAddressLeaves(r);
    }

    // ==== 2. errors quoting sessions that do not exist ======================================

    @Test
    void icmpErrorsQuotingNoSessionAreDroppedAndCountedNeverForwarded() throws Exception {
        NatConfig nat = nat(List.of(), List.of(forward(NatConfig.PROTO_UDP, WAN_IP, 5353, WEB, 53)),
                List.of(lanOutbound(POOL)));
        PcapScript s = script();
        // one live session, so the errors below are looked up in a table that is not empty
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)));
        s.then();
        s.add("w", frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, UNREACH, 1, 0, udpPacket(POOL, 5001, REMOTE, 53, 62))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, TIME_EXCEEDED, 0, 0,
                        udpPacket(POOL, 5000, REMOTE2, 53, 1))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, TIME_EXCEEDED, 0, 0,
                        echoPacket(POOL, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x1234, 1))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, UNREACH, 1, 0,
                        rfc792(tcpPacket(POOL, 40000, REMOTE, 80, 1, 0, SYN, 62)))),
                // a forwarded port, but no session through it: handed to the appliance itself at most
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, UNREACH, 1, 0,
                        udpPacket(WAN_IP, 5353, REMOTE, 4001, 62))));
        s.add("l", frame(CLIENT_MAC, LAN_MAC, icmpError(CLIENT, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 53, CLIENT, 6000, 63))),
                frame(CLIENT_MAC, LAN_MAC, icmpError(CLIENT, REMOTE2, UNREACH, 3, 0,
                        udpPacket(REMOTE2, 53, CLIENT, 5000, 63))),
                frame(WEB_MAC, LAN_MAC, icmpError(WEB, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 4001, WEB, 53, 63))),
                frame(CLIENT_MAC, LAN_MAC, icmpError(CLIENT, REMOTE, UNREACH, 13, 0,
                        tcpPacket(REMOTE, 80, CLIENT, 40000, 1, 2, SYN | ACK, 63))));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(1, wan.size(), () -> "only the live flow's packet leaves: " + wan);
        assertUdp(wan.get(0), REMOTE_MAC, POOL, 5000, REMOTE, 53);
        assertEquals(List.of(), sent(r, "l"), "no error reaches the LAN");
        assertEquals(8, r.event(Counters.NAT_NO_MAPPING), "each error quoting no session is counted");
        assertEquals(1, r.event(Counters.NAT_TRANSLATED));
    }

    // ==== 3. errors never create, refresh or delete sessions =================================

    @Test
    void icmpErrorsNeverCreateOrDeleteSessions() throws Exception {
        NatConfig nat = nat(List.of(oneToOne(PUB, SERVER, List.of(new NatConfig.InboundAllow(6, 80, 80)))), List.of(),
                List.of(lanOutbound(POOL)));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                // CLIENT reports about a flow with REMOTE2 that never existed: dropped, opens nothing
                frame(CLIENT_MAC, LAN_MAC, icmpError(CLIENT, REMOTE2, UNREACH, 3, 0, udpPacket(REMOTE2, 53, CLIENT, 5000, 63))),
                // the 1:1 host (inbound only tcp/80) reports about a UDP flow: 1:1 translates it statelessly,
                // but it must not open the host to that flow
                frame(SERVER_MAC, LAN_MAC, icmpError(SERVER, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 53, SERVER, 7000, 63))));
        s.then();
        s.add("w", frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, UNREACH, 1, 0, udpPacket(POOL, 5000, REMOTE2, 53, 62))),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, UNREACH, 1, 0, udpPacket(POOL, 7000, REMOTE, 53, 62))),
                // about the live session: delivered, and must not end it
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, POOL, UNREACH, 1, 0, udpPacket(POOL, 5000, REMOTE, 53, 62))));
        s.then();
        s.add("w", frame(REMOTE2_MAC, WAN_MAC, udpPacket(REMOTE2, 53, POOL, 5000, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 53, POOL, 7000, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 53, PUB, 7000, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 53, POOL, 5000, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(2, wan.size(), wan::toString);
        assertUdp(wan.get(0), REMOTE_MAC, POOL, 5000, REMOTE, 53);
        assertError(wan.get(1), REMOTE_MAC, PUB, REMOTE, UNREACH, 3, 0, udpPacket(REMOTE, 53, PUB, 7000, 63));
        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(2, lan.size(), lan::toString);
        assertError(lan.get(0), CLIENT_MAC, ROUTER, CLIENT, UNREACH, 1, 0, udpPacket(CLIENT, 5000, REMOTE, 53, 62));
        assertUdp(lan.get(1), CLIENT_MAC, REMOTE, 53, CLIENT, 5000);
        assertEquals(2, r.event(Counters.NAT_NOT_ADMITTED), "REMOTE2 and the 1:1 host's UDP port stay filtered");
        assertEquals(4, r.event(Counters.NAT_NO_MAPPING), "three errors and the packet to a port never mapped");
    }

    // ==== 4. a zero UDP checksum stays zero ==================================================

    @Test
    void zeroUdpChecksumStaysZeroThroughOneToOneNaptAndPortForwardBothWays() throws Exception {
        NatConfig nat = nat(List.of(oneToOne(PUB, SERVER, null)), List.of(forward(NatConfig.PROTO_UDP, WAN_IP, 5353, WEB, 53)),
                List.of(lanOutbound()));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacketNoChecksum(CLIENT, 5000, REMOTE, 53, 64)),
                frame(SERVER_MAC, LAN_MAC, udpPacketNoChecksum(SERVER, 53, REMOTE, 4000, 64)));
        s.add("w", frame(REMOTE_MAC, WAN_MAC, udpPacketNoChecksum(REMOTE, 4000, PUB, 53, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacketNoChecksum(REMOTE, 4001, WAN_IP, 5353, 64)),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, PUB, UNREACH, 1, 0, udpPacketNoChecksum(PUB, 53, REMOTE, 4000, 62))));
        s.then();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, udpPacketNoChecksum(REMOTE, 53, WAN_IP, 5000, 64)),
                frame(ROUTER_MAC, WAN_MAC, icmpError(ROUTER, WAN_IP, TIME_EXCEEDED, 0, 0,
                        udpPacketNoChecksum(WAN_IP, 5000, REMOTE, 53, 1))));
        s.add("l", frame(WEB_MAC, LAN_MAC, udpPacketNoChecksum(WEB, 53, REMOTE, 4001, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(3, wan.size(), wan::toString);
        assertUdp(wan.get(0), REMOTE_MAC, WAN_IP, 5000, REMOTE, 53);       // NAPT out
        assertUdp(wan.get(1), REMOTE_MAC, PUB, 53, REMOTE, 4000);          // 1:1 out
        assertUdp(wan.get(2), REMOTE_MAC, WAN_IP, 5353, REMOTE, 4001);     // port forward reply out
        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(5, lan.size(), lan::toString);
        assertUdp(lan.get(0), SERVER_MAC, REMOTE, 4000, SERVER, 53);       // 1:1 in
        assertUdp(lan.get(1), WEB_MAC, REMOTE, 4001, WEB, 53);             // port forward in
        assertError(lan.get(2), SERVER_MAC, ROUTER, SERVER, UNREACH, 1, 0, udpPacketNoChecksum(SERVER, 53, REMOTE, 4000, 62));
        assertUdp(lan.get(3), CLIENT_MAC, REMOTE, 53, CLIENT, 5000);       // NAPT in
        assertError(lan.get(4), CLIENT_MAC, ROUTER, CLIENT, TIME_EXCEEDED, 0, 0,
                udpPacketNoChecksum(CLIENT, 5000, REMOTE, 53, 1));
        for (Decoded.Frame f : wan) {
            assertEquals(0, f.ipv4().udp().checksum(), () -> "a zero UDP checksum stays zero: " + f);
        }
        for (int i : new int[] {0, 1, 3}) {
            assertEquals(0, lan.get(i).ipv4().udp().checksum(), () -> "a zero UDP checksum stays zero: " + lan);
        }
        for (int i : new int[] {2, 4}) {
            assertEquals(0, lan.get(i).ipv4().icmp().quoted().udp().checksum(), "a zero quoted UDP checksum stays zero");
        }
    }

    // ==== 5. precedence =======================================================================

    @Test
    void portForwardsWinInboundOverOneToOneAndOneToOneWinsOutboundOverNapt() throws Exception {
        // a 1:1 address that also carries port forwards: tcp/8080 to another host, tcp/8443 to the 1:1 host itself
        NatConfig nat = nat(List.of(oneToOne(PUB, SERVER, null)),
                List.of(forward(NatConfig.PROTO_TCP, PUB, 8080, WEB, 80), forward(NatConfig.PROTO_TCP, PUB, 8443, SERVER, 443)),
                List.of(lanOutbound()));
        PcapScript s = script();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 4000, PUB, 8080, 1, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 4001, PUB, 8080, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 4002, PUB, 22, 1, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 4003, PUB, 8443, 1, 0, SYN, 64)));
        s.then();
        s.add("l", frame(WEB_MAC, LAN_MAC, tcpPacket(WEB, 80, REMOTE, 4000, 9, 2, SYN | ACK, 64)),
                frame(SERVER_MAC, LAN_MAC, tcpPacket(SERVER, 443, REMOTE, 4003, 9, 2, SYN | ACK, 64)),
                frame(SERVER_MAC, LAN_MAC, tcpPacket(SERVER, 22, REMOTE, 4002, 9, 2, SYN | ACK, 64)),
                frame(SERVER_MAC, LAN_MAC, udpPacket(SERVER, 6000, REMOTE, 53, 64)),
                frame(SERVER_MAC, LAN_MAC, echoPacket(SERVER, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x99, 64)),
                frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 6000, REMOTE, 53, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(4, lan.size(), lan::toString);
        assertTcp(lan.get(0), WEB_MAC, REMOTE, 4000, WEB, 80, SYN);            // the forward wins over 1:1
        assertUdp(lan.get(1), SERVER_MAC, REMOTE, 4001, SERVER, 8080);         // the forward is tcp only: 1:1
        assertTcp(lan.get(2), SERVER_MAC, REMOTE, 4002, SERVER, 22, SYN);      // no forward: 1:1
        assertTcp(lan.get(3), SERVER_MAC, REMOTE, 4003, SERVER, 443, SYN);     // forward to the 1:1 host
        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(6, wan.size(), wan::toString);
        assertTcp(wan.get(0), REMOTE_MAC, PUB, 8080, REMOTE, 4000, SYN | ACK);
        assertTcp(wan.get(1), REMOTE_MAC, PUB, 8443, REMOTE, 4003, SYN | ACK); // the session, not 1:1's port 443
        assertTcp(wan.get(2), REMOTE_MAC, PUB, 22, REMOTE, 4002, SYN | ACK);
        assertUdp(wan.get(3), REMOTE_MAC, PUB, 6000, REMOTE, 53);              // 1:1 wins over outbound NAT
        assertEcho(wan.get(4), REMOTE_MAC, PUB, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x99);
        assertUdp(wan.get(5), REMOTE_MAC, WAN_IP, 6000, REMOTE, 53);           // a host without 1:1: NAPT
    }

    // ==== 6. TCP: simultaneous open, RST ======================================================

    @Test
    void tcpSimultaneousOpenPassesBothWaysAndTheSessionOutlivesARst() throws Exception {
        NatConfig nat = nat(List.of(), List.of(), List.of(lanOutbound()));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 5555, 100, 0, SYN, 64)));
        s.then();
        // the remote's SYN crosses the client's: no SYN-ACK was seen yet
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5555, WAN_IP, 40000, 900, 0, SYN, 64)));
        s.then();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5555, WAN_IP, 40000, 900, 101, SYN | ACK, 64)));
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 5555, 100, 901, SYN | ACK, 64)));
        s.then();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 5555, 101, 0, RST, 64)));
        s.then();
        // after the RST the session is kept (RFC 7857: 240 s): both directions still translate
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5555, WAN_IP, 40000, 901, 101, ACK, 64, PAYLOAD)));
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 5555, 101, 901, ACK, 64, PAYLOAD)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(4, wan.size(), wan::toString);
        assertTcp(wan.get(0), REMOTE_MAC, WAN_IP, 40000, REMOTE, 5555, SYN);
        assertTcp(wan.get(1), REMOTE_MAC, WAN_IP, 40000, REMOTE, 5555, SYN | ACK);
        assertTcp(wan.get(2), REMOTE_MAC, WAN_IP, 40000, REMOTE, 5555, RST);
        assertTcp(wan.get(3), REMOTE_MAC, WAN_IP, 40000, REMOTE, 5555, ACK);
        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(3, lan.size(), lan::toString);
        assertTcp(lan.get(0), CLIENT_MAC, REMOTE, 5555, CLIENT, 40000, SYN);
        assertTcp(lan.get(1), CLIENT_MAC, REMOTE, 5555, CLIENT, 40000, SYN | ACK);
        assertTcp(lan.get(2), CLIENT_MAC, REMOTE, 5555, CLIENT, 40000, ACK);
        assertArrayEquals(PAYLOAD, lan.get(2).ipv4().tcp().payload());
        assertEquals(0, r.event(Counters.NAT_NOT_ADMITTED) + r.event(Counters.NAT_NO_MAPPING));
    }

    /** The remote's SYN arrives first (RFC 5382 REQ-4): silently dropped, and its retransmission gets through. */
    @Test
    void tcpSimultaneousOpenWithTheRemotesSynFirstOnAPoolAddress() throws Exception {
        simultaneousOpenRemoteFirst(POOL);
    }

    /** The same on the interface address, which is also the appliance's own: no kernel listens on the port here. */
    @Test
    void tcpSimultaneousOpenWithTheRemotesSynFirstOnTheInterfaceAddress() throws Exception {
        simultaneousOpenRemoteFirst(WAN_IP);
    }

    /**
     * Only a bare SYN is held back: other TCP to the interface address with no session (an ACK, a
     * SYN-ACK, a RST) and a UDP datagram still reach local handling, which without a kernel behind
     * the address answers with ICMP port unreachable.
     */
    @Test
    void onlyABareSynToTheInterfaceAddressGoesUnanswered() throws Exception {
        NatConfig nat = nat(List.of(), List.of(), List.of(lanOutbound()));
        PcapScript s = script();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5555, WAN_IP, 40001, 900, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5556, WAN_IP, 40002, 900, 7, ACK, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5557, WAN_IP, 40003, 900, 7, SYN | ACK, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5558, WAN_IP, 40004, 900, 0, SYN | RST, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 5559, WAN_IP, 40005, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(4, wan.size(), wan::toString);
        int sourcePort = 5556;
        for (Decoded.Frame f : wan) {
            Decoded.Icmp icmp = f.ipv4().icmp();
            assertEquals(3, icmp.type(), f::toString);
            assertEquals(3, icmp.code(), f::toString);
            assertEquals(REMOTE, f.ipv4().dst());
            assertEquals(sourcePort++, (icmp.quotedL4()[0] & 0xFF) << 8 | icmp.quotedL4()[1] & 0xFF, f::toString);
        }
        assertEquals(1, r.event(Counters.NAT_NO_MAPPING), "the bare SYN");
    }

    private void simultaneousOpenRemoteFirst(int publicAddress) throws Exception {
        NatConfig nat = publicAddress == WAN_IP ? nat(List.of(), List.of(), List.of(lanOutbound()))
                : nat(List.of(), List.of(), List.of(lanOutbound(publicAddress)));
        PcapScript s = script();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5555, publicAddress, 40000, 900, 0, SYN, 64)));
        s.then();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 5555, 100, 0, SYN, 64)));
        s.then();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(REMOTE, 5555, publicAddress, 40000, 900, 0, SYN, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(1, wan.size(), () -> "only the client's SYN, no answer to the unsolicited one: " + wan);
        assertTcp(wan.get(0), REMOTE_MAC, publicAddress, 40000, REMOTE, 5555, SYN);
        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(1, lan.size(), lan::toString);
        assertTcp(lan.get(0), CLIENT_MAC, REMOTE, 5555, CLIENT, 40000, SYN);
        assertEquals(1, r.event(Counters.NAT_NO_MAPPING), "the unsolicited SYN is dropped and counted");
    }

    // ==== 7. exhausted port pool ================================================================

    @Test
    void staticPortOnASingleAddressPoolDropsAndCountsWhatDoesNotFitAndLeaksNothing() throws Exception {
        NatConfig nat = nat(List.of(), List.of(), List.of(outbound(LAN_NET, 24, true, POOL)));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 80, 1, 0, SYN, 64)),
                frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 5000, REMOTE, 53, 64)),
                frame(CLIENT2_MAC, LAN_MAC, tcpPacket(CLIENT2, 40000, REMOTE, 80, 1, 0, SYN, 64)),
                frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 5000, REMOTE2, 53, 64)),
                frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 5001, REMOTE, 53, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(3, wan.size(), wan::toString);
        assertUdp(wan.get(0), REMOTE_MAC, POOL, 5000, REMOTE, 53);
        assertTcp(wan.get(1), REMOTE_MAC, POOL, 40000, REMOTE, 80, SYN);
        assertUdp(wan.get(2), REMOTE_MAC, POOL, 5001, REMOTE, 53);
        assertEquals(3, r.event(Counters.NAT_PORTS_EXHAUSTED));
        assertNoPrivateAddressLeaves(r);
    }

    @Test
    void aFullPortRangeDropsAndCountsNewFlowsAndNeverSpillsOrLeaks() throws Exception {
        NatConfig nat = nat(List.of(), List.of(), List.of(lanOutbound(POOL)));
        PcapScript s = script();
        List<byte[]> flows = new ArrayList<>();
        for (int port = 1; port <= 1023; port++) { // fills the low range (RFC 4787 REQ-3: it never spills)
            flows.add(frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, port, REMOTE, 53, 64)));
        }
        flows.add(frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 999, REMOTE, 53, 64)));
        flows.add(frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 123, REMOTE2, 123, 64)));
        flows.add(frame(CLIENT2_MAC, LAN_MAC, udpPacket(CLIENT2, 2000, REMOTE, 53, 64)));
        s.add("l", flows);
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(1024, wan.size());
        for (int i = 0; i < 1023; i++) {
            Decoded.Ipv4 p = wan.get(i).ipv4();
            assertEquals(POOL, p.src());
            assertTrue(p.udp().sport() >= 1 && p.udp().sport() <= 1023);
        }
        assertUdp(wan.get(1023), REMOTE_MAC, POOL, 2000, REMOTE, 53);
        assertEquals(2, r.event(Counters.NAT_PORTS_EXHAUSTED));
        assertNoPrivateAddressLeaves(r);
    }

    // ==== 8. reflection to another internal interface =========================================

    @Test
    void reflectionToAServerOnAnotherInternalInterfaceMappedAndInterfaceModes() throws Exception {
        reflectionToDmz(ReflectionSource.MAPPED, WAN_IP);
        reflectionToDmz(ReflectionSource.INTERFACE, DMZ_IP);
    }

    private void reflectionToDmz(ReflectionSource mode, int seenByServer) throws Exception {
        NatConfig nat = nat(Filtering.ADDRESS_DEPENDENT, mode, List.of(oneToOne(PUB, DMZ_SERVER, null)),
                List.of(forward(NatConfig.PROTO_TCP, WAN_IP, 8080, DMZ_SERVER, 80)), List.of(lanOutbound()));
        PcapScript s = new PcapScript("w", "l", "d");
        s.add("w", wanNeighbours());
        s.add("l", lanNeighbours());
        s.add("d", Frames.arpReply(DMZ_SERVER_MAC, DMZ_SERVER, DMZ_MAC, DMZ_IP));
        s.then();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, WAN_IP, 8080, 1, 0, SYN, 64)),
                frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40001, PUB, 443, 1, 0, SYN, 64)),
                frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, PUB, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, echoPacket(CLIENT, PUB, Frames.ICMP_ECHO_REQUEST, 0x77, 64)));
        s.then();
        // the server answers the source it saw; the client's ports are free there, so they are kept
        s.add("d", frame(DMZ_SERVER_MAC, DMZ_MAC, tcpPacket(DMZ_SERVER, 80, seenByServer, 40000, 9, 2, SYN | ACK, 64)),
                frame(DMZ_SERVER_MAC, DMZ_MAC, tcpPacket(DMZ_SERVER, 443, seenByServer, 40001, 9, 2, SYN | ACK, 64)),
                frame(DMZ_SERVER_MAC, DMZ_MAC, udpPacket(DMZ_SERVER, 53, seenByServer, 5000, 64)),
                frame(DMZ_SERVER_MAC, DMZ_MAC, echoPacket(DMZ_SERVER, seenByServer, Frames.ICMP_ECHO_REPLY, 0x77, 64)));
        PcapRun.Result r = runWithDmz(nat, s);

        List<Decoded.Frame> dmz = sent(r, "d");
        assertEquals(4, dmz.size(), mode + ": " + dmz);
        assertTcp(dmz.get(0), DMZ_SERVER_MAC, seenByServer, 40000, DMZ_SERVER, 80, SYN);
        assertTcp(dmz.get(1), DMZ_SERVER_MAC, seenByServer, 40001, DMZ_SERVER, 443, SYN);
        assertUdp(dmz.get(2), DMZ_SERVER_MAC, seenByServer, 5000, DMZ_SERVER, 53);
        assertEcho(dmz.get(3), DMZ_SERVER_MAC, seenByServer, DMZ_SERVER, Frames.ICMP_ECHO_REQUEST, 0x77);
        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(4, lan.size(), mode + ": " + lan);
        assertTcp(lan.get(0), CLIENT_MAC, WAN_IP, 8080, CLIENT, 40000, SYN | ACK);
        assertTcp(lan.get(1), CLIENT_MAC, PUB, 443, CLIENT, 40001, SYN | ACK);
        assertUdp(lan.get(2), CLIENT_MAC, PUB, 53, CLIENT, 5000);
        assertEcho(lan.get(3), CLIENT_MAC, PUB, CLIENT, Frames.ICMP_ECHO_REPLY, 0x77);
        assertEquals(List.of(), sent(r, "w"), "hairpin traffic never leaves on the WAN");
    }

    // ==== 9. spoofed sources ===================================================================

    @Test
    void spoofedSourcesOnTheExternalSideNeverReachOneToOneOrForwards() throws Exception {
        NatConfig nat = nat(List.of(oneToOne(PUB, SERVER, null)), List.of(forward(NatConfig.PROTO_TCP, WAN_IP, 8080, WEB, 80)),
                List.of(lanOutbound()));
        PcapScript s = script();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, tcpPacket(CLIENT, 4000, PUB, 80, 1, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(SERVER, 53, PUB, 53, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(WEB, 4000, WAN_IP, 8080, 1, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(CLIENT, 4000, WAN_IP, 8080, 1, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, icmpError(CLIENT, PUB, UNREACH, 3, 0, udpPacket(PUB, 53, CLIENT, 4000, 63))),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(ip("10.9.9.9"), 4000, PUB, 80, 1, 0, SYN, 64)),
                frame(REMOTE_MAC, WAN_MAC, tcpPacket(LAN_IP, 4000, PUB, 80, 1, 0, SYN, 64)));
        // and the other way: an internal host claiming an Internet source
        s.add("l", frame(CLIENT_MAC, LAN_MAC, tcpPacket(REMOTE2, 4000, PUB, 80, 1, 0, SYN, 64)));
        PcapRun.Result r = run(nat, s);

        assertEquals(List.of(), sent(r, "l"));
        assertEquals(List.of(), sent(r, "w"));
        assertEquals(7, r.event(Counters.SPOOFED_SOURCE));
        assertEquals(1, r.event(Counters.MARTIAN_SOURCE), "the appliance's own address as a source");
        assertEquals(0, r.event(Counters.NAT_TRANSLATED));
    }

    // ==== 10. filtering modes ==================================================================

    @Test
    void endpointIndependentFilteringAdmitsAnyRemoteToAnExistingMapping() throws Exception {
        NatConfig nat = nat(Filtering.ENDPOINT_INDEPENDENT, ReflectionSource.MAPPED, List.of(), List.of(),
                List.of(lanOutbound(POOL)));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 80, 1, 0, SYN, 64)));
        s.then();
        s.add("w", frame(REMOTE2_MAC, WAN_MAC, udpPacket(REMOTE2, 999, POOL, 5000, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 54, POOL, 5000, 64)),
                frame(REMOTE2_MAC, WAN_MAC, tcpPacket(REMOTE2, 1234, POOL, 40000, 5, 0, SYN, 64)),
                frame(REMOTE2_MAC, WAN_MAC, udpPacket(REMOTE2, 999, POOL, 5001, 64)));
        s.then();
        // the client answers the new remote through the same mapping (endpoint-independent mapping)
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE2, 999, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(3, lan.size(), lan::toString);
        assertUdp(lan.get(0), CLIENT_MAC, REMOTE2, 999, CLIENT, 5000);
        assertUdp(lan.get(1), CLIENT_MAC, REMOTE, 54, CLIENT, 5000);
        assertTcp(lan.get(2), CLIENT_MAC, REMOTE2, 1234, CLIENT, 40000, SYN);
        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(3, wan.size(), wan::toString);
        assertUdp(wan.get(2), REMOTE2_MAC, POOL, 5000, REMOTE2, 999);
        assertEquals(0, r.event(Counters.NAT_NOT_ADMITTED));
        assertEquals(1, r.event(Counters.NAT_NO_MAPPING), "a port with no mapping stays closed");
    }

    @Test
    void addressAndPortDependentFilteringAdmitsOnlyTheExactRemoteEndpoint() throws Exception {
        NatConfig nat = nat(Filtering.ADDRESS_AND_PORT_DEPENDENT, ReflectionSource.MAPPED, List.of(), List.of(),
                List.of(lanOutbound(POOL)));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)));
        s.then();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 54, POOL, 5000, 64)),
                frame(REMOTE2_MAC, WAN_MAC, udpPacket(REMOTE2, 53, POOL, 5000, 64)),
                frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 53, POOL, 5000, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(1, lan.size(), lan::toString);
        assertUdp(lan.get(0), CLIENT_MAC, REMOTE, 53, CLIENT, 5000);
        assertEquals(2, r.event(Counters.NAT_NOT_ADMITTED));
    }

    @Test
    void addressDependentFilteringAdmitsEveryAddressTheHostSentTo() throws Exception {
        NatConfig nat = nat(Filtering.ADDRESS_DEPENDENT, ReflectionSource.MAPPED, List.of(), List.of(),
                List.of(lanOutbound(POOL)));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE2, 53, 64)));
        s.then();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 54, POOL, 5000, 64)),
                frame(REMOTE2_MAC, WAN_MAC, udpPacket(REMOTE2, 54, POOL, 5000, 64)),
                frame(ROUTER_MAC, WAN_MAC, udpPacket(ROUTER, 53, POOL, 5000, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> lan = sent(r, "l");
        assertEquals(2, lan.size(), lan::toString);
        assertUdp(lan.get(0), CLIENT_MAC, REMOTE, 54, CLIENT, 5000);
        assertUdp(lan.get(1), CLIENT_MAC, REMOTE2, 54, CLIENT, 5000);
        assertEquals(1, r.event(Counters.NAT_NOT_ADMITTED), "only the address never contacted is filtered");
    }

    // ==== 11. paired pooling ===================================================================

    @Test
    void pairedPoolingGivesEachHostOneAddressForAllItsFlows() throws Exception {
        int[] pool = {POOL, POOL + 1, POOL + 2, POOL + 3};
        NatConfig nat = nat(List.of(), List.of(), List.of(lanOutbound(pool)));
        PcapScript s = script();
        int hosts = 8;
        for (int h = 0; h < hosts; h++) {
            int host = ip("192.168.1.100") + h;
            long hostMac = mac("02:00:00:00:01:00") + 0x100 + h;
            s.add("l", frame(hostMac, LAN_MAC, udpPacket(host, 5000, REMOTE, 53, 64)),
                    frame(hostMac, LAN_MAC, tcpPacket(host, 40000, REMOTE, 80, 1, 0, SYN, 64)),
                    frame(hostMac, LAN_MAC, echoPacket(host, REMOTE, Frames.ICMP_ECHO_REQUEST, 0x100, 64)),
                    frame(hostMac, LAN_MAC, udpPacket(host, 5001, REMOTE2, 123, 64)));
        }
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(4 * hosts, wan.size());
        Set<Integer> used = new HashSet<>();
        for (int h = 0; h < hosts; h++) {
            int address = wan.get(4 * h).ipv4().src();
            used.add(address);
            assertTrue(address >= POOL && address <= POOL + 3, () -> "a pool address: " + Frames.ipString(address));
            for (int k = 0; k < 4; k++) {
                Decoded.Ipv4 p = wan.get(4 * h + k).ipv4();
                assertEquals(Frames.ipString(address), Frames.ipString(p.src()), "host " + h + ": one address for all flows");
                PcapOutput.assertValid(p);
            }
        }
        assertTrue(used.size() > 1, () -> "different hosts spread over the pool: " + used);
    }

    // ==== bugs beyond the list ===================================================================

    /**
     * RFC 5508 REQ-5 c: an error from the private realm that is not from the quoted packet's
     * destination (an internal router doing PMTUD) gets the NAT's public address as its source.
     */
    @Test
    void errorsFromAnInternalRouterAboutASessionLeaveWithThePublicAddress() throws Exception {
        int lanRouter = ip("192.168.1.254");
        long lanRouterMac = mac("02:00:00:00:01:fe");
        int innerServer = ip("10.20.0.5");
        int innerClient = ip("10.20.0.10");
        NatConfig nat = nat(List.of(), List.of(forward(NatConfig.PROTO_UDP, WAN_IP, 5353, innerServer, 53)),
                List.of(outbound(ip("10.20.0.0"), 16, false)));
        PcapScript s = new PcapScript("w", "l");
        s.add("w", wanNeighbours());
        s.add("l", Frames.arpReply(lanRouterMac, lanRouter, LAN_MAC, LAN_IP));
        s.then();
        s.add("w", frame(REMOTE_MAC, WAN_MAC, udpPacket(REMOTE, 4001, WAN_IP, 5353, 64)));
        s.add("l", frame(lanRouterMac, LAN_MAC, udpPacket(innerClient, 5000, REMOTE, 53, 63)));
        s.then();
        s.add("l", frame(lanRouterMac, LAN_MAC, icmpError(lanRouter, REMOTE, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                        udpPacket(REMOTE, 4001, innerServer, 53, 62))),
                frame(lanRouterMac, LAN_MAC, icmpError(lanRouter, REMOTE, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                        udpPacket(REMOTE, 53, innerClient, 5000, 62))));
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), s.inputs(),
                List.of(new EngineConfig.StaticRoute(ip("10.20.0.0"), 16, lanRouter)), nat);

        assertEquals(1, sent(r, "l").size(), "the forwarded packet went to the inner server");
        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(3, wan.size(), wan::toString);
        assertUdp(wan.get(0), REMOTE_MAC, WAN_IP, 5000, REMOTE, 53);
        assertError(wan.get(1), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                udpPacket(REMOTE, 4001, WAN_IP, 5353, 62));
        assertError(wan.get(2), REMOTE_MAC, WAN_IP, REMOTE, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                udpPacket(REMOTE, 53, WAN_IP, 5000, 62));
        assertNoPrivateAddressLeaves(r);
    }

    /** 1:1 (stateless) errors: the quote's internal destination is translated even when another host reports. */
    @Test
    void oneToOneErrorsFromAnotherInternalHostTranslateTheQuotedDestination() throws Exception {
        int lanRouter = ip("192.168.1.254");
        long lanRouterMac = mac("02:00:00:00:01:fe");
        int routerPublic = ip("203.0.113.21");
        int innerServer = ip("10.20.0.5");
        NatConfig nat = nat(List.of(oneToOne(PUB, innerServer, null), oneToOne(routerPublic, lanRouter, null)), List.of(),
                List.of());
        PcapScript s = script();
        // the internal router in front of the 1:1 server reports PMTU trouble for a packet the remote sent to PUB
        s.add("l", frame(lanRouterMac, LAN_MAC, icmpError(lanRouter, REMOTE, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                tcpPacket(REMOTE, 4000, innerServer, 443, 1, 1, ACK, 62, new byte[32]))));
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), s.inputs(),
                List.of(new EngineConfig.StaticRoute(ip("10.20.0.0"), 16, lanRouter)), nat);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(1, wan.size(), wan::toString);
        assertError(wan.get(0), REMOTE_MAC, routerPublic, REMOTE, UNREACH, Frames.ICMP_CODE_FRAG_NEEDED, 1400,
                tcpPacket(REMOTE, 4000, PUB, 443, 1, 1, ACK, 62, new byte[32]));
        assertNoPrivateAddressLeaves(r);
    }

    /** pfSense's automatic outbound NAT makes one rule per internal subnet, all on the interface address. */
    @Test
    void twoOutboundRulesOnTheInterfaceAddressShareItsPorts() throws Exception {
        int hostB = ip("192.168.1.200");
        long hostBMac = mac("02:00:00:00:01:c8");
        NatConfig nat = nat(List.of(), List.of(), List.of(outbound(LAN_NET, 25, false),
                outbound(ip("192.168.1.128"), 25, false)));
        PcapScript s = script();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                frame(hostBMac, LAN_MAC, udpPacket(hostB, 5000, REMOTE, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, tcpPacket(CLIENT, 40000, REMOTE, 80, 1, 0, SYN, 64)),
                frame(hostBMac, LAN_MAC, tcpPacket(hostB, 40000, REMOTE, 80, 1, 0, SYN, 64)));
        PcapRun.Result r = run(nat, s);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(4, wan.size(), () -> wan + " drops: sessions_full=" + r.event(Counters.NAT_SESSIONS_FULL));
        assertUdp(wan.get(0), REMOTE_MAC, WAN_IP, 5000, REMOTE, 53);
        assertNotEquals(5000, wan.get(1).ipv4().udp().sport(), "no port overloading");
        assertUdp(wan.get(1), REMOTE_MAC, WAN_IP, wan.get(1).ipv4().udp().sport(), REMOTE, 53);
        assertTcp(wan.get(2), REMOTE_MAC, WAN_IP, 40000, REMOTE, 80, SYN);
        assertNotEquals(40000, wan.get(3).ipv4().tcp().sport(), "no port overloading");
        assertEquals(0, r.event(Counters.NAT_SESSIONS_FULL));
    }

    /** Two external interfaces, outbound NAT on each: a flow leaving wan2 must carry wan2's address. */
    @Test
    void napMappingsAreNotSharedBetweenExternalInterfaces() throws Exception {
        int wan2Ip = ip("198.51.100.1");
        int remoteB = ip("198.51.100.254");
        long remoteBMac = mac("02:00:00:00:04:54");
        long wan2Mac = PcapRun.macOf("x");
        NatConfig nat = nat(List.of(), List.of(), List.of(lanOutbound(), new NatConfig.Outbound(2, LAN_NET, 24,
                new int[0], false, "")));
        PcapScript s = new PcapScript("w", "l", "x");
        s.add("w", wanNeighbours());
        s.add("l", lanNeighbours());
        s.add("x", Frames.arpReply(remoteBMac, remoteB, wan2Mac, wan2Ip));
        s.then();
        s.add("l", frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, REMOTE, 53, 64)),
                frame(CLIENT_MAC, LAN_MAC, udpPacket(CLIENT, 5000, remoteB, 53, 64)));
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24"), PcapRun.Port.of("wan2", true, "198.51.100.1/24")),
                List.of("w", "l", "x"), s.inputs(), List.of(), nat);

        List<Decoded.Frame> wan = sent(r, "w");
        assertEquals(1, wan.size(), wan::toString);
        assertUdp(wan.get(0), REMOTE_MAC, WAN_IP, 5000, REMOTE, 53);
        List<Decoded.Frame> wan2 = sent(r, "x");
        assertEquals(1, wan2.size(), wan2::toString);
        assertEquals(Frames.ipString(wan2Ip), Frames.ipString(wan2.get(0).ipv4().src()),
                "leaves wan2 with wan2's address: " + wan2.get(0));
        PcapOutput.assertValid(wan2.get(0).ipv4());
    }
}
