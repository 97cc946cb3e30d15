package io.hairpin.perf.jmh;

import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.packet.Ipv4;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The 1:1 (BINAT) rule lookups of a stateless packet in the engine's {@link NatRules} (the paint
 * tries {@code natAddresses}, {@code binatByExternal}, {@code binatByInternal}), compiled by
 * {@link Snapshot#compile} from the capacity rig's binat rules 198.51.0.1+i ↔ 10.0.0.2+i:
 * <ul>
 *   <li>{@code inbound}: what {@code Nat44.inbound} asks for a packet from the Internet to a 1:1
 *       address once no session matched: {@code natAddressInterface}, the port-forward scan
 *       ({@code portForward}, no forwards here), {@code binatByExternal}, {@code binatAdmits},
 *       {@code binatToInternal};</li>
 *   <li>{@code outbound}: what {@code Nat44.outbound} asks for the host's packet leaving wan:
 *       {@code binatByInternal}, {@code binatAdmitsAll}, {@code binatToExternal}.</li>
 * </ul>
 * Hosts are visited in a scattered order over all rules (16 Internet servers as the remote side).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class NatRuleLookupBench {
    static final int WALK = 16384;

    @Param({"1", "10000"})
    public int rules;

    private NatRules nat;
    private final int[] host = new int[WALK];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        Snapshot snap = Worlds.compile(List.of(), Worlds.binat(rules));
        nat = snap.nat;
        int step = Worlds.scatterStep(rules);
        for (int i = 0; i < WALK; i++) {
            host[i] = (int) ((long) i * step % rules);
        }
        for (int h = 0; h < rules; h++) {
            int server = Worlds.SERVER_BASE + (h & 15);
            if (inbound(nat, Worlds.BINAT_BASE + h, server) != Worlds.HOST_BASE + h
                    || outbound(nat, Worlds.HOST_BASE + h, server) != Worlds.BINAT_BASE + h) {
                throw new IllegalStateException("rule " + h + " does not translate");
            }
        }
        if (inbound(nat, Worlds.BINAT_BASE + rules, Worlds.SERVER_BASE) != -1
                || outbound(nat, Worlds.HOST_BASE + rules, Worlds.SERVER_BASE) != -1) {
            throw new IllegalStateException("an address without a rule translates");
        }
    }

    @Benchmark
    public void inbound(Blackhole bh) {
        int i = next;
        next = (i + 1) & (WALK - 1);
        int h = host[i];
        bh.consume(inbound(nat, Worlds.BINAT_BASE + h, Worlds.SERVER_BASE + (i & 15)));
    }

    @Benchmark
    public void outbound(Blackhole bh) {
        int i = next;
        next = (i + 1) & (WALK - 1);
        int h = host[i];
        bh.consume(outbound(nat, Worlds.HOST_BASE + h, Worlds.SERVER_BASE + (i & 15)));
    }

    /** The internal address a UDP packet from remote to dst:443 goes to, or -1. */
    private static int inbound(NatRules nat, int dst, int remote) {
        if (nat.natAddressInterface(dst) < 0) {
            return -1;
        }
        if (nat.portForward(dst, Ipv4.PROTO_UDP, 443, remote) >= 0) {
            return -2;
        }
        int r = nat.binatByExternal(dst, remote);
        if (r < 0 || !nat.binatAdmits(r, Ipv4.PROTO_UDP, 443)) {
            return -1;
        }
        return nat.binatToInternal(r, dst);
    }

    /** The public source address of src's packet to remote leaving wan, or -1. */
    private static int outbound(NatRules nat, int src, int remote) {
        int r = nat.binatByInternal(src, remote, Worlds.WAN);
        if (r < 0 || !nat.binatAdmitsAll(r)) {
            return -1;
        }
        return nat.binatToExternal(r, src);
    }
}
