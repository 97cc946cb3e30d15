package io.hairpin.perf.jmh;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The configurations the microbenchmarks compile with the engine's own {@link Snapshot#compile}:
 * the capacity rig's addressing (perf/RESULTS.md: wan 203.0.113.1/24 with its gateway .254, lan
 * 10.0.0.1/16, 1:1 addresses 198.51.0.1+i ↔ 10.0.0.2+i), optionally with a large static route table.
 */
final class Worlds {
    static final int WAN = 0;
    static final int LAN = 1;
    static final int WAN_ADDRESS = ip(203, 0, 113, 1);
    static final int GATEWAY = ip(203, 0, 113, 254);
    /** The upstream router the large route table points at (on the wan /24). */
    static final int UPSTREAM = ip(203, 0, 113, 253);
    static final int LAN_ADDRESS = ip(10, 0, 0, 1);
    /** An inside router behind which the small table's internal subnets sit. */
    static final int INSIDE_ROUTER = ip(10, 0, 0, 254);
    static final int HOST_BASE = ip(10, 0, 0, 2);
    static final int SERVER_BASE = ip(192, 0, 2, 16);
    static final int BINAT_BASE = ip(198, 51, 0, 1);
    static final int POOL_BASE = ip(198, 18, 0, 1);
    static final long WAN_MAC = 0x02_00_00_00_00_01L;
    static final long LAN_MAC = 0x02_00_00_00_00_02L;

    private Worlds() {
    }

    static int ip(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    static Snapshot compile(List<EngineConfig.StaticRoute> routes, NatConfig nat) {
        var wan = new EngineConfig.Interface("wan", true, "net_ring_wan", 0,
                List.of(new EngineConfig.Address(WAN_ADDRESS, 24)), GATEWAY, 1500, true);
        var lan = new EngineConfig.Interface("lan", false, "net_ring_lan", 0,
                List.of(new EngineConfig.Address(LAN_ADDRESS, 16)), 0, 1500, true);
        EngineConfig config = new EngineConfig(1, List.of(), List.of(wan, lan), routes, false, nat);
        return Snapshot.compile(1, config, Map.of("net_ring_wan", WAN_MAC, "net_ring_lan", LAN_MAC));
    }

    /** An appliance's table: the connected networks, a default route, and eight internal subnets behind a router. */
    static List<EngineConfig.StaticRoute> applianceRoutes() {
        List<EngineConfig.StaticRoute> r = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            r.add(new EngineConfig.StaticRoute(ip(172, 16, i, 0), 24, INSIDE_ROUTER));
        }
        return r;
    }

    /**
     * The appliance's table plus {@code extra} distinct Internet prefixes via an upstream router,
     * with a BGP-like length mix (about 60 % /24, 25 % /19–/23, 13 % /12–/18, 2 % /25–/32), seeded.
     */
    static List<EngineConfig.StaticRoute> largeRoutes(int extra, long seed) {
        List<EngineConfig.StaticRoute> r = applianceRoutes();
        Random rnd = new Random(seed);
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        while (seen.size() < extra) {
            int p = rnd.nextInt(100);
            int len = p < 60 ? 24 : p < 85 ? 19 + rnd.nextInt(5) : p < 98 ? 12 + rnd.nextInt(7) : 25 + rnd.nextInt(8);
            int first = 1 + rnd.nextInt(222); // 1..222: no 0/8, no multicast or class E
            if (first == 10 || first == 127 || first == 203) {
                continue; // keep the inside /16 and the wan /24 connected-only
            }
            int addr = first << 24 | (rnd.nextInt() & 0x00ff_ffff);
            int mask = len == 0 ? 0 : -1 << (32 - len);
            int prefix = addr & mask;
            if (seen.add((long) prefix << 8 | len)) {
                r.add(new EngineConfig.StaticRoute(prefix, len, UPSTREAM));
            }
        }
        return r;
    }

    /** {@code rules} single-address 1:1 rules on wan, 198.51.0.1+i ↔ 10.0.0.2+i (the capacity rig's binat). */
    static NatConfig binat(int rules) {
        List<NatConfig.OneToOne> list = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            list.add(new NatConfig.OneToOne(WAN, BINAT_BASE + i, HOST_BASE + i, 32, false, NatConfig.Destination.ANY,
                    NatConfig.Reflection.DEFAULT, null, false, null, ""));
        }
        NatConfig none = NatConfig.none();
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, none.maxSessions(), 0, list, List.of(), List.of());
    }

    /**
     * A visiting order over n items that has nothing to do with their creation order: i·s mod n
     * with s ≈ 0.618·n coprime with n (every item once per n steps), as the capacity rig's Flows.
     */
    static int scatterStep(int n) {
        if (n <= 2) {
            return 1;
        }
        int s = Math.max(1, (int) (n * 0.6180339887));
        while (gcd(s, n) != 1) {
            s++;
        }
        return s;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
