package io.hairpin.perf.jmh;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.route.RouteTable;
import java.util.List;
import java.util.Random;
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
 * Longest-prefix match in the engine's {@link RouteTable} (a {@code PrefixMap} with 8-bit strides),
 * built by {@link Snapshot#compile} from a real configuration:
 * <ul>
 *   <li>{@code appliance}: the connected wan /24 and lan /16, the default route, eight internal
 *       /24s behind an inside router, and the appliance's own /32s (13 routes);</li>
 *   <li>{@code internet10k}: the same plus 10 000 Internet prefixes via an upstream router, with a
 *       BGP-like mix of lengths (mostly /24; some longer than /24, which take a fourth level).</li>
 * </ul>
 * Destinations: 4096 addresses drawn in setup (inside hosts, internal subnets, hosts inside the
 * table's prefixes, and addresses that only the default route covers). {@code lookup} is one
 * {@code lookup}; {@code forwardDecision} is what {@code Worker.ipv4} asks per packet: the source
 * (local? anti-spoofing interface) and the destination (kind, egress interface, gateway).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RouteLookupBench {
    static final int ADDRESSES = 4096;

    @Param({"appliance", "internet10k"})
    public String table;

    private RouteTable routes;
    private final int[] dst = new int[ADDRESSES];
    private final int[] src = new int[ADDRESSES];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<EngineConfig.StaticRoute> config = switch (table) {
            case "appliance" -> Worlds.applianceRoutes();
            case "internet10k" -> Worlds.largeRoutes(10_000, 42);
            default -> throw new IllegalArgumentException(table);
        };
        routes = Worlds.compile(config, null).routes;
        Random rnd = new Random(7);
        for (int i = 0; i < ADDRESSES; i++) {
            int kind = rnd.nextInt(4);
            int a;
            if (kind == 0) {
                a = Worlds.HOST_BASE + rnd.nextInt(60_000); // inside the lan /16
            } else if (kind == 1) {
                a = Worlds.ip(172, 16, rnd.nextInt(8), 1 + rnd.nextInt(254)); // behind the inside router
            } else if (kind == 2 && config.size() > 8) {
                EngineConfig.StaticRoute r = config.get(8 + rnd.nextInt(config.size() - 8));
                int host = r.prefixLength() == 32 ? 0 : rnd.nextInt() & ~(-1 << (32 - r.prefixLength()));
                a = r.prefix() | host;
            } else {
                a = Worlds.ip(100 + rnd.nextInt(100), rnd.nextInt(256), rnd.nextInt(256), 1 + rnd.nextInt(254));
            }
            dst[i] = a;
            src[i] = Worlds.HOST_BASE + rnd.nextInt(60_000);
        }
        // the oracle: the longest configured prefix covering each destination, by a linear scan
        for (int i = 0; i < 256; i++) {
            int r = routes.lookup(dst[i]);
            int bestLen = -1;
            for (int k = 0; k < routes.size(); k++) {
                int len = routes.prefixLength(k);
                int mask = len == 0 ? 0 : -1 << (32 - len);
                if ((dst[i] & mask) == routes.prefix(k) && len > bestLen) {
                    bestLen = len;
                }
            }
            if (r < 0 || routes.prefixLength(r) != bestLen) {
                throw new IllegalStateException("lookup of " + dst[i] + " gave route " + r);
            }
        }
    }

    @Benchmark
    public void lookup(Blackhole bh) {
        int i = next;
        next = (i + 1) & (ADDRESSES - 1);
        bh.consume(routes.lookup(dst[i]));
    }

    @Benchmark
    public void forwardDecision(Blackhole bh) {
        int i = next;
        next = (i + 1) & (ADDRESSES - 1);
        RouteTable t = routes;
        int back = t.lookup(src[i]);
        boolean spoofed = back < 0 || t.kind(back) == RouteTable.KIND_LOCAL || t.egressInterface(back) != Worlds.LAN;
        int r = t.lookup(dst[i]);
        int egress = t.egressInterface(r);
        int gw = t.gateway(r);
        bh.consume(spoofed || t.kind(r) == RouteTable.KIND_LOCAL ? -1 : (egress << 8) ^ (gw != 0 ? gw : dst[i]));
    }
}
