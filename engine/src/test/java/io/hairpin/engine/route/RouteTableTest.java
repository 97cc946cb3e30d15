package io.hairpin.engine.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** What a worker keeps its sessions' route memos across: the same routes, built again; any change is another table. */
    @Test
    void sameRoutesMeansEveryLookupGivesTheSame() {
        List<RouteTable.Route> routes = new ArrayList<>(List.of(
                new RouteTable.Route(0, 0, 0, ip(203, 0, 113, 254), RouteTable.KIND_STATIC),
                new RouteTable.Route(ip(192, 168, 1, 0), 24, 1, 0, RouteTable.KIND_CONNECTED),
                new RouteTable.Route(ip(192, 168, 1, 1), 32, 1, 0, RouteTable.KIND_LOCAL)));
        RouteTable t = RouteTable.build(routes);
        assertTrue(t.sameRoutes(RouteTable.build(List.copyOf(routes))));
        assertTrue(t.sameRoutes(t));
        List<List<RouteTable.Route>> changed = List.of(
                List.of(routes.get(0), routes.get(1)),
                List.of(routes.get(1), routes.get(0), routes.get(2)),
                List.of(new RouteTable.Route(0, 0, 0, ip(203, 0, 113, 253), RouteTable.KIND_STATIC), routes.get(1),
                        routes.get(2)),
                List.of(new RouteTable.Route(0, 0, 2, ip(203, 0, 113, 254), RouteTable.KIND_STATIC), routes.get(1),
                        routes.get(2)),
                List.of(routes.get(0), new RouteTable.Route(ip(192, 168, 0, 0), 23, 1, 0, RouteTable.KIND_CONNECTED),
                        routes.get(2)),
                List.of(routes.get(0), routes.get(1),
                        new RouteTable.Route(ip(192, 168, 1, 1), 32, 1, 0, RouteTable.KIND_CONNECTED)));
        for (List<RouteTable.Route> c : changed) {
            assertFalse(t.sameRoutes(RouteTable.build(c)), c.toString());
            assertFalse(RouteTable.build(c).sameRoutes(t), c.toString());
        }
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

    /**
     * The appliance's own addresses (local /32 routes) inside the subnets and routes around them:
     * each is found as itself, and every other address as the routes alone give it, against a
     * scan (the established-session path checks sources and destinations with these lookups).
     */
    @Test
    void localAddressesAmongRoutesAgreeWithBruteForce() {
        Random rnd = new Random(7);
        for (int round = 0; round < 20; round++) {
            List<RouteTable.Route> routes = new ArrayList<>();
            List<Integer> locals = new ArrayList<>();
            int n = 1 + rnd.nextInt(200);
            for (int i = 0; i < n; i++) {
                int addr = (rnd.nextInt(4) << 24) | (rnd.nextInt() >>> 8);
                boolean local = rnd.nextInt(4) == 0 || round == 0 && i == 0;
                int len = local ? 32 : rnd.nextInt(33);
                int prefix = round == 0 && i == 0 ? 0 : addr & (len == 0 ? 0 : -1 << (32 - len));
                routes.removeIf(r -> r.prefix() == prefix && r.length() == len);
                routes.add(new RouteTable.Route(prefix, len, i, 0, local ? RouteTable.KIND_LOCAL : RouteTable.KIND_STATIC));
                if (local) {
                    locals.add(prefix);
                }
            }
            RouteTable t = RouteTable.build(routes);
            List<Integer> probes = new ArrayList<>();
            for (int a : locals) {
                probes.add(a);
                probes.add(a + 1);
                probes.add(a - 1);
            }
            for (int q = 0; q < 3000; q++) {
                probes.add(q % 2 == 0 ? (rnd.nextInt(5) << 24) | (rnd.nextInt() >>> 8) : rnd.nextInt());
            }
            for (int addr : probes) {
                int expected = bruteForce(routes, addr);
                int got = t.lookup(addr);
                String what = "lookup of " + Integer.toHexString(addr) + " in round " + round;
                assertEquals(expected < 0 ? -1 : routes.get(expected).egressInterface(),
                        got < 0 ? -1 : t.egressInterface(got), what);
                assertEquals(expected < 0 ? -1 : routes.get(expected).kind(), got < 0 ? -1 : t.kind(got), what);
            }
        }
    }

    /**
     * Thousands of routes (lengths 0..32, nested and overlapping, with repeated prefixes) checked
     * against a scan of the raw input list: the longest matching route wins, and of routes with the
     * same prefix and length the last one given. Its index is where it stands once earlier
     * duplicates are dropped (counted here by brute force).
     */
    @Test
    void largeTablesWithRepeatedPrefixesAgreeWithAScanOfTheInput() {
        Random rnd = new Random(20261122);
        for (int round = 0; round < 3; round++) {
            int n = 2000 + rnd.nextInt(2000);
            List<RouteTable.Route> input = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                RouteTable.Route r;
                if (i > 0 && rnd.nextInt(20) == 0) {
                    RouteTable.Route earlier = input.get(rnd.nextInt(i));
                    r = new RouteTable.Route(earlier.prefix(), earlier.length(), i, rnd.nextInt(), RouteTable.KIND_LOCAL);
                } else {
                    int len = rnd.nextInt(33);
                    int addr = rnd.nextInt(3) == 0 ? rnd.nextInt() : (rnd.nextInt(3) << 24) | (rnd.nextInt(4) << 16) | (rnd.nextInt() >>> 16);
                    int mask = len == 0 ? 0 : -1 << (32 - len);
                    r = new RouteTable.Route(addr & mask, len, i, rnd.nextInt(), RouteTable.KIND_STATIC);
                }
                input.add(r);
            }
            // index of input[j] in the built table, or -1 when a later route replaces it
            int[] indexOf = new int[n];
            int distinct = 0;
            for (int j = 0; j < n; j++) {
                boolean replaced = false;
                for (int k = j + 1; k < n && !replaced; k++) {
                    replaced = input.get(k).prefix() == input.get(j).prefix() && input.get(k).length() == input.get(j).length();
                }
                indexOf[j] = replaced ? -1 : distinct++;
            }
            RouteTable t = RouteTable.build(input);
            assertEquals(distinct, t.size());

            List<Integer> probes = new ArrayList<>();
            for (RouteTable.Route r : input) {
                int last = r.prefix() | (r.length() == 0 ? -1 : ~(-1 << (32 - r.length())));
                probes.add(r.prefix());
                probes.add(last);
                probes.add(r.prefix() - 1);
                probes.add(last + 1);
            }
            for (int q = 0; q < 20_000; q++) {
                probes.add(q % 2 == 0 ? rnd.nextInt() : (rnd.nextInt(4) << 24) | (rnd.nextInt(5) << 16) | (rnd.nextInt() >>> 16));
            }
            for (int addr : probes) {
                int winner = -1;
                int winnerLen = -1;
                for (int j = 0; j < n; j++) {
                    RouteTable.Route r = input.get(j);
                    int mask = r.length() == 0 ? 0 : -1 << (32 - r.length());
                    if ((addr & mask) == r.prefix() && r.length() >= winnerLen) {
                        winner = j;
                        winnerLen = r.length();
                    }
                }
                int got = t.lookup(addr);
                String at = "round " + round + ", lookup of " + Integer.toHexString(addr);
                if (winner < 0) {
                    assertEquals(RouteTable.NO_ROUTE, got, at);
                    continue;
                }
                RouteTable.Route w = input.get(winner);
                assertEquals(indexOf[winner], got, at);
                assertEquals(w.prefix(), t.prefix(got), at);
                assertEquals(w.length(), t.prefixLength(got), at);
                assertEquals(w.egressInterface(), t.egressInterface(got), at);
                assertEquals(w.gateway(), t.gateway(got), at);
                assertEquals(w.kind(), t.kind(got), at);
            }
        }
    }
}
