package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hairpin.engine.nat.NatConfig.Filtering;
import org.junit.jupiter.api.Test;

/** napt-cps runs under the product's default filtering, or under address-and-port-dependent filtering when asked. */
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
}
