package io.hairpin.engine.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PrefixMapTest {

    /** Paints in random length order (as first-match users do) and checks against the last covering paint. */
    @Test
    void everyAddressHoldsTheLastPaintThatCoversIt() {
        Random rnd = new Random(7);
        for (int round = 0; round < 5; round++) {
            int n = 1 + rnd.nextInt(600);
            int[] prefix = new int[n];
            int[] length = new int[n];
            int[] value = new int[n];
            PrefixMap.Builder b = new PrefixMap.Builder();
            for (int i = 0; i < n; i++) {
                length[i] = rnd.nextInt(33);
                int mask = length[i] == 0 ? 0 : -1 << (32 - length[i]);
                prefix[i] = ((rnd.nextInt(3) << 24) | (rnd.nextInt(3) << 16) | (rnd.nextInt() >>> 16)) & mask;
                value[i] = rnd.nextInt(1000);
                b.paint(prefix[i], length[i], value[i]);
            }
            PrefixMap m = b.build();
            for (int q = 0; q < 20_000; q++) {
                int addr = q % 4 == 0 ? rnd.nextInt() : (rnd.nextInt(4) << 24) | (rnd.nextInt(4) << 16) | (rnd.nextInt() >>> 16);
                int expected = PrefixMap.NONE;
                for (int i = 0; i < n; i++) {
                    int mask = length[i] == 0 ? 0 : -1 << (32 - length[i]);
                    if ((addr & mask) == prefix[i]) {
                        expected = value[i];
                    }
                }
                assertEquals(expected, m.get(addr), "round " + round + ", get of " + Integer.toHexString(addr));
            }
        }
    }
}
