package io.hairpin.perf.jmh;

import io.hairpin.engine.session.MappingTable;
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
 * The engine's NAPT {@link MappingTable} holding {@code mappings} UDP endpoint mappings
 * (capacity mappings + 1), internal endpoints and external endpoints as in {@link Tuples}:
 * <ul>
 *   <li>{@code findHit}: {@code find} of a live internal endpoint (an outbound packet of a new
 *       flow from a host that already has its mapping), in a scattered order;</li>
 *   <li>{@code findExternalHit}: {@code findExternal} of a live external endpoint (an inbound
 *       packet to the pool under endpoint-independent filtering);</li>
 *   <li>{@code findMiss}: {@code find} of an endpoint that has no mapping (the same endpoints as TCP);</li>
 *   <li>{@code createAndRemove}: {@code create} of the next mapping and {@code remove} of the
 *       oldest, so the table stays at {@code mappings} live mappings.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class MappingTableBench {
    static final int UDP = 17;
    static final int TCP = 6;

    @Param({"1000", "1000000"})
    public int mappings;

    private MappingTable table;
    private int[] ring;
    private int ringMask;
    private int head;
    private int cursor;
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        table = new MappingTable(mappings + 1, new java.security.SecureRandom().nextLong());
        ring = new int[Integer.highestOneBit(mappings) << 1];
        ringMask = ring.length - 1;
        for (int g = 0; g < mappings; g++) {
            int m = create(table, g);
            if (m < 0) {
                throw new IllegalStateException("create " + g + " failed");
            }
            ring[g & ringMask] = m;
        }
        step = Worlds.scatterStep(mappings);
        for (int g = 0; g < mappings; g += Math.max(1, mappings / 1000)) {
            int m = ring[g];
            if (table.find(UDP, Tuples.client(g), Tuples.clientPort(g)) != m
                    || table.findExternal(UDP, Tuples.publicIp(g), Tuples.publicPort(g)) != m
                    || table.find(TCP, Tuples.client(g), Tuples.clientPort(g)) != -1
                    || table.externalPort(m) != Tuples.publicPort(g)) {
                throw new IllegalStateException("mapping " + g + " is not findable");
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (table.size() != mappings) {
            throw new IllegalStateException("the table holds " + table.size() + " mappings, not " + mappings);
        }
    }

    static int create(MappingTable t, int g) {
        return t.create(UDP, Tuples.client(g), Tuples.clientPort(g), Tuples.publicIp(g), Tuples.publicPort(g));
    }

    private int nextLive() {
        int c = cursor + step;
        if (c >= mappings) {
            c -= mappings;
        }
        cursor = c;
        return head + c;
    }

    @Benchmark
    public void findHit(Blackhole bh) {
        int g = nextLive();
        bh.consume(table.find(UDP, Tuples.client(g), Tuples.clientPort(g)));
    }

    @Benchmark
    public void findExternalHit(Blackhole bh) {
        int g = nextLive();
        bh.consume(table.findExternal(UDP, Tuples.publicIp(g), Tuples.publicPort(g)));
    }

    @Benchmark
    public void findMiss(Blackhole bh) {
        int g = nextLive();
        bh.consume(table.find(TCP, Tuples.client(g), Tuples.clientPort(g)));
    }

    @Benchmark
    public void createAndRemove(Blackhole bh) {
        int h = head;
        int g = h + mappings;
        int m = create(table, g); // -1 (a bug) makes the remove of a later round throw
        ring[g & ringMask] = m;
        table.remove(ring[h & ringMask]);
        head = h + 1;
        bh.consume(m);
    }
}
