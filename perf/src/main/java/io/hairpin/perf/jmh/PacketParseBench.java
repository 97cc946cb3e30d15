package io.hairpin.perf.jmh;

import io.hairpin.engine.Snapshot;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.worker.Counters;
import io.hairpin.shim.Mem;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Parsing and validating one received frame, as {@code Worker.frame} and {@code Worker.ipv4} do
 * before any lookup: Ethernet (length, VLAN tag, interface, destination MAC, EtherType), IPv4
 * (version, IHL, total length against the frame, header checksum, martian source and
 * destination), then the L4 header of a first fragment (its length for UDP and TCP, the UDP
 * length field, the TCP data offset) and the ports. The frames are a burst of 32 real 64-byte
 * frames in native memory, read with the engine's {@code Mem} and {@code io.hairpin.engine.packet}
 * classes; one frame per operation. The packets are in L1/L2, as after an RX burst.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class PacketParseBench {
    static final int BURST = 32;

    @Param({"udp", "tcp"})
    public String proto;

    private WireFrames frames;
    private Snapshot snap;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        snap = Worlds.compile(List.of(), null);
        frames = new WireFrames(BURST);
        int p = proto.equals("tcp") ? WireFrames.TCP : WireFrames.UDP;
        for (int i = 0; i < BURST; i++) {
            frames.write(i, p, Worlds.LAN_MAC, 0x02_00_00_00_10_00L + i, Worlds.HOST_BASE + i,
                    Worlds.SERVER_BASE + (i & 15), 1024 + i, 443);
        }
        for (int i = 0; i < BURST; i++) {
            long expect = (long) (1024 + i) << 16 | 443;
            long got = parse(snap, Worlds.LAN, frames.frame(i), WireFrames.WIRE_LEN);
            if (got != (expect | (long) p << 32)) {
                throw new IllegalStateException("frame " + i + " parsed as " + got);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        frames.close();
    }

    @Benchmark
    public void parse(Blackhole bh) {
        int i = next;
        next = (i + 1) & (BURST - 1);
        bh.consume(parse(snap, Worlds.LAN, frames.frame(i), WireFrames.WIRE_LEN));
    }

    /**
     * The checks of Worker.frame and Worker.ipv4 up to the first lookup, plus the L4 header's.
     *
     * @return proto << 32 | srcPort << 16 | dstPort (as the session key k2), 0 for a packet without
     *         ports, or the negated drop reason
     */
    static long parse(Snapshot snap, int port, long f, int len) {
        if (len < Ethernet.HEADER_LEN) {
            return -Counters.TRUNCATED;
        }
        int type = Mem.u16(f + Ethernet.OFF_TYPE);
        int l2 = Ethernet.HEADER_LEN;
        int vid = 0;
        if (type == Ethernet.TPID_VLAN) {
            if (len < Ethernet.HEADER_LEN + Ethernet.VLAN_TAG_LEN) {
                return -Counters.TRUNCATED;
            }
            vid = Mem.u16(f + 14) & 0xfff;
            type = Mem.u16(f + 16);
            l2 += Ethernet.VLAN_TAG_LEN;
        }
        int iface = snap.interfaceOf(port, vid);
        if (iface < 0) {
            return -Counters.UNKNOWN_VLAN;
        }
        if (Ethernet.dst(f) != snap.mac[iface]) {
            return -Counters.NOT_FOR_US;
        }
        if (type != Ethernet.TYPE_IPV4) {
            return -Counters.UNKNOWN_ETHERTYPE;
        }
        long ip = f + l2;
        int avail = len - l2;
        if (avail < Ipv4.MIN_HEADER_LEN) {
            return -Counters.TRUNCATED;
        }
        int vihl = Mem.u8(ip);
        if ((vihl >>> 4) != 4) {
            return -Counters.BAD_VERSION;
        }
        int ihl = (vihl & 0xf) << 2;
        if (ihl < Ipv4.MIN_HEADER_LEN) {
            return -Counters.BAD_IHL;
        }
        if (ihl > avail) {
            return -Counters.TRUNCATED;
        }
        int total = Ipv4.totalLen(ip);
        if (total < ihl || total > avail) {
            return -Counters.BAD_TOTAL_LENGTH;
        }
        if (!Ipv4.headerChecksumOk(ip, ihl)) {
            return -Counters.BAD_IP_CHECKSUM;
        }
        int src = Ipv4.src(ip);
        int dst = Ipv4.dst(ip);
        if (Ipv4.isMartianSource(src) || src == dst) {
            return -Counters.MARTIAN_SOURCE;
        }
        if (Ipv4.isMartianDestination(dst) || Ipv4.isMulticast(dst)) {
            return -Counters.MARTIAN_DESTINATION;
        }
        int proto = Ipv4.protocol(ip);
        if ((Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0
                || (proto != Ipv4.PROTO_UDP && proto != Ipv4.PROTO_TCP)) {
            return 0;
        }
        long l4 = ip + ihl;
        int l4Len = total - ihl;
        if (proto == Ipv4.PROTO_UDP) {
            int udpLen;
            if (l4Len < 8 || (udpLen = Mem.u16(l4 + 4)) < 8 || udpLen > l4Len) {
                return -Counters.TRUNCATED;
            }
        } else {
            int dataOffset;
            if (l4Len < 20 || (dataOffset = (Mem.u8(l4 + 12) >>> 4) << 2) < 20 || dataOffset > l4Len) {
                return -Counters.TRUNCATED;
            }
        }
        return (long) proto << 32 | (long) Mem.u16(l4) << 16 | Mem.u16(l4 + 2);
    }
}
