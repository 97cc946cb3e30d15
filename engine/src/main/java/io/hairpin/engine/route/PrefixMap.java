package io.hairpin.engine.route;

import java.util.Arrays;

/**
 * Maps every IPv4 address to an int by painting prefixes: a later paint overwrites everything
 * it covers. Painting rules in reverse list order therefore yields, for each address, the first
 * rule in list order that covers it (pfSense's first-match semantics, unlike longest-prefix).
 * A multibit trie with 8-bit strides: at most four array reads per lookup. Immutable once built.
 */
public final class PrefixMap {
    public static final int NONE = -1;
    private static final int CHILD = 0x8000_0000;

    private final int[] nodes;

    private PrefixMap(int[] nodes) {
        this.nodes = nodes;
    }

    /** The value painted over addr, or {@link #NONE}. */
    public int get(int addr) {
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

    /** Builds a map by painting in call order. */
    public static final class Builder {
        private int[] nodes = new int[256 * 4];
        private int count = 1;

        /** Paints prefix/length with value (>= 0), over whatever was painted before. */
        public Builder paint(int prefix, int length, int value) {
            if (value < 0 || length < 0 || length > 32) {
                throw new IllegalArgumentException("value " + value + ", length " + length);
            }
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
                fill((node << 8) | b, value + 1);
            }
            return this;
        }

        /** Sets a slot, and everything below it when a child node hangs there. */
        private void fill(int slot, int stored) {
            int e = nodes[slot];
            if (e < 0) {
                int child = e & ~CHILD;
                for (int b = 0; b < 256; b++) {
                    fill((child << 8) | b, stored);
                }
            } else {
                nodes[slot] = stored;
            }
        }

        private int newNode(int inherited) {
            if ((count + 1) * 256 > nodes.length) {
                nodes = Arrays.copyOf(nodes, nodes.length * 2);
            }
            int node = count++;
            Arrays.fill(nodes, node << 8, (node + 1) << 8, inherited);
            return node;
        }

        public PrefixMap build() {
            return new PrefixMap(Arrays.copyOf(nodes, count << 8));
        }
    }
}
