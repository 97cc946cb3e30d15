package io.hairpin.engine.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Longest-prefix match over IPv4: routes painted into a {@link PrefixMap} shortest prefix first,
 * so each address ends up holding its longest matching route (at most four array reads per
 * lookup, no objects touched). Built once per snapshot, immutable after.
 */
public final class RouteTable {
    public static final int NO_ROUTE = -1;
    public static final byte KIND_CONNECTED = 1;
    public static final byte KIND_STATIC = 2;
    public static final byte KIND_LOCAL = 3;

    private final PrefixMap map;
    private final int[] prefix;
    private final byte[] prefixLen;
    private final int[] egress;
    private final int[] gateway;
    private final byte[] kind;

    private RouteTable(PrefixMap map, List<Route> routes) {
        this.map = map;
        int n = routes.size();
        prefix = new int[n];
        prefixLen = new byte[n];
        egress = new int[n];
        gateway = new int[n];
        kind = new byte[n];
        for (int i = 0; i < n; i++) {
            Route r = routes.get(i);
            prefix[i] = r.prefix();
            prefixLen[i] = (byte) r.length();
            egress[i] = r.egressInterface();
            gateway[i] = r.gateway();
            kind[i] = r.kind();
        }
    }

    /** The index of the longest matching route, or {@link #NO_ROUTE}. */
    public int lookup(int addr) {
        return map.get(addr);
    }

    public int egressInterface(int route) {
        return egress[route];
    }

    /** The next hop's address, or 0 when the destination is on the link. */
    public int gateway(int route) {
        return gateway[route];
    }

    public byte kind(int route) {
        return kind[route];
    }

    public int prefix(int route) {
        return prefix[route];
    }

    public int prefixLength(int route) {
        return prefixLen[route];
    }

    public int size() {
        return prefix.length;
    }

    /** True when other holds the same routes in the same order, so that every lookup gives what it gives here. */
    public boolean sameRoutes(RouteTable other) {
        return other == this || (Arrays.equals(prefix, other.prefix) && Arrays.equals(prefixLen, other.prefixLen)
                && Arrays.equals(egress, other.egress) && Arrays.equals(gateway, other.gateway)
                && Arrays.equals(kind, other.kind));
    }

    /** A route as the control plane hands it over: network prefix, egress interface index, gateway (0 = on link). */
    public record Route(int prefix, int length, int egressInterface, int gateway, byte kind) {
        public Route {
            if (length < 0 || length > 32) {
                throw new IllegalArgumentException("prefix length " + length);
            }
            int mask = length == 0 ? 0 : -1 << (32 - length);
            if ((prefix & ~mask) != 0) {
                throw new IllegalArgumentException("host bits set in route prefix");
            }
        }
    }

    /**
     * Builds a table; a later route with the same prefix and length replaces an earlier one and
     * takes its index at the end (route indices follow the order of each prefix's last occurrence).
     * O(n) apart from painting, which is bounded per route because shorter prefixes are painted first.
     */
    public static RouteTable build(List<Route> routes) {
        Route[] in = routes.toArray(new Route[0]);
        Map<Long, Integer> lastOccurrence = new HashMap<>(in.length * 2);
        for (int i = 0; i < in.length; i++) {
            lastOccurrence.put(key(in[i]), i);
        }
        List<Route> unique = new ArrayList<>(lastOccurrence.size());
        for (int i = 0; i < in.length; i++) {
            if (lastOccurrence.get(key(in[i])) == i) {
                unique.add(in[i]);
            }
        }
        // Stable counting sort by length: shortest first, so every address ends up holding its
        // longest match and no paint ever lands on a slot that already has a child node.
        int[] next = new int[34];
        for (Route r : unique) {
            next[r.length() + 1]++;
        }
        for (int len = 0; len < 33; len++) {
            next[len + 1] += next[len];
        }
        int[] byLength = new int[unique.size()];
        for (int i = 0; i < byLength.length; i++) {
            byLength[next[unique.get(i).length()]++] = i;
        }
        PrefixMap.Builder map = new PrefixMap.Builder();
        for (int i : byLength) {
            Route r = unique.get(i);
            map.paint(r.prefix(), r.length(), i);
        }
        return new RouteTable(map.build(), unique);
    }

    private static long key(Route r) {
        return ((long) r.prefix() << 6) | r.length();
    }
}
