package io.hairpin.engine.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    /** The oracle: scan every route, keep the longest whose masked prefix matches. */
    private static int bruteForce(List<RouteTable.Route> routes, int addr) {
        int best = -1;
        int bestLen = -1;
        for (int i = 0; i < routes.size(); i++) {
            RouteTable.Route r = routes.get(i);
            int mask = r.length() == 0 ? 0 : -1 << (32 - r.length());
            if ((addr & mask) == r.prefix() && r.length() > bestLen) {
                best = i;
                bestLen = r.length();
            }
        }
        return best;
    }

    @Test
    void longestPrefixWinsAcrossStrideBoundaries() {
        List<RouteTable.Route> routes = List.of(
                new RouteTable.Route(0, 0, 0, ip(203, 0, 113, 254), RouteTable.KIND_STATIC),
                new RouteTable.Route(ip(192, 168, 1, 0), 24, 1, 0, RouteTable.KIND_CONNECTED),
                new RouteTable.Route(ip(192, 168, 1, 1), 32, 1, 0, RouteTable.KIND_LOCAL),
                new RouteTable.Route(ip(10, 20, 0, 0), 16, 1, ip(192, 168, 1, 254), RouteTable.KIND_STATIC),
                new RouteTable.Route(ip(10, 20, 128, 0), 17, 2, 0, RouteTable.KIND_STATIC),
                new RouteTable.Route(ip(10, 0, 0, 0), 9, 3, 0, RouteTable.KIND_STATIC));
        RouteTable t = RouteTable.build(routes);
        assertEquals(2, t.lookup(ip(192, 168, 1, 1)));
        assertEquals(1, t.lookup(ip(192, 168, 1, 2)));
        assertEquals(0, t.lookup(ip(8, 8, 8, 8)));
        assertEquals(3, t.lookup(ip(10, 20, 1, 1)));
        assertEquals(4, t.lookup(ip(10, 20, 200, 1)));
        assertEquals(5, t.lookup(ip(10, 127, 0, 1)));
        assertEquals(0, t.lookup(ip(10, 128, 0, 1)));
        assertEquals(ip(192, 168, 1, 254), t.gateway(3));
        assertEquals(RouteTable.KIND_LOCAL, t.kind(2));
    }

    @Test
    void noDefaultRouteMeansNoRoute() {
        RouteTable t = RouteTable.build(List.of(new RouteTable.Route(ip(192, 168, 1, 0), 24, 0, 0, RouteTable.KIND_CONNECTED)));
        assertEquals(RouteTable.NO_ROUTE, t.lookup(ip(192, 168, 2, 1)));
        assertEquals(0, t.lookup(ip(192, 168, 1, 255)));
    }

    @Test
    void aLaterRouteWithTheSamePrefixReplacesTheEarlierOne() {
        RouteTable t = RouteTable.build(List.of(
                new RouteTable.Route(ip(10, 0, 0, 0), 8, 0, 1, RouteTable.KIND_STATIC),
                new RouteTable.Route(ip(10, 0, 0, 0), 8, 1, 2, RouteTable.KIND_STATIC)));
        assertEquals(1, t.size());
        assertEquals(1, t.egressInterface(t.lookup(ip(10, 1, 2, 3))));
    }

    @Test
    void randomTablesAgreeWithBruteForce() {
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            List<RouteTable.Route> routes = new ArrayList<>();
            int n = 1 + rnd.nextInt(300);
            for (int i = 0; i < n; i++) {
                int len = rnd.nextInt(33);
                // cluster prefixes under a few first octets so they nest and overlap
                int addr = (rnd.nextInt(4) << 24) | (rnd.nextInt() >>> 8);
                int mask = len == 0 ? 0 : -1 << (32 - len);
                int prefix = addr & mask;
                routes.removeIf(r -> r.prefix() == prefix && r.length() == len);
                routes.add(new RouteTable.Route(prefix, len, i, 0, RouteTable.KIND_STATIC));
            }
            RouteTable t = RouteTable.build(routes);
            for (int q = 0; q < 5000; q++) {
                int addr = q % 2 == 0 ? (rnd.nextInt(5) << 24) | (rnd.nextInt() >>> 8) : rnd.nextInt();
                int expected = bruteForce(routes, addr);
                int got = t.lookup(addr);
                assertEquals(expected < 0 ? -1 : routes.get(expected).egressInterface(),
                        got < 0 ? -1 : t.egressInterface(got), "lookup of " + Integer.toHexString(addr));
            }
        }
    }
}
