package io.hairpin.perf.jmh;

import io.hairpin.engine.session.SessionTable;
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
 * The engine's {@link SessionTable} holding {@code sessions} NAPT sessions (UDP, both flows,
 * capacity sessions + 1, so the index is sized as for max-sessions = sessions):
 * <ul>
 *   <li>{@code findHit}: {@code lookup} of a live forward flow, visited in a scattered order
 *       (not the creation order, so the records are not read in the order they were written);</li>
 *   <li>{@code findMiss}: {@code lookup} of a tuple that is not there (the same tuples as TCP):
 *       what every new flow costs first;</li>
 *   <li>{@code createAndRemove}: {@code create} of the next flow (two probes that miss, the record,
 *       the wheel) and {@code remove} of the oldest (two backward-shift deletions, the wheel), so the
 *       table stays at {@code sessions} live sessions; the cost of one session's life minus expiry's
 *       wheel walk.</li>
 * </ul>
 * Nothing expires (300 s timeout, the clock never moves).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SessionTableBench {
    static final int UDP = 17;
    static final int TCP = 6;
    static final long NOW = 1L << 40;
    static final long TIMEOUT = 300_000_000_000L;

    @Param({"1000", "1000000"})
    public int sessions;

    private SessionTable table;
    /** The session of flow g at g & ringMask, for the live window [head, head + sessions). */
    private int[] ring;
    private int ringMask;
    private int head;
    private int cursor;
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        table = new SessionTable(sessions + 1);
        ring = new int[Integer.highestOneBit(sessions) << 1];
        ringMask = ring.length - 1;
        for (int g = 0; g < sessions; g++) {
            int s = create(table, g);
            if (s < 0) {
                throw new IllegalStateException("create " + g + " failed");
            }
            ring[g & ringMask] = s;
        }
        step = Worlds.scatterStep(sessions);
        for (int g = 0; g < sessions; g += Math.max(1, sessions / 1000)) {
            int s = ring[g];
            int fwd = table.lookup(Tuples.k1(Tuples.client(g), Tuples.server(g)),
                    Tuples.k2(UDP, Tuples.clientPort(g), Tuples.SERVER_PORT));
            int rev = table.lookup(Tuples.k1(Tuples.server(g), Tuples.publicIp(g)),
                    Tuples.k2(UDP, Tuples.SERVER_PORT, Tuples.publicPort(g)));
            int miss = table.lookup(Tuples.k1(Tuples.client(g), Tuples.server(g)),
                    Tuples.k2(TCP, Tuples.clientPort(g), Tuples.SERVER_PORT));
            if (fwd != 2 * s || rev != 2 * s + 1 || miss != -1
                    || table.rewriteK1(fwd) != Tuples.k1(Tuples.publicIp(g), Tuples.server(g))) {
                throw new IllegalStateException("flow " + g + ": " + fwd + " " + rev + " " + miss);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (table.size() != sessions) {
            throw new IllegalStateException("the table holds " + table.size() + " sessions, not " + sessions);
        }
    }

    static int create(SessionTable t, int g) {
        int c = Tuples.client(g);
        int cp = Tuples.clientPort(g);
        int sv = Tuples.server(g);
        int pub = Tuples.publicIp(g);
        int pp = Tuples.publicPort(g);
        int sp = Tuples.SERVER_PORT;
        return t.create(Tuples.k1(c, sv), Tuples.k2(UDP, cp, sp), Tuples.k1(pub, sv), Tuples.k2(UDP, pp, sp),
                NOW, TIMEOUT);
    }

    private int nextLive() {
        int c = cursor + step;
        if (c >= sessions) {
            c -= sessions;
        }
        cursor = c;
        return head + c;
    }

    @Benchmark
    public void findHit(Blackhole bh) {
        int g = nextLive();
        bh.consume(table.lookup(Tuples.k1(Tuples.client(g), Tuples.server(g)),
                Tuples.k2(UDP, Tuples.clientPort(g), Tuples.SERVER_PORT)));
    }

    @Benchmark
    public void findMiss(Blackhole bh) {
        int g = nextLive();
        bh.consume(table.lookup(Tuples.k1(Tuples.client(g), Tuples.server(g)),
                Tuples.k2(TCP, Tuples.clientPort(g), Tuples.SERVER_PORT)));
    }

    @Benchmark
    public void createAndRemove(Blackhole bh) {
        int h = head;
        int g = h + sessions;
        int s = create(table, g); // -1 (a bug) makes the remove of a later round throw
        ring[g & ringMask] = s;
        table.remove(ring[h & ringMask]);
        head = h + 1;
        bh.consume(s);
    }
}
