package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.nat.NatConfig.Filtering;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * napt-cps runs under the product's default filtering, or under address-and-port-dependent
 * filtering when asked; a run whose table filled says so.
 */
class CpsFilteringVariantTest {
    private static Setup cps(String token) {
        return Bench.setup(token, Bench.Options.parse(new String[] {token}));
    }

    @Test
    void theApdfVariantsChangeTheFilteringAndNothingElse() {
        Setup udp = cps("napt-cps:udp");
        Setup apdf = cps("napt-cps:udp-apdf");
        assertEquals(Filtering.ADDRESS_DEPENDENT, udp.config.nat().filtering(), "the product's default");
        assertEquals(Filtering.ADDRESS_AND_PORT_DEPENDENT, apdf.config.nat().filtering());
        assertEquals(Filtering.ADDRESS_AND_PORT_DEPENDENT, cps("napt-cps:tcp-apdf").config.nat().filtering());
        assertEquals("napt-cps:udp-apdf", apdf.label());
        assertEquals("address-and-port-dependent", apdf.describe.get("filtering"));
        assertEquals(udp.config.nat().outbound().size(), apdf.config.nat().outbound().size());
        assertEquals(udp.config.nat().timeouts(), apdf.config.nat().timeouts());
        assertEquals(udp.config.nat().maxSessions(), apdf.config.nat().maxSessions());
        assertThrows(Bench.UsageException.class, () -> Bench.Options.parse(new String[] {"napt-cps:apdf"}));
    }

    @Test
    void aRunWhoseTableFilledSaysSoAndHowToSizeIt() {
        Setup udp = Bench.setup("napt-cps:udp", Bench.Options.parse(new String[] {"napt-cps:udp", "--max-sessions", "4m"}));
        assertEquals(4_000_000, udp.maxSessions());
        String full = Bench.tableFull("napt-cps:udp", udp,
                Map.of("drop_detail", "", "drop_detail_before_window", "nat_sessions_full=1024"));
        assertTrue(full.contains("4000000 sessions") && full.contains("nat_sessions_full=1024")
                && full.contains("--max-sessions"), full);
        assertNull(Bench.tableFull("napt-cps:udp", udp, Map.of("drop_detail", "nat_ports_exhausted=3",
                "drop_detail_before_window", "")));
    }
}
