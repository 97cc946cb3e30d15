package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * napt-established:SESSIONS:REMOTES spreads its flows over that many remote addresses; without
 * it, or with the matrix's 16, the flows are the ones every earlier matrix ran, so their figures
 * stay comparable. Remote counts that are not a power of two up to 65536 are refused.
 */
class RemotesVariantTest {
    private static Setup napt(String token) {
        Bench.Options o = Bench.Options.parse(new String[] {token});
        return Bench.setup(o.scenarios().get(0), o);
    }

    @Test
    void theRemotesSpreadTheFlowsOverThatManyAddresses() {
        Setup wide = napt("napt-established:20000:4096");
        assertEquals("napt-established:20000:4096", wide.label());
        assertEquals(4096, wide.describe.get("remote_addresses"));
        Flows f = wide.flows.get();
        int[] flowsOf = new int[4096];
        for (int g = 0; g < f.n; g++) {
            int s = f.serverIp(g) - Setup.SERVER_BASE;
            assertEquals(s & 4095, s, "flow " + g + " beyond the 4096 remotes");
            flowsOf[s]++;
        }
        int fewest = Integer.MAX_VALUE;
        int most = 0;
        for (int c : flowsOf) {
            fewest = Math.min(fewest, c);
            most = Math.max(most, c);
        }
        assertEquals(20000 / 4096, fewest, "every remote has its share of the flows");
        assertEquals(20000 / 4096 + 1, most);
    }

    @Test
    void sixteenRemotesAreTheMatrixsFlowsAsBefore() {
        assertEquals("napt-established:20000", napt("napt-established:20k:16").label());
        Flows f = napt("napt-established:20000").flows.get();
        for (int g = 0; g < f.n; g++) {
            // the formula before the remote count existed
            int before = Setup.SERVER_BASE + ((f.host(g) + (f.clientPort(g) - 1024)) & 15);
            assertEquals(before, f.serverIp(g), "flow " + g);
        }
    }

    @Test
    void remoteCountsThatAreNotAPowerOfTwoUpTo65536AreRefused() {
        for (String bad : new String[] {"napt-established:1000:0", "napt-established:1000:3",
                "napt-established:1000:131072", "napt-established:1000:64k", "napt-established:1000:x",
                "napt-established:1000:"}) {
            assertThrows(Bench.UsageException.class, () -> Bench.Options.parse(new String[] {bad}), bad);
        }
        assertEquals("napt-established:1000:65536", Bench.Options.canonical("napt-established:1k:65536"));
    }
}
