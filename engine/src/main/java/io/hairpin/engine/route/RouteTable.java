package io.hairpin.engine.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Longest-prefix match over IPv4 as a multibit trie with 8-bit strides and leaf pushing: at most
 * four array reads per lookup, no objects touched. Built once per snapshot, immutable after.
 * A node is 256 consecutive ints; an entry is either a child node index (sign bit set) or a
 * route index + 1 (0 = no route).
 */
public final class RouteTable {
    public static final int NO_ROUTE = -1;
    public static final byte KIND_CONNECTED = 1;
    public static final byte KIND_STATIC = 2;
    public static final byte KIND_LOCAL = 3;

    private static final int CHILD = 0x8000_0000;

    private final int[] nodes;
    private final int[] prefix;
    private final byte[] prefixLen;
    private final int[] egress;
    private final int[] gateway;
    private final byte[] kind;

    private RouteTable(int[] nodes, List<Route> routes) {
        this.nodes = nodes;
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
        int e = nodes[addr >>> 24];
        if (e < 0) {
            e = nodes[((e & ~CHILD) << 8) | ((addr >>> 16) & 0xff)];
            if (e < 0) {
                e = nodes[((e & ~CHILD) << 8) | ((addr >>> 8) & 0xff)];
                if (e < 0) {
                    e = nodes[((e & ~CHILD) << 8) | (addr & 0xff)];
                }
            }
        }
        return e - 1;
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

    /** Builds a table; a later route with the same prefix and length replaces an earlier one. */
    public static RouteTable build(List<Route> routes) {
        List<Route> unique = new ArrayList<>();
        for (Route r : routes) {
            unique.removeIf(u -> u.prefix() == r.prefix() && u.length() == r.length());
            unique.add(r);
        }
        // Shorter prefixes first: a longer one inserted later overwrites the expanded slots it
        // covers, and a child node never exists below a slot a shorter prefix still has to fill.
        List<Route> ordered = new ArrayList<>(unique);
        ordered.sort(Comparator.comparingInt(Route::length));
        Trie trie = new Trie();
        for (Route r : ordered) {
            trie.insert(r.prefix(), r.length(), unique.indexOf(r) + 1);
        }
        return new RouteTable(trie.toArray(), unique);
    }

    private static final class Trie {
        private int[] nodes = new int[256 * 4];
        private int count = 1;

        void insert(int prefix, int length, int value) {
            int node = 0;
            int level = 0;
            while (length > 8 * (level + 1)) {
                int slot = (node << 8) | ((prefix >>> (24 - 8 * level)) & 0xff);
                int e = nodes[slot];
                if (e >= 0) {
                    int child = newNode(e);
                    nodes[slot] = child | CHILD;
                    node = child;
                } else {
                    node = e & ~CHILD;
                }
                level++;
            }
            int bitsHere = length - 8 * level;
            int first = (prefix >>> (24 - 8 * level)) & 0xff & (bitsHere == 0 ? 0 : 0xff << (8 - bitsHere));
            int span = 1 << (8 - bitsHere);
            for (int b = first; b < first + span; b++) {
                fill((node << 8) | b, value);
            }
        }

        private void fill(int slot, int value) {
            // Ascending insertion order means no child hangs below a slot a shorter prefix fills.
            if (nodes[slot] < 0) {
                throw new IllegalStateException("route inserted out of prefix-length order");
            }
            nodes[slot] = value;
        }

        private int newNode(int inherited) {
            if ((count + 1) * 256 > nodes.length) {
                nodes = Arrays.copyOf(nodes, nodes.length * 2);
            }
            int node = count++;
            Arrays.fill(nodes, node << 8, (node + 1) << 8, inherited);
            return node;
        }

        int[] toArray() {
            return Arrays.copyOf(nodes, count << 8);
        }
    }
}
