package io.hairpin.perf.jmh;

import io.hairpin.engine.Snapshot;
import io.hairpin.engine.session.SessionTable;
import java.util.Arrays;
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
 * What the route memo of a session flow costs its worker away from the packets (see
 * {@code Worker.doWork}):
 * <ul>
 *   <li>{@code sameRouting}: the check a worker makes once per snapshot it takes, whether the new
 *       snapshot routes as the last one did ({@code RouteTable.sameRoutes} and the anti-spoofing
 *       flags compared): two snapshots compiled apart from the same configuration, the case where
 *       the check reads every array to the end, of the {@code appliance} table or the
 *       {@code internet10k} one (as {@link RouteLookupBench});</li>
 *   <li>{@code sweepOneAdvance}: the share of the memo sweep a new generation makes
 *       ({@code SessionTable.sweepRouteMemos} of capacity / 2^21 records, at least one), on a
 *       {@link SessionTable} of {@code sessions} sessions (as {@link SessionTableBench}), every
 *       flow memoized. Before the sweep, the worker cleared every record at once when the
 *       22-bit generation count wrapped: {@code sweepRouteMemos(capacity)}, {@code sweepAll}
 *       here.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteMemoBench {
    static final int GENERATION = 5;

    /** Two snapshots compiled apart from one configuration. */
    @State(Scope.Thread)
    public static class Routing {
        @Param({"appliance", "internet10k"})
        public String table;

        Snapshot last;
        Snapshot next;

        @Setup(Level.Trial)
        public void setUp() {
            boolean small = table.equals("appliance");
            last = compile(small, 42);
            next = compile(small, 42);
            if (last.routes == next.routes || !sameRouting(last, next)) {
                throw new IllegalStateException("two compilations of one configuration route differently");
            }
            if (sameRouting(last, compile(false, 43)) || sameRouting(last, compile(!small, 42))) {
                throw new IllegalStateException("other routes taken for the same");
            }
        }

        private static Snapshot compile(boolean small, long seed) {
            return Worlds.compile(small ? Worlds.applianceRoutes() : Worlds.largeRoutes(10_000, seed), null);
        }
    }

    /** A session table of {@code sessions} sessions, every flow memoized once. */
    @State(Scope.Thread)
    public static class Memos {
        @Param({"1000", "1000000"})
        public int sessions;

        SessionTable table;

        @Setup(Level.Trial)
        public void setUp() {
            table = new SessionTable(sessions + 1);
            for (int g = 0; g < sessions; g++) {
                int s = SessionTableBench.create(table, g);
                table.setRouteMemo(2 * s, GENERATION, memo(g));
                table.setRouteMemo(2 * s + 1, GENERATION, memo(g + 1));
            }
            check(true);
            table.sweepRouteMemos(table.capacity());
            check(false);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(false);
        }

        private static int memo(int g) {
            return 1 + (g & 0x3fff);
        }

        /**
         * Every sampled session still finds both flows by their tuples, and its memos are those
         * set in setUp ({@code memoized}) or none.
         */
        private void check(boolean memoized) {
            for (int g = 0; g < sessions; g += Math.max(1, sessions / 1000)) {
                int fwd = table.lookup(Tuples.k1(Tuples.client(g), Tuples.server(g)),
                        Tuples.k2(SessionTableBench.UDP, Tuples.clientPort(g), Tuples.SERVER_PORT));
                int rev = table.lookup(Tuples.k1(Tuples.server(g), Tuples.publicIp(g)),
                        Tuples.k2(SessionTableBench.UDP, Tuples.SERVER_PORT, Tuples.publicPort(g)));
                if (fwd < 0 || rev != fwd + 1) {
                    throw new IllegalStateException("session " + g + " lost: " + fwd + " " + rev);
                }
                int a = table.routeMemo(fwd, GENERATION);
                int b = table.routeMemo(rev, GENERATION);
                if (a != (memoized ? memo(g) : 0) || b != (memoized ? memo(g + 1) : 0)) {
                    throw new IllegalStateException("session " + g + ": memos " + a + " " + b);
                }
            }
        }
    }

    /** The worker's test (Worker.doWork). */
    static boolean sameRouting(Snapshot a, Snapshot b) {
        return a.routes.sameRoutes(b.routes) && Arrays.equals(a.antiSpoofing, b.antiSpoofing);
    }

    @Benchmark
    public void sameRouting(Routing r, Blackhole bh) {
        bh.consume(sameRouting(r.last, r.next));
    }

    @Benchmark
    public void sweepOneAdvance(Memos m) {
        m.table.sweepRouteMemos(SessionTable.routeMemoSweep(m.table.capacity(), 1 << SessionTable.MEMO_GENERATION_BITS));
    }

    @Benchmark
    public void sweepAll(Memos m) {
        m.table.sweepRouteMemos(m.table.capacity());
    }
}
