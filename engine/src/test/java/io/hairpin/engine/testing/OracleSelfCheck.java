package io.hairpin.engine.testing;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Cross-checks the oracle ({@link Pcap}, {@link Frames}, {@link Decoded}) against scapy-generated
 * reference pcaps (see src/test/resources/oracle/make_reference.py) and against tshark.
 *
 * <p>Usage: {@code java -cp CLASSES io.hairpin.engine.testing.OracleSelfCheck [REFERENCE_DIR]}; the
 * default directory is engine/src/test/resources/oracle relative to the repository root or the engine
 * module. Exit status 1 on any failure. The tshark section is skipped (and reported) if tshark is absent.
 */
public final class OracleSelfCheck {

    // Addresses used by make_reference.py
    static final long A_MAC = mac("02:00:00:00:00:01");
    static final long B_MAC = mac("02:00:00:00:00:02");
    static final long GW_MAC = mac("02:00:00:00:00:fe");
    static final int IN_IP = ip("192.168.1.10");
    static final int OUT_IP = ip("203.0.113.5");
    static final int GW_IP = ip("192.168.1.1");
    static final int ROUTER_IP = ip("198.51.100.1");
    static final int REFERENCE_FRAMES = 15;

    private int passed;
    private int failed;
    private String section = "";

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : defaultReferenceDir();
        System.exit(run(dir) == 0 ? 0 : 1);
    }

    /** Runs every check against the scapy references in dir; returns the number that failed. */
    public static int run(Path dir) throws Exception {
        OracleSelfCheck c = new OracleSelfCheck();
        System.out.println("reference dir: " + dir.toAbsolutePath());
        List<byte[]> ref = c.pcapReading(dir);
        c.decodeReference(ref);
        c.buildersMatchScapy(ref);
        c.pcapWriting(dir, ref);
        c.pcapErrors();
        c.addressHelpers();
        c.malformed();
        c.decoderNeverThrows(ref);
        c.tshark();
        System.out.printf("%nTOTAL: %d passed, %d failed%n", c.passed, c.failed);
        if (c.passed == 0) {
            throw new IllegalStateException("the oracle self-check ran no check");
        }
        return c.failed;
    }

    private static Path defaultReferenceDir() {
        for (String candidate : List.of("engine/src/test/resources/oracle", "src/test/resources/oracle")) {
            if (Files.isDirectory(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return Path.of("engine/src/test/resources/oracle");
    }

    // ------------------------------------------------------------------ checks

    private List<byte[]> pcapReading(Path dir) throws IOException {
        begin("pcap reading (scapy LE usec / BE usec / LE nsec)");
        List<Pcap.Packet> le = Pcap.readPackets(dir.resolve("reference.pcap"));
        List<Pcap.Packet> be = Pcap.readPackets(dir.resolve("reference_be.pcap"));
        List<Pcap.Packet> ns = Pcap.readPackets(dir.resolve("reference_ns.pcap"));
        eq("LE frame count", REFERENCE_FRAMES, le.size());
        eq("BE frame count", REFERENCE_FRAMES, be.size());
        eq("NS frame count", REFERENCE_FRAMES, ns.size());
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < Math.min(le.size(), REFERENCE_FRAMES); i++) {
            long ts = (1_700_000_000L + i) * 1_000_000_000L;
            check("frame " + i + " identical in LE/BE/NS files",
                    Arrays.equals(le.get(i).data(), be.get(i).data()) && Arrays.equals(le.get(i).data(), ns.get(i).data()));
            check("frame " + i + " timestamps", le.get(i).timestampNanos() == ts && be.get(i).timestampNanos() == ts
                    && ns.get(i).timestampNanos() == ts);
            check("frame " + i + " orig_len == caplen", le.get(i).originalLength() == le.get(i).data().length);
            frames.add(le.get(i).data());
        }
        List<byte[]> plain = Pcap.read(dir.resolve("reference.pcap"));
        check("read() == readPackets().data", plain.size() == frames.size()
                && java.util.stream.IntStream.range(0, plain.size()).allMatch(i -> Arrays.equals(plain.get(i), frames.get(i))));
        return frames;
    }

    private void decodeReference(List<byte[]> ref) {
        begin("decoder agrees with scapy field values");
        // 0: UDP with DF
        Decoded.Frame f = Decoded.frame(ref.get(0));
        eq("0 dst", B_MAC, f.dstMac());
        eq("0 src", A_MAC, f.srcMac());
        eq("0 vlan", -1, f.vlan());
        eq("0 ethertype", 0x0800, f.etherType());
        eq("0 arp", null, f.arp());
        Decoded.Ipv4 p = f.ipv4();
        ipv4("0", p, 5, 0, 41, 0x1234, true, false, 0, 64, 17, 0x2ad8, IN_IP, OUT_IP);
        udp("0", p.udp(), 40000, 53, 21, 0x7166, true, "hello hairpin");
        check("0 not truncated", !f.truncated() && !p.truncated() && !p.udp().truncated() && p.wellFormed());

        // 1: TCP PA with tos
        p = Decoded.frame(ref.get(1)).ipv4();
        ipv4("1", p, 5, 0x10, 58, 7, false, false, 0, 63, 6, 0x7def, IN_IP, OUT_IP);
        tcp("1", p.tcp(), 51000, 80, 1000, 2000, 5, Frames.TCP_PSH | Frames.TCP_ACK, 8192, 0xe021, true);
        eq("1 tcp payload", "GET / HTTP/1.0\r\n\r\n", str(p.tcp().payload()));
        eq("1 tcp urgent", 0, p.tcp().urgentPointer());

        // 2: TCP SYN with MSS, seq near wrap
        p = Decoded.frame(ref.get(2)).ipv4();
        ipv4("2", p, 5, 0, 44, 8, true, false, 0, 64, 6, 0x3d0c, IN_IP, OUT_IP);
        tcp("2", p.tcp(), 51001, 443, 4294967280L, 0, 6, Frames.TCP_SYN, 64240, 0xd697, true);
        eq("2 tcp options", "020405b4", hex(p.tcp().options()));
        eq("2 tcp payload length", 0, p.tcp().payload().length);

        // 3, 4: ICMP echo request / reply
        p = Decoded.frame(ref.get(3)).ipv4();
        ipv4("3", p, 5, 0, 45, 0x0bad, false, false, 0, 64, 1, 0x716b, IN_IP, OUT_IP);
        icmp("3", p.icmp(), 8, 0, 0xe8c9, true);
        eq("3 echo id", 0x4242, p.icmp().id());
        eq("3 echo seq", 3, p.icmp().seq());
        eq("3 echo body", "ping-payload-0123", str(p.icmp().body()));
        eq("3 no quote", null, p.icmp().quoted());
        f = Decoded.frame(ref.get(4));
        eq("4 dst", A_MAC, f.dstMac());
        eq("4 src", B_MAC, f.srcMac());
        p = f.ipv4();
        ipv4("4", p, 5, 0, 45, 0x0bae, false, false, 0, 55, 1, 0x7a6a, OUT_IP, IN_IP);
        icmp("4", p.icmp(), 0, 0, 0xf0c9, true);
        eq("4 echo id", 0x4242, p.icmp().id());
        eq("4 echo seq", 3, p.icmp().seq());

        // 5: ICMP time exceeded quoting UDP
        f = Decoded.frame(ref.get(5));
        eq("5 src", GW_MAC, f.srcMac());
        p = f.ipv4();
        ipv4("5", p, 5, 0, 56, 0x1111, false, false, 0, 254, 1, 0xbfcc, ROUTER_IP, IN_IP);
        icmp("5", p.icmp(), 11, 0, 0x3322, true);
        eq("5 rest", 0L, p.icmp().restOfHeader());
        eq("5 id (not echo)", -1, p.icmp().id());
        eq("5 mtu (not 3/4)", -1, p.icmp().mtu());
        Decoded.Ipv4 q = p.icmp().quoted();
        check("5 quoted present", q != null);
        if (q != null) {
            ipv4("5 quoted", q, 5, 0, 40, 0x5555, false, false, 0, 1, 17, 0x66b8, IN_IP, OUT_IP);
            check("5 quoted is truncated (only header + 8 bytes)", q.truncated());
            udp("5 quoted", q.udp(), 40001, 33434, 20, 0xa2ed, false, "");
            check("5 quoted udp truncated", q.udp().truncated());
        }
        eq("5 quotedL4", "9c41829a0014a2ed", hex(p.icmp().quotedL4()));

        // 6: ICMP frag needed, MTU 1400, quoting TCP
        p = Decoded.frame(ref.get(6)).ipv4();
        ipv4("6", p, 5, 0, 56, 0x2222, false, false, 0, 254, 1, 0xaebb, ROUTER_IP, IN_IP);
        icmp("6", p.icmp(), 3, 4, 0x2e89, true);
        eq("6 mtu", 1400, p.icmp().mtu());
        eq("6 rest", 1400L, p.icmp().restOfHeader());
        q = p.icmp().quoted();
        check("6 quoted present", q != null);
        if (q != null) {
            ipv4("6 quoted", q, 5, 0, 1500, 0x6666, true, false, 0, 64, 6, 0xd0fd, IN_IP, OUT_IP);
            check("6 quoted tcp present", q.tcp() != null);
            if (q.tcp() != null) {
                eq("6 quoted tcp sport", 51002, q.tcp().sport());
                eq("6 quoted tcp dport", 443, q.tcp().dport());
                eq("6 quoted tcp seq", 5L, q.tcp().seq());
                eq("6 quoted tcp ack (not quoted)", -1L, q.tcp().ack());
                check("6 quoted tcp truncated, checksum not valid", q.tcp().truncated() && !q.tcp().checksumValid());
            }
        }
        eq("6 quotedL4", "c73a01bb00000005", hex(p.icmp().quotedL4()));

        // 7, 8: ARP
        f = Decoded.frame(ref.get(7));
        eq("7 dst", Frames.BROADCAST, f.dstMac());
        eq("7 src", A_MAC, f.srcMac());
        eq("7 ethertype", 0x0806, f.etherType());
        eq("7 ipv4", null, f.ipv4());
        arp("7", f.arp(), 1, A_MAC, IN_IP, 0L, GW_IP);
        f = Decoded.frame(ref.get(8));
        eq("8 dst", A_MAC, f.dstMac());
        eq("8 src", GW_MAC, f.srcMac());
        arp("8", f.arp(), 2, GW_MAC, GW_IP, A_MAC, IN_IP);

        // 9: VLAN-tagged UDP
        f = Decoded.frame(ref.get(9));
        eq("9 vlan", 100, f.vlan());
        eq("9 inner ethertype", 0x0800, f.etherType());
        p = f.ipv4();
        ipv4("9", p, 5, 0, 32, 42, false, false, 0, 64, 17, 0x5f96, ip("10.1.2.3"), ip("10.4.5.6"));
        udp("9", p.udp(), 1234, 5678, 12, 0xf1ed, true, "vlan");

        // 10: UDP checksum computes to 0, transmitted as 0xffff
        p = Decoded.frame(ref.get(10)).ipv4();
        ipv4("10", p, 5, 0, 34, 0x0100, false, false, 0, 64, 17, 0x7c13, IN_IP, OUT_IP);
        udp("10", p.udp(), 40002, 9999, 14, 0xffff, true, "edge\u0071\u00fe");
        eq("10 expected udp checksum", 0xffff, p.udp().expectedChecksum());

        // 11: IPv4 Router Alert option, IHL 6
        p = Decoded.frame(ref.get(11)).ipv4();
        ipv4("11", p, 6, 0, 35, 0x0200, false, false, 0, 1, 17, 0x80fd, IN_IP, ip("224.0.0.22"));
        eq("11 options", "94040000", hex(p.options()));
        udp("11", p.udp(), 5000, 5001, 11, 0x538d, true, "opt");

        // 12: non-first fragment
        p = Decoded.frame(ref.get(12)).ipv4();
        ipv4("12", p, 5, 0, 36, 99, false, false, 3, 64, 17, 0x7cab, IN_IP, OUT_IP);
        check("12 no L4 decoded for offset != 0", p.udp() == null && p.tcp() == null && p.icmp() == null);
        eq("12 payload", "0123456789abcdef", str(p.payload()));

        // 13: UDP checksum 0 = none, valid
        p = Decoded.frame(ref.get(13)).ipv4();
        ipv4("13", p, 5, 0, 34, 0x0300, false, false, 0, 64, 17, 0x7a13, IN_IP, OUT_IP);
        udp("13", p.udp(), 7, 7, 14, 0, true, "nocsum");

        // 14: padded to 60 bytes; padding is not payload
        f = Decoded.frame(ref.get(14));
        eq("14 frame length", 60, f.length());
        p = f.ipv4();
        ipv4("14", p, 5, 0, 29, 0x0400, false, false, 0, 64, 17, 0x7918, IN_IP, OUT_IP);
        eq("14 ip payload excludes padding", 9, p.payload().length);
        udp("14", p.udp(), 1, 2, 9, 0x8a20, true, "x");
        check("14 not truncated", !p.truncated() && p.wellFormed());
    }

    /** Builders for the same fields as make_reference.py; must be byte-identical to scapy's output. */
    static List<byte[]> referenceFramesBuiltHere() {
        List<byte[]> out = new ArrayList<>();
        out.add(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 40000, 53, bytes("hello hairpin")).id(0x1234).df(true).build());
        out.add(Frames.tcp4(A_MAC, B_MAC, IN_IP, OUT_IP, 51000, 80, 1000, 2000, Frames.TCP_PSH | Frames.TCP_ACK,
                bytes("GET / HTTP/1.0\r\n\r\n")).id(7).tos(0x10).ttl(63).tcpWindow(8192).build());
        out.add(Frames.tcp4(A_MAC, B_MAC, IN_IP, OUT_IP, 51001, 443, 0xFFFFFFF0L, 0, Frames.TCP_SYN, new byte[0])
                .id(8).df(true).tcpWindow(64240).tcpOptions(new byte[] {2, 4, 0x05, (byte) 0xb4}).build());
        out.add(Frames.icmpEcho4(A_MAC, B_MAC, IN_IP, OUT_IP, 8, 0x4242, 3, bytes("ping-payload-0123")).id(0x0bad).build());
        out.add(Frames.icmpEcho4(B_MAC, A_MAC, OUT_IP, IN_IP, 0, 0x4242, 3, bytes("ping-payload-0123"))
                .id(0x0bae).ttl(55).build());
        byte[] offendingUdp = Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 40001, 33434, bytes("traceroute!!"))
                .id(0x5555).ttl(1).packet();
        out.add(Frames.icmpError4(GW_MAC, A_MAC, ROUTER_IP, IN_IP, 11, 0, 0, offendingUdp).id(0x1111).ttl(254).build());
        byte[] x1460 = new byte[1460];
        Arrays.fill(x1460, (byte) 'x');
        byte[] offendingTcp = Frames.tcp4(A_MAC, B_MAC, IN_IP, OUT_IP, 51002, 443, 5, 6, Frames.TCP_ACK, x1460)
                .id(0x6666).df(true).packet();
        out.add(Frames.icmpError4(GW_MAC, A_MAC, ROUTER_IP, IN_IP, Frames.ICMP_DEST_UNREACHABLE,
                Frames.ICMP_CODE_FRAG_NEEDED, 1400, offendingTcp).id(0x2222).ttl(254).build());
        out.add(Frames.arpRequest(A_MAC, IN_IP, GW_IP));
        out.add(Frames.arpReply(GW_MAC, GW_IP, A_MAC, IN_IP));
        out.add(Frames.udp4(A_MAC, B_MAC, ip("10.1.2.3"), ip("10.4.5.6"), 1234, 5678, bytes("vlan")).id(42).vlan(100).build());
        out.add(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 40002, 9999, new byte[] {'e', 'd', 'g', 'e', 0x71, (byte) 0xfe})
                .id(0x0100).build());
        out.add(Frames.udp4(A_MAC, B_MAC, IN_IP, ip("224.0.0.22"), 5000, 5001, bytes("opt")).id(0x0200).ttl(1)
                .options(new byte[] {(byte) 0x94, 0x04, 0x00, 0x00}).build());
        out.add(Frames.ipv4(A_MAC, B_MAC, IN_IP, OUT_IP).id(99).fragOffset(3).payload(Frames.PROTO_UDP,
                bytes("0123456789abcdef")).build());
        out.add(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 7, 7, bytes("nocsum")).id(0x0300).l4Checksum(0).build());
        out.add(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1, 2, bytes("x")).id(0x0400).padTo(Frames.ETH_MIN_FRAME).build());
        return out;
    }

    private void buildersMatchScapy(List<byte[]> ref) {
        begin("builders produce byte-identical frames to scapy");
        List<byte[]> mine = referenceFramesBuiltHere();
        eq("frame count", ref.size(), mine.size());
        for (int i = 0; i < Math.min(ref.size(), mine.size()); i++) {
            boolean same = Arrays.equals(ref.get(i), mine.get(i));
            check("frame " + i + " byte-identical", same);
            if (!same) {
                System.out.println("      scapy: " + hex(ref.get(i)));
                System.out.println("      mine : " + hex(mine.get(i)));
            }
        }
        check("ethernet() matches the UDP reference frame",
                Arrays.equals(ref.get(0), Frames.ethernet(B_MAC, A_MAC, 0x0800, Frames.l3Of(ref.get(0)))));
        check("ethernetVlan() matches the VLAN reference frame",
                Arrays.equals(ref.get(9), Frames.ethernetVlan(B_MAC, A_MAC, 100, 0x0800, Frames.l3Of(ref.get(9)))));
    }

    private void pcapWriting(Path dir, List<byte[]> ref) throws IOException {
        begin("pcap writing");
        List<Pcap.Packet> packets = new ArrayList<>();
        for (int i = 0; i < ref.size(); i++) {
            packets.add(new Pcap.Packet((1_700_000_000L + i) * 1_000_000_000L, ref.get(i)));
        }
        Path tmp = Files.createTempDirectory("oracle-pcap");
        Path le = tmp.resolve("le.pcap");
        Path be = tmp.resolve("be.pcap");
        Pcap.writePackets(le, packets, ByteOrder.LITTLE_ENDIAN);
        Pcap.writePackets(be, packets, ByteOrder.BIG_ENDIAN);
        check("LE file byte-identical to scapy's reference.pcap",
                Arrays.equals(Files.readAllBytes(le), Files.readAllBytes(dir.resolve("reference.pcap"))));
        check("BE file byte-identical to scapy's reference_be.pcap",
                Arrays.equals(Files.readAllBytes(be), Files.readAllBytes(dir.resolve("reference_be.pcap"))));
        Path rt = tmp.resolve("roundtrip.pcap");
        List<byte[]> frames = new ArrayList<>(ref);
        frames.add(new byte[0]);
        frames.add(new byte[9000]);
        Pcap.write(rt, frames);
        List<byte[]> back = Pcap.read(rt);
        check("write/read round trip (incl. empty and 9000-byte frames)", back.size() == frames.size()
                && java.util.stream.IntStream.range(0, back.size()).allMatch(i -> Arrays.equals(back.get(i), frames.get(i))));
        Pcap.write(rt, frames, ByteOrder.BIG_ENDIAN);
        List<byte[]> backBe = Pcap.read(rt);
        check("BE write/read round trip", backBe.size() == frames.size()
                && java.util.stream.IntStream.range(0, backBe.size()).allMatch(i -> Arrays.equals(backBe.get(i), frames.get(i))));
        deleteTree(tmp);
    }

    private void pcapErrors() throws IOException {
        begin("pcap read errors are clear IOExceptions");
        Path tmp = Files.createTempDirectory("oracle-pcap-err");
        Path good = tmp.resolve("good.pcap");
        Pcap.write(good, List.of(new byte[60], new byte[70]));
        byte[] bytes = Files.readAllBytes(good);
        expectIoError("short file", tmp, Arrays.copyOf(bytes, 10), "shorter than the 24-byte global header");
        byte[] badMagic = bytes.clone();
        badMagic[0] = 0x12;
        expectIoError("bad magic", tmp, badMagic, "bad pcap magic");
        byte[] pcapng = bytes.clone();
        pcapng[0] = 0x0a; pcapng[1] = 0x0d; pcapng[2] = 0x0d; pcapng[3] = 0x0a;
        expectIoError("pcapng", tmp, pcapng, "pcapng");
        expectIoError("truncated record header", tmp, Arrays.copyOf(bytes, 24 + 16 + 60 + 5), "truncated record header");
        expectIoError("truncated record data", tmp, Arrays.copyOf(bytes, bytes.length - 1), "truncated record #1");
        byte[] linktype = bytes.clone();
        linktype[20] = 101;
        expectIoError("non-Ethernet linktype", tmp, linktype, "unsupported linktype 101");
        deleteTree(tmp);
    }

    private void addressHelpers() {
        begin("address helpers");
        eq("mac()", 0x0200000000feL, mac("02:00:00:00:00:FE"));
        eq("mac() with dashes", 0xffeeddccbbaaL, mac("ff-ee-dd-cc-bb-aa"));
        eq("ip()", 0xC0A80101, ip("192.168.1.1"));
        eq("ip() high octet", 0xFFFFFFFF, ip("255.255.255.255"));
        eq("macString()", "02:00:00:00:00:fe", Frames.macString(GW_MAC));
        eq("ipString()", "203.0.113.5", Frames.ipString(OUT_IP));
        for (String bad : List.of("02:00:00:00:00", "02:00:00:00:00:0g", "+2:00:00:00:00:01", "")) {
            check("mac(\"" + bad + "\") rejected", throwsIae(() -> mac(bad)));
        }
        for (String bad : List.of("1.2.3", "1.2.3.256", "1.2.3.-4", "a.b.c.d", "1..2.3")) {
            check("ip(\"" + bad + "\") rejected", throwsIae(() -> ip(bad)));
        }
    }

    private void malformed() {
        begin("malformed-frame knobs produce exactly the intended defect");
        Frames.Ipv4Builder base = Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!"));
        byte[] good = base.build();
        Decoded.Ipv4 g = Decoded.frame(good).ipv4();
        check("baseline fully valid", g.wellFormed() && !g.truncated() && g.headerChecksumValid() && g.udp().checksumValid());

        for (int n : new int[] {0, 5, 13, 14, 20, 33, 34, 41, good.length - 1}) {
            Decoded.Frame f = Decoded.frame(Frames.truncate(good, n));
            boolean flagged = f.truncated() || (f.ipv4() != null && f.ipv4().truncated());
            check("truncated to " + n + " bytes is flagged", flagged);
        }
        check("builder truncate() == Frames.truncate()",
                Arrays.equals(Frames.truncate(good, 30), Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000,
                        bytes("payload!")).truncate(30).build()));

        Decoded.Ipv4 p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!"))
                .corruptHeaderChecksum().build()).ipv4();
        check("bad header checksum: only the header checksum is bad",
                !p.headerChecksumValid() && p.wellFormed() && p.udp().checksumValid());
        check("bad header checksum differs from expected", p.headerChecksum() != p.expectedHeaderChecksum());

        p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!")).ihl(4).build()).ipv4();
        check("IHL 4: reported, not well-formed, no L4", p.ihl() == 4 && !p.wellFormed() && p.udp() == null);

        p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!")).ihl(15).build()).ipv4();
        check("IHL 15 beyond frame: truncated, not well-formed", p.ihl() == 15 && p.truncated() && !p.wellFormed());

        p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!"))
                .ihl(6).build()).ipv4();
        check("IHL 6 (options eat UDP header): header checksum still correct", p.headerChecksumValid());

        p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!"))
                .totalLength(good.length - 14 + 10).build()).ipv4();
        check("total length beyond frame: truncated, header checksum still valid",
                p.truncated() && !p.wellFormed() && p.headerChecksumValid() && p.totalLength() == good.length - 14 + 10);

        p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!"))
                .totalLength(19).build()).ipv4();
        check("total length < IHL*4: not well-formed, no L4", !p.wellFormed() && p.udp() == null);

        p = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1000, 2000, bytes("payload!")).version(6).build()).ipv4();
        check("version 6 in IPv4 ethertype: version reported, not well-formed, checksum valid",
                p.version() == 6 && !p.wellFormed() && p.headerChecksumValid());

        Decoded.Arp a = Decoded.frame(Frames.arp(Frames.ARP_REQUEST, A_MAC, IN_IP, 0, GW_IP).hardwareLength(8).build()).arp();
        check("ARP hlen 8: reported and not well-formed", a.hardwareLength() == 8 && !a.wellFormed());
        a = Decoded.frame(Frames.arp(Frames.ARP_REQUEST, A_MAC, IN_IP, 0, GW_IP).protocolLength(16).padTo(60).build()).arp();
        check("ARP plen 16: reported and not well-formed", a.protocolLength() == 16 && !a.wellFormed());
        a = Decoded.frame(Frames.truncate(Frames.arpRequest(A_MAC, IN_IP, GW_IP), 30)).arp();
        check("ARP truncated", a.truncated() && !a.wellFormed());
        Decoded.Frame vf = Decoded.frame(Frames.arp(Frames.ARP_REPLY, GW_MAC, GW_IP, A_MAC, IN_IP).vlan(7).build());
        check("VLAN ARP", vf.vlan() == 7 && vf.arp() != null && vf.arp().wellFormed() && vf.arp().tha() == A_MAC);

        Decoded.Udp u = Decoded.frame(base.corruptL4Checksum().build()).ipv4().udp();
        check("bad UDP checksum detected", !u.checksumValid() && u.checksum() != 0);
        Decoded.Tcp t = Decoded.frame(Frames.tcp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1, 2, 3, 4, Frames.TCP_ACK, bytes("abc"))
                .corruptL4Checksum().build()).ipv4().tcp();
        check("bad TCP checksum detected", !t.checksumValid());
        Decoded.Icmp ic = Decoded.frame(Frames.icmpEcho4(A_MAC, B_MAC, IN_IP, OUT_IP, 8, 1, 2, bytes("abc"))
                .corruptL4Checksum().build()).ipv4().icmp();
        check("bad ICMP checksum detected", !ic.checksumValid());
        for (int c : new int[] {0x0000, 0x00ff, 0xff00, 0xffff, 0x1234}) {
            int bad = Checksum.corrupt(c);
            check("corrupt(" + hex16(c) + ")=" + hex16(bad) + " is wrong, non-zero, not an alias",
                    bad != c && bad != 0 && !(c == 0 && bad == 0xffff) && !(c == 0xffff && bad == 0));
        }

        Decoded.Frame first = Decoded.frame(Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 9, 10, bytes("partial"))
                .mf(true).build());
        check("first fragment: MF reported, UDP header decoded", first.ipv4().mf() && first.ipv4().udp() != null
                && first.ipv4().udp().sport() == 9);
    }

    private void decoderNeverThrows(List<byte[]> ref) {
        begin("decoder never throws on garbage");
        Random rnd = new Random(1234);
        int decoded = 0;
        List<byte[]> seeds = new ArrayList<>(ref);
        seeds.addAll(referenceFramesBuiltHere());
        seeds.add(Frames.arp(1, A_MAC, IN_IP, 0, GW_IP).hardwareLength(255).protocolLength(255).build());
        try {
            for (byte[] s : seeds) {
                for (int n = 0; n <= s.length; n++) {
                    Decoded.frame(Arrays.copyOf(s, n)).toString();
                    decoded++;
                }
            }
            for (int i = 0; i < 200_000; i++) {
                byte[] s = seeds.get(rnd.nextInt(seeds.size())).clone();
                int flips = 1 + rnd.nextInt(6);
                for (int k = 0; k < flips && s.length > 0; k++) {
                    s[rnd.nextInt(s.length)] = (byte) rnd.nextInt(256);
                }
                Decoded.frame(Arrays.copyOf(s, rnd.nextInt(s.length + 1))).toString();
                byte[] garbage = new byte[rnd.nextInt(120)];
                rnd.nextBytes(garbage);
                if (garbage.length > 13 && rnd.nextBoolean()) {
                    garbage[12] = 0x08;
                    garbage[13] = (byte) (rnd.nextBoolean() ? 0x00 : 0x06);
                }
                Decoded.frame(garbage).toString();
                decoded += 2;
            }
            Decoded.frame(null);
            check(decoded + " truncated/mutated/random frames decoded without exception", true);
        } catch (RuntimeException e) {
            check("decoder threw " + e, false);
            e.printStackTrace(System.out);
        }
        // every strict prefix of a reference frame's meaningful bytes is reported as truncated somewhere
        boolean allFlagged = true;
        for (int i = 0; i < ref.size(); i++) {
            Decoded.Frame full = Decoded.frame(ref.get(i));
            int hdr = full.vlan() >= 0 ? 18 : 14;
            int meaningful = full.arp() != null ? hdr + 28 : full.ipv4() != null ? hdr + full.ipv4().totalLength() : 0;
            for (int n = 0; n < meaningful; n++) {
                Decoded.Frame f = Decoded.frame(Arrays.copyOf(ref.get(i), n));
                boolean flagged = f.truncated() || (f.arp() != null && f.arp().truncated())
                        || (f.ipv4() != null && f.ipv4().truncated());
                if (!flagged) {
                    allFlagged = false;
                    System.out.println("      not flagged: frame " + i + " cut to " + n);
                }
            }
        }
        check("every prefix shorter than the L3 length is flagged truncated", allFlagged);
    }

    private void tshark() throws IOException, InterruptedException {
        begin("tshark validates checksums of frames written by Pcap.write");
        if (!commandExists("tshark")) {
            System.out.println("  SKIP  tshark not installed");
            return;
        }
        Random rnd = new Random(42);
        List<byte[]> goodFrames = new ArrayList<>(referenceFramesBuiltHere());
        goodFrames.remove(13);   // checksum-0 UDP: tshark reports "not present" (3); checked with the bad frames
        goodFrames.remove(12);   // non-first fragment: no L4 checksum to check
        goodFrames.removeIf(fr -> Decoded.frame(fr).ipv4() == null);
        int randomFrames = 400;
        for (int i = 0; i < randomFrames; i++) {
            goodFrames.add(randomFrame(rnd));
        }
        boolean allMineValid = goodFrames.stream().allMatch(OracleSelfCheck::decoderSaysValid);
        check("own decoder says all " + goodFrames.size() + " frames are valid", allMineValid);
        Path tmp = Files.createTempDirectory("oracle-tshark");
        Path goodFile = tmp.resolve("good.pcap");
        Pcap.write(goodFile, goodFrames);
        List<String[]> rows = runTshark(goodFile);
        eq("tshark saw every frame", goodFrames.size(), rows.size());
        int bad = 0;
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            boolean icmpError = !r[4].isEmpty() && r[1].contains(",");
            boolean ok = allIn(r[1], "1") && allIn(r[4], "1")
                    && (icmpError ? allIn(r[2], "1", "2") && allIn(r[3], "1", "2") : allIn(r[2], "1") && allIn(r[3], "1"))
                    && !(r[2].isEmpty() && r[3].isEmpty() && r[4].isEmpty());
            if (!ok) {
                bad++;
                System.out.println("      frame " + (i + 1) + " tshark status ip/udp/tcp/icmp = " + String.join(" | ", r)
                        + "  " + Decoded.frame(goodFrames.get(i)));
            }
        }
        check("tshark: all IP/UDP/TCP/ICMP checksums Good in " + rows.size() + " frames ("
                + randomFrames + " random)", bad == 0 && rows.size() == goodFrames.size());

        List<byte[]> badFrames = List.of(
                Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1, 2, bytes("a")).corruptHeaderChecksum().build(),
                Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1, 2, bytes("a")).corruptL4Checksum().build(),
                Frames.tcp4(A_MAC, B_MAC, IN_IP, OUT_IP, 1, 2, 3, 4, Frames.TCP_ACK, bytes("a")).corruptL4Checksum().build(),
                Frames.icmpEcho4(A_MAC, B_MAC, IN_IP, OUT_IP, 8, 1, 2, bytes("a")).corruptL4Checksum().build(),
                Frames.udp4(A_MAC, B_MAC, IN_IP, OUT_IP, 7, 7, bytes("a")).l4Checksum(0).build());
        Path badFile = tmp.resolve("bad.pcap");
        Pcap.write(badFile, badFrames);
        List<String[]> badRows = runTshark(badFile);
        eq("tshark saw every corrupted frame", badFrames.size(), badRows.size());
        if (badRows.size() == badFrames.size()) {
            check("tshark flags corrupted IP header checksum", badRows.get(0)[1].equals("0"));
            check("tshark flags corrupted UDP checksum", badRows.get(1)[2].equals("0") && badRows.get(1)[1].equals("1"));
            check("tshark flags corrupted TCP checksum", badRows.get(2)[3].equals("0") && badRows.get(2)[1].equals("1"));
            check("tshark flags corrupted ICMP checksum", badRows.get(3)[4].equals("0") && badRows.get(3)[1].equals("1"));
            check("tshark sees UDP checksum 0 as not present", badRows.get(4)[2].equals("3"));
        }
        deleteTree(tmp);
    }

    private static byte[] randomFrame(Random rnd) {
        long src = rnd.nextLong() & 0xFEFF_FFFF_FFFFL;
        long dst = rnd.nextLong() & 0xFEFF_FFFF_FFFFL;
        int sip = rnd.nextInt();
        int dip = rnd.nextInt();
        byte[] payload = new byte[rnd.nextInt(300)];
        rnd.nextBytes(payload);
        Frames.Ipv4Builder b = switch (rnd.nextInt(3)) {
            case 0 -> Frames.udp4(src, dst, sip, dip, rnd.nextInt(65536), rnd.nextInt(65536), payload);
            case 1 -> Frames.tcp4(src, dst, sip, dip, rnd.nextInt(65536), rnd.nextInt(65536),
                    rnd.nextLong() & 0xFFFF_FFFFL, rnd.nextLong() & 0xFFFF_FFFFL, rnd.nextInt(256), payload)
                    .tcpWindow(rnd.nextInt(65536));
            default -> Frames.icmpEcho4(src, dst, sip, dip, rnd.nextBoolean() ? 8 : 0, rnd.nextInt(65536),
                    rnd.nextInt(65536), payload);
        };
        b.ttl(1 + rnd.nextInt(255)).id(rnd.nextInt(65536)).tos(rnd.nextInt(256)).df(rnd.nextBoolean());
        if (rnd.nextInt(4) == 0) {
            b.vlan(1 + rnd.nextInt(4094));
        }
        if (rnd.nextInt(4) == 0) {
            b.options(new byte[] {1, 1, 1, 0});   // NOP NOP NOP EOL
        }
        return b.build();
    }

    private static boolean decoderSaysValid(byte[] frame) {
        Decoded.Ipv4 p = Decoded.frame(frame).ipv4();
        if (p == null || !p.wellFormed() || !p.headerChecksumValid()) {
            return false;
        }
        if (p.fragOffset() != 0) {
            return true;
        }
        return (p.udp() == null || p.udp().checksumValid()) && (p.tcp() == null || p.tcp().checksumValid())
                && (p.icmp() == null || p.icmp().checksumValid());
    }

    private static List<String[]> runTshark(Path file) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder("tshark", "-r", file.toString(),
                "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                "-T", "fields", "-e", "frame.number", "-e", "ip.checksum.status", "-e", "udp.checksum.status",
                "-e", "tcp.checksum.status", "-e", "icmp.checksum.status")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String[]> rows = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                rows.add(Arrays.copyOf(line.split("\t", -1), 5));
            }
        }
        proc.waitFor();
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = row[i] == null ? "" : row[i];
            }
        }
        return rows;
    }

    private static boolean allIn(String field, String... allowed) {
        if (field.isEmpty()) {
            return true;
        }
        for (String v : field.split(",")) {
            if (!List.of(allowed).contains(v)) {
                return false;
            }
        }
        return true;
    }

    private static boolean commandExists(String cmd) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, cmd))) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ assertion helpers

    private void ipv4(String what, Decoded.Ipv4 p, int ihl, int tos, int totalLength, int id, boolean df, boolean mf,
                      int fragOffset, int ttl, int protocol, int checksum, int src, int dst) {
        if (p == null) {
            check(what + " ipv4 present", false);
            return;
        }
        boolean ok = p.version() == 4 && p.ihl() == ihl && p.tos() == tos && p.totalLength() == totalLength
                && p.id() == id && p.df() == df && p.mf() == mf && p.fragOffset() == fragOffset && p.ttl() == ttl
                && p.protocol() == protocol && p.headerChecksum() == checksum && p.headerChecksumValid()
                && p.expectedHeaderChecksum() == checksum && p.src() == src && p.dst() == dst;
        check(what + " ipv4 fields (csum " + hex16(checksum) + " valid)", ok);
        if (!ok) {
            System.out.println("      got " + p);
        }
    }

    private void udp(String what, Decoded.Udp u, int sport, int dport, int length, int checksum, boolean valid,
                     String payload) {
        if (u == null) {
            check(what + " udp present", false);
            return;
        }
        boolean ok = u.sport() == sport && u.dport() == dport && u.length() == length && u.checksum() == checksum
                && u.checksumValid() == valid && str(u.payload()).equals(payload);
        check(what + " udp fields (csum " + hex16(checksum) + (valid ? " valid" : " not verifiable") + ")", ok);
        if (!ok) {
            System.out.println("      got " + u);
        }
    }

    private void tcp(String what, Decoded.Tcp t, int sport, int dport, long seq, long ack, int dataOffset, int flags,
                     int window, int checksum, boolean valid) {
        if (t == null) {
            check(what + " tcp present", false);
            return;
        }
        boolean ok = t.sport() == sport && t.dport() == dport && t.seq() == seq && t.ack() == ack
                && t.dataOffset() == dataOffset && t.flags() == flags && t.window() == window
                && t.checksum() == checksum && t.checksumValid() == valid && !t.truncated();
        check(what + " tcp fields (csum " + hex16(checksum) + " valid)", ok);
        if (!ok) {
            System.out.println("      got " + t);
        }
    }

    private void icmp(String what, Decoded.Icmp m, int type, int code, int checksum, boolean valid) {
        if (m == null) {
            check(what + " icmp present", false);
            return;
        }
        boolean ok = m.type() == type && m.code() == code && m.checksum() == checksum && m.checksumValid() == valid
                && !m.truncated();
        check(what + " icmp fields (" + type + "/" + code + " csum " + hex16(checksum) + " valid)", ok);
        if (!ok) {
            System.out.println("      got " + m);
        }
    }

    private void arp(String what, Decoded.Arp a, int op, long sha, int spa, long tha, int tpa) {
        if (a == null) {
            check(what + " arp present", false);
            return;
        }
        boolean ok = a.hardwareType() == 1 && a.protocolType() == 0x0800 && a.hardwareLength() == 6
                && a.protocolLength() == 4 && a.op() == op && a.sha() == sha && a.spa() == spa && a.tha() == tha
                && a.tpa() == tpa && a.wellFormed() && !a.truncated();
        check(what + " arp fields (op " + op + ")", ok);
        if (!ok) {
            System.out.println("      got " + a);
        }
    }

    private void expectIoError(String what, Path tmp, byte[] content, String messagePart) throws IOException {
        Path f = tmp.resolve("case.pcap");
        Files.write(f, content);
        try {
            Pcap.read(f);
            check(what + ": IOException expected", false);
        } catch (IOException e) {
            boolean ok = e.getMessage().contains(messagePart);
            check(what + ": IOException \"" + e.getMessage().replace(f.toString(), "FILE") + "\"", ok);
        }
    }

    private static boolean throwsIae(Runnable r) {
        try {
            r.run();
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    private void begin(String name) {
        section = name;
        System.out.println();
        System.out.println("== " + name);
    }

    private void check(String what, boolean ok) {
        if (ok) {
            passed++;
            System.out.println("  ok    " + what);
        } else {
            failed++;
            System.out.println("  FAIL  [" + section + "] " + what);
        }
    }

    private void eq(String what, Object expected, Object actual) {
        boolean ok = Objects.equals(expected, actual);
        check(what + (ok ? "" : ": expected " + expected + " but got " + actual), ok);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private static String hex16(int v) {
        return String.format("0x%04x", v);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
