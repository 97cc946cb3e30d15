package io.hairpin.perf.jmh;

import io.hairpin.engine.packet.Checksum;
import io.hairpin.engine.packet.ChecksumDelta;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.shim.Mem;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Checksum work per packet, on a real UDP frame in native memory:
 * <ul>
 *   <li>{@code ttlDecrement}: {@code Ipv4.decrementTtl} (RFC 1624 update of one 16-bit word), every forwarded packet;</li>
 *   <li>{@code natRewrite}: a 1:1/NAPT rewrite of both addresses and both ports with the IPv4 and UDP
 *       checksums patched as {@code Nat44.apply} does ({@code ChecksumDelta.delta32} ×2,
 *       {@code delta16} ×2, {@code add}, {@code apply} ×2); it alternates between two translations,
 *       so every call really changes the packet;</li>
 *   <li>{@code update32}: {@code ChecksumDelta.update32} alone, on values from an array;</li>
 *   <li>{@code headerVerify}: {@code Ipv4.headerChecksumOk} over 20 bytes, every received packet;</li>
 *   <li>{@code fullSum556}: {@code Checksum.sum} + {@code finish} over 556 bytes, what an ICMP error's
 *       checksum costs when its quote is rewritten (576-byte errors).</li>
 * </ul>
 * After the trial the frame's checksums are verified with an independent routine.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ChecksumBench {
    private static final int A_SRC = Worlds.HOST_BASE;
    private static final int A_DST = Worlds.SERVER_BASE;
    private static final int B_SRC = Worlds.BINAT_BASE;
    private static final int B_DST = Worlds.SERVER_BASE + 1;
    private static final int A_SPORT = 40000;
    private static final int B_SPORT = 1025;
    private static final int DPORT = 443;

    private WireFrames frames;
    private long ip;
    private long block;
    private boolean flipped;
    private final int[] values = new int[64];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        frames = new WireFrames(2);
        frames.write(0, WireFrames.UDP, Worlds.LAN_MAC, Worlds.WAN_MAC, A_SRC, A_DST, A_SPORT, DPORT);
        ip = frames.frame(0) + WireFrames.ETH_LEN;
        block = frames.frame(1); // 556 bytes from the second element: a frame, then zeros
        frames.write(1, WireFrames.UDP, Worlds.LAN_MAC, Worlds.WAN_MAC, A_SRC, A_DST, A_SPORT, DPORT);
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < values.length; i++) {
            values[i] = rnd.nextInt();
        }
        for (int i = 0; i < 3; i++) {
            natRewrite(ip, flipped);
            flipped = !flipped;
            Ipv4.decrementTtl(ip);
            if (!frames.checksumsValid(0) || !Ipv4.headerChecksumOk(ip, 20)) {
                throw new IllegalStateException("the incremental updates broke the checksums");
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        boolean ok = frames.checksumsValid(0);
        frames.close();
        if (!ok) {
            throw new IllegalStateException("checksums invalid after the run");
        }
    }

    @Benchmark
    public void ttlDecrement(Blackhole bh) {
        Ipv4.decrementTtl(ip);
        bh.consume(Mem.u16(ip + Ipv4.OFF_CHECKSUM));
    }

    @Benchmark
    public void natRewrite(Blackhole bh) {
        boolean f = flipped;
        flipped = !f;
        bh.consume(natRewrite(ip, f));
    }

    @Benchmark
    public void update32(Blackhole bh) {
        int i = next;
        next = (i + 1) & 63;
        bh.consume(ChecksumDelta.update32(values[i] & 0xffff, values[i ^ 1], values[i ^ 2]));
    }

    @Benchmark
    public void headerVerify(Blackhole bh) {
        bh.consume(Ipv4.headerChecksumOk(ip, Ipv4.MIN_HEADER_LEN));
    }

    @Benchmark
    public void fullSum556(Blackhole bh) {
        bh.consume(Checksum.finish(Checksum.sum(block, 556, 0)));
    }

    /** Rewrites the packet to translation A (toA) or B, as Nat44.apply does; returns the new UDP checksum. */
    private static int natRewrite(long ip, boolean toA) {
        int newSrc = toA ? A_SRC : B_SRC;
        int newDst = toA ? A_DST : B_DST;
        int newSport = toA ? A_SPORT : B_SPORT;
        int addrDelta = ChecksumDelta.add(ChecksumDelta.delta32(Ipv4.src(ip), newSrc),
                ChecksumDelta.delta32(Ipv4.dst(ip), newDst));
        Ipv4.src(ip, newSrc);
        Ipv4.dst(ip, newDst);
        Mem.u16(ip + Ipv4.OFF_CHECKSUM, ChecksumDelta.apply(Ipv4.checksum(ip), addrDelta));
        long udp = ip + Ipv4.MIN_HEADER_LEN;
        int delta = ChecksumDelta.add(addrDelta, ChecksumDelta.add(ChecksumDelta.delta16(Mem.u16(udp), newSport),
                ChecksumDelta.delta16(Mem.u16(udp + 2), DPORT)));
        Mem.u16(udp, newSport);
        Mem.u16(udp + 2, DPORT);
        int ck = Mem.u16(udp + 6);
        if (ck != 0) {
            int updated = ChecksumDelta.apply(ck, delta);
            ck = updated == 0 ? 0xffff : updated;
            Mem.u16(udp + 6, ck);
        }
        return ck;
    }
}
