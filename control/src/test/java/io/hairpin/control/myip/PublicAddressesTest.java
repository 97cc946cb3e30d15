package io.hairpin.control.myip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.HairpinConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.session.PortAllocator;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PublicAddressesTest {
    static final String INTERFACES = """
            exception-path: false
            interfaces:
              - {name: wan, role: external, device: net_ring_w, addresses: [203.0.113.1/24], gateway: 203.0.113.254}
              - {name: wan2, role: external, device: net_ring_v, addresses: [198.51.100.1/24]}
              - {name: lan, role: internal, device: net_ring_l, addresses: [192.168.1.1/24]}
              - {name: lab, role: internal, device: net_ring_b, addresses: [10.0.0.1/16]}
            """;

    static PublicAddresses of(String nat) {
        HairpinConfig c = ConfigLoader.parseAndValidate(INTERFACES + nat, "test.yaml").config();
        EngineConfig ec = EngineConfigs.from(c);
        Map<String, Long> macs = new HashMap<>();
        for (String dev : Snapshot.devicesOf(ec)) {
            macs.put(dev, 0x020000000000L + macs.size());
        }
        return new PublicAddresses(Snapshot.compile(1, ec, macs), ec);
    }

    static String pub(PublicAddresses p, String host) {
        OptionalInt a = p.publicAddressOf(Ipv4.parse(host));
        return a.isPresent() ? Ipv4.format(a.getAsInt()) : null;
    }

    @Test
    void oneToOneWinsOverOutboundAndKeepsHostBitsOfASubnet() {
        PublicAddresses p = of("""
                nat:
                  one-to-one:
                    - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20}
                    - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30}
                    - {interface: wan, no-binat: true, internal: 192.168.1.66}
                    - {interface: wan, external: 203.0.113.80/30, internal: 192.168.1.64/30}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24, translation: interface}
                """);
        assertEquals("203.0.113.20", pub(p, "192.168.1.20"));
        assertEquals("203.0.113.65", pub(p, "192.168.1.65"));
        // 192.168.1.66 is in the /30 rule listed first, so it maps; the No-BINAT after it is not reached.
        assertEquals("203.0.113.66", pub(p, "192.168.1.66"));
        assertEquals("203.0.113.1", pub(p, "192.168.1.50"));
        assertEquals(null, pub(p, "10.0.3.4"), "no rule for the lab network");
    }

    @Test
    void aNoBinatRuleBeforeTheOneToOneSendsTheHostToOutboundNat() {
        PublicAddresses p = of("""
                nat:
                  one-to-one:
                    - {interface: wan, no-binat: true, internal: 192.168.1.66}
                    - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24, translation: 203.0.113.9}
                """);
        assertEquals("203.0.113.9", pub(p, "192.168.1.66"));
        assertEquals("203.0.113.67", pub(p, "192.168.1.67"));
    }

    @Test
    void destinationRestrictedRulesAreJudgedForTheInternetAtLarge() {
        PublicAddresses p = of("""
                nat:
                  one-to-one:
                    - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, destination: 8.8.8.0/24}
                    - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, destination: "!8.8.8.0/24"}
                    - {interface: wan, external: 203.0.113.22, internal: 192.168.1.20}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24, translation: interface}
                """);
        assertEquals("1.1.1.1", Ipv4.format(p.internetAddress()), "8.8.8.8 is named by a rule, so not used");
        assertEquals("203.0.113.22", pub(p, "192.168.1.20"));
        assertEquals("203.0.113.21", pub(p, "192.168.1.21"));
    }

    @Test
    void theDefaultRoutesInterfaceFirstThenTheOtherUplinks() {
        PublicAddresses p = of("""
                nat:
                  one-to-one:
                    - {interface: wan2, external: 198.51.100.20, internal: 192.168.1.20}
                    - {interface: wan2, external: 198.51.100.30, internal: 10.0.0.30}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24, translation: interface}
                    - {interface: wan2, source: 10.0.0.0/16, translation: 198.51.100.1}
                """);
        // Internet traffic leaves by wan (the default gateway), whose outbound rule translates .20.
        assertEquals("203.0.113.1", pub(p, "192.168.1.20"));
        // wan does not translate the lab; wan2 does, 1:1 before outbound.
        assertEquals("198.51.100.30", pub(p, "10.0.0.30"));
        assertEquals("198.51.100.1", pub(p, "10.0.0.31"));
    }

    @Test
    void disabledRulesDoNotCount() {
        PublicAddresses p = of("""
                nat:
                  one-to-one:
                    - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, disabled: true}
                """);
        assertEquals(null, pub(p, "192.168.1.20"));
    }

    @Test
    void aPoolGivesEachHostItsPairedAddressAsTheEngineWould() {
        PublicAddresses p = of("""
                nat:
                  outbound:
                    - {interface: wan, source: 10.0.0.0/16, translation: 203.0.113.32/29}
                """);
        int[] pool = new int[8];
        for (int i = 0; i < 8; i++) {
            pool[i] = Ipv4.parse("203.0.113.32") + i;
        }
        PortAllocator engine = new PortAllocator(pool, 1, 0, false, 1);
        for (int h = 0; h < 2000; h++) {
            int host = Ipv4.parse("10.0.0.0") + h;
            assertEquals(Ipv4.format(engine.address(engine.addressFor(host))), pub(p, Ipv4.format(host)));
        }
    }

    @Test
    void pairedPoolIndexIsThePortAllocatorsHash() {
        Random random = new Random(7);
        for (int n : new int[] {1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 100, 256}) {
            int[] pool = new int[n];
            for (int i = 0; i < n; i++) {
                pool[i] = 0xC6336400 + i;
            }
            PortAllocator a = new PortAllocator(pool, 1, 0, false, 1);
            for (int k = 0; k < 1000; k++) {
                int host = random.nextInt();
                assertEquals(a.addressFor(host), PublicAddresses.pairedPoolIndex(host, n), "pool of " + n);
            }
        }
    }
}
