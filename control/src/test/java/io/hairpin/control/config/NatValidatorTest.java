package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * NAT rules checked against the interfaces and against each other (product spec §4, §5). Every file
 * starts with {@link #HEAD}, lines 1-4, so a test's own lines are line 5 onwards; every test states the
 * exact rendered errors or warnings, in file order.
 */
final class NatValidatorTest {

    private static final String FILE = "hairpin.yaml";
    private static final int PLENTY_OF_CORES = 64;

    /** Lines 1-4 of every file: two interfaces and the {@code nat:} key. */
    private static final String HEAD = """
            interfaces:
              - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], gateway: 203.0.113.254}
              - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24]}
            nat:
            """;

    private static ValidationResult validate(String yaml) {
        return ConfigValidator.validate(ConfigLoader.parse(yaml, FILE), PLENTY_OF_CORES);
    }

    private static List<String> rendered(List<ConfigError> problems) {
        return problems.stream().map(ConfigError::render).toList();
    }

    private static void assertErrors(String natBody, String... expected) {
        assertEquals(List.of(expected), rendered(validate(HEAD + natBody).errors()));
    }

    private static void assertWarnings(String natBody, String... expected) {
        ValidationResult result = validate(HEAD + natBody);
        assertEquals(List.of(), rendered(result.errors()));
        assertEquals(List.of(expected), rendered(result.warnings()));
    }

    private static void assertValid(String natBody) {
        ValidationResult result = validate(HEAD + natBody);
        assertEquals(List.of(), rendered(result.errors()));
        assertEquals(List.of(), rendered(result.warnings()));
    }

    // --- every rule kind ---

    @Test
    void unknownInterfaceInAnyRuleEvenADisabledOne() {
        assertErrors("""
          one-to-one:
            - {interface: wna, external: 203.0.113.20, internal: 192.168.1.20}
            - {interface: dmz, no-binat: true, internal: 192.168.1.66, disabled: true}
          port-forwards:
            - {interface: WAN, protocol: tcp, external: "203.0.113.1:80", internal: "192.168.1.20:80"}
          outbound:
            - {interface: eth0, source: 192.168.1.0/24}
        """,
                "hairpin.yaml:6:19: nat.one-to-one[0].interface: unknown interface 'wna'"
                        + " (the interfaces are: wan, lan)",
                "hairpin.yaml:7:19: nat.one-to-one[1].interface: unknown interface 'dmz'"
                        + " (the interfaces are: wan, lan)",
                "hairpin.yaml:9:19: nat.port-forwards[0].interface: unknown interface 'WAN'"
                        + " (the interfaces are: wan, lan)",
                "hairpin.yaml:11:19: nat.outbound[0].interface: unknown interface 'eth0'"
                        + " (the interfaces are: wan, lan)");
    }

    // --- 1:1 external addresses ---

    @Test
    void oneToOneExternalIsAnApplianceAddressOrTheGateway() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.1, internal: 192.168.1.20}
            - {interface: wan, external: 203.0.113.254, internal: 192.168.1.21}
            - {interface: lan, external: 192.168.1.1, internal: 192.168.1.22}
        """,
                "hairpin.yaml:6:34: nat.one-to-one[0].external: 203.0.113.1 is an address of this appliance"
                        + " (interface 'wan')",
                "hairpin.yaml:7:34: nat.one-to-one[1].external: 203.0.113.254 is the gateway of interface 'wan'",
                "hairpin.yaml:8:34: nat.one-to-one[2].external: 192.168.1.1 is an address of this appliance"
                        + " (interface 'lan')");
    }

    @Test
    void oneToOneExternalSubnetContainsTheInterfaceAddressOrTheGateway() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.0/30, internal: 192.168.1.64/30}
            - {interface: wan, external: 203.0.113.252/30, internal: 192.168.1.68/30}
        """,
                "hairpin.yaml:6:34: nat.one-to-one[0].external: 203.0.113.0/30 contains 203.0.113.1,"
                        + " an address of this appliance (interface 'wan')",
                "hairpin.yaml:7:34: nat.one-to-one[1].external: 203.0.113.252/30 contains 203.0.113.254,"
                        + " the gateway of interface 'wan'");
    }

    @Test
    void overlappingExternalRanges() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.64/29, internal: 192.168.1.64/29}
            - {interface: wan, external: 203.0.113.68/30, internal: 192.168.1.200/30}
            - {interface: wan, external: 203.0.113.71, internal: 192.168.1.99}
            - {interface: wan, external: 203.0.113.72/29, internal: 192.168.1.72/29}
        """,
                "hairpin.yaml:7:34: nat.one-to-one[1].external: 203.0.113.68/30 overlaps 203.0.113.64/29,"
                        + " the external range of nat.one-to-one[0] (line 6)",
                "hairpin.yaml:8:34: nat.one-to-one[2].external: 203.0.113.71 overlaps 203.0.113.64/29,"
                        + " the external range of nat.one-to-one[0] (line 6)");
    }

    @Test
    void severalInternalAddressesOnOneExternalAddress() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20}
            - interface: wan
              external: 203.0.113.20
              internal: 192.168.1.21
        """,
                "hairpin.yaml:8:17: nat.one-to-one[1].external: several internal addresses on one external"
                        + " address: 203.0.113.20 already maps to 192.168.1.20 by nat.one-to-one[0] (line 6),"
                        + " so it cannot also map to 192.168.1.21");
    }

    @Test
    void duplicateOneToOneRule() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30}
            - {interface: lan, external: 203.0.113.64/30, internal: 192.168.1.64/30}
        """,
                "hairpin.yaml:7:34: nat.one-to-one[1].external: 203.0.113.64/30 is already mapped to"
                        + " 192.168.1.64/30 by nat.one-to-one[0] (line 6); remove the duplicate");
    }

    // One internal host may have several external addresses; the first rule gives its outbound address.
    @Test
    void disabledAndNoBinatRulesTakeNoPartInConflicts() {
        assertValid("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, disabled: true}
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.21}
            - {interface: wan, no-binat: true, internal: 192.168.1.21}
            - {interface: wan, external: 203.0.113.22, internal: 192.168.1.21}
            - {interface: wan, external: 203.0.113.1, internal: 192.168.1.30, disabled: true}
            - {interface: wan, external: 203.0.113.22, internal: 192.168.1.31, disabled: true}
        """);
    }

    // --- port forwards ---

    @Test
    void portForwardShadowedByAnEarlierOne() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: tcp, external: "203.0.113.1:8080-8090", internal: "192.168.1.20:8080-8090"}
            - {interface: wan, protocol: tcp/udp, external: "203.0.113.1:8085", internal: "192.168.1.21:80"}
            - {interface: wan, protocol: udp, external: "203.0.113.1:8085", internal: "192.168.1.22:80"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:8000-8080", internal: "192.168.1.23:8000-8080"}
        """,
                "hairpin.yaml:7:53: nat.port-forwards[1].external: tcp 203.0.113.1:8085 is already forwarded by"
                        + " nat.port-forwards[0] (line 6), which comes first,"
                        + " so this rule would never see that traffic",
                "hairpin.yaml:8:49: nat.port-forwards[2].external: udp 203.0.113.1:8085 is already forwarded by"
                        + " nat.port-forwards[1] (line 7), which comes first,"
                        + " so this rule would never see that traffic",
                "hairpin.yaml:9:49: nat.port-forwards[3].external: tcp 203.0.113.1:8080 is already forwarded by"
                        + " nat.port-forwards[0] (line 6), which comes first,"
                        + " so this rule would never see that traffic");
    }

    // A disabled rule neither shadows nor is reported as shadowed.
    @Test
    void portForwardsOnOtherAddressesProtocolsOrPortsDoNotShadow() {
        assertValid("""
          port-forwards:
            - {interface: wan, protocol: tcp, external: "203.0.113.1:8080-8090", internal: "192.168.1.20:8080-8090"}
            - {interface: wan, protocol: udp, external: "203.0.113.1:8080", internal: "192.168.1.21:80"}
            - {interface: wan, protocol: tcp, external: "203.0.113.2:8080", internal: "192.168.1.22:80"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:8091", internal: "192.168.1.23:80"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:8081", internal: "192.168.1.24:80", disabled: true}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:9000", internal: "192.168.1.25:80", disabled: true}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:9000", internal: "192.168.1.26:80"}
        """);
    }

    // Source-specific forwards first, then the general one: the usual pattern, and no error.
    @Test
    void aRestrictedSourceShadowsOnlyTheSourcesItCovers() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: tcp, external: "203.0.113.1:22", internal: "192.168.1.20:22", source: 198.51.100.0/24}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:22", internal: "192.168.1.21:22"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:22", internal: "192.168.1.22:22", source: 198.51.100.128/25}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:443", internal: "192.168.1.20:443", source: "!10.0.0.0/8"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:443", internal: "192.168.1.21:443", source: 10.1.0.0/16}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:443", internal: "192.168.1.22:443", source: 198.51.100.0/24}
        """,
                "hairpin.yaml:8:49: nat.port-forwards[2].external: tcp 203.0.113.1:22 is already forwarded by"
                        + " nat.port-forwards[0] (line 6), which comes first,"
                        + " so this rule would never see that traffic",
                "hairpin.yaml:11:49: nat.port-forwards[5].external: tcp 203.0.113.1:443 is already forwarded by"
                        + " nat.port-forwards[3] (line 9), which comes first,"
                        + " so this rule would never see that traffic");
    }

    // --- warnings ---

    // Proxy ARP only helps inside a connected prefix; with proxy-arp: false the operator routes the range.
    @Test
    void externalAddressOutsideTheInterfacesPrefixes() {
        assertWarnings("""
          one-to-one:
            - {interface: wan, external: 198.51.100.20, internal: 192.168.1.20}
            - {interface: wan, external: 198.51.100.64/30, internal: 192.168.1.64/30, proxy-arp: false}
            - {interface: wan, external: 203.0.113.64/26, internal: 192.168.1.64/26}
            - {interface: lan, external: 203.0.113.30, internal: 192.168.1.30}
            - {interface: wan, external: 198.51.100.21, internal: 192.168.1.21, disabled: true}
          port-forwards:
            - {interface: wan, protocol: tcp, external: "198.51.100.1:80", internal: "192.168.1.20:80"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:80", internal: "192.168.1.21:80"}
        """,
                "hairpin.yaml:6:34: nat.one-to-one[0].external: 198.51.100.20 is not inside a connected prefix"
                        + " of interface 'wan' (203.0.113.0/24); proxy ARP cannot announce it there,"
                        + " so the upstream router must route it to this appliance",
                "hairpin.yaml:9:34: nat.one-to-one[3].external: 203.0.113.30 is not inside a connected prefix"
                        + " of interface 'lan' (192.168.1.0/24); proxy ARP cannot announce it there,"
                        + " so the upstream router must route it to this appliance",
                "hairpin.yaml:12:49: nat.port-forwards[0].external: 198.51.100.1 is not inside a connected"
                        + " prefix of interface 'wan' (203.0.113.0/24); proxy ARP cannot announce it there,"
                        + " so the upstream router must route it to this appliance");
    }

    @Test
    void translationAddressOutsideTheInterfacesPrefixes() {
        assertWarnings("""
          outbound:
            - {interface: wan, source: 192.168.1.0/24, translation: 203.0.113.32/29}
            - {interface: wan, source: 192.168.2.0/24, translation: 198.51.100.32/29}
            - {interface: wan, source: 192.168.3.0/24, translation: [203.0.113.40, 198.51.100.41]}
            - {interface: wan, source: 192.168.4.5, translation: 198.51.100.50}
        """,
                "hairpin.yaml:7:61: nat.outbound[1].translation: 198.51.100.32/29 is not inside a connected"
                        + " prefix of interface 'wan' (203.0.113.0/24); proxy ARP cannot announce it there,"
                        + " so the upstream router must route it to this appliance",
                "hairpin.yaml:8:76: nat.outbound[2].translation[1]: 198.51.100.41 is not inside a connected"
                        + " prefix of interface 'wan' (203.0.113.0/24); proxy ARP cannot announce it there,"
                        + " so the upstream router must route it to this appliance",
                "hairpin.yaml:9:58: nat.outbound[3].translation: 198.51.100.50 is not inside a connected prefix"
                        + " of interface 'wan' (203.0.113.0/24); proxy ARP cannot announce it there,"
                        + " so the upstream router must route it to this appliance");
    }

    // product spec §5: cPanel writes one cpnat line per public address.
    @Test
    void severalInternalAddressesShareOnePublicAddress() {
        assertWarnings("""
          outbound:
            - {interface: wan, source: 192.168.1.0/24, translation: 203.0.113.5}
            - {interface: wan, source: 192.168.2.0/31, translation: 203.0.113.6/32}
            - {interface: wan, source: 192.168.3.0/24, translation: [203.0.113.7]}
            - {interface: wan, source: 192.168.4.9, translation: 203.0.113.8}
            - {interface: wan, source: 192.168.5.0/24, translation: interface}
            - {interface: wan, source: 192.168.6.0/24, translation: 203.0.113.9, disabled: true}
            - {interface: wan, source: 192.168.7.0/24, translation: 203.0.113.16/30}
        """,
                "hairpin.yaml:6:61: nat.outbound[0].translation: several internal addresses"
                        + " (192.168.1.0/24) share one public address 203.0.113.5;"
                        + " cPanel's installer maps only the first: hosts behind it will all report 203.0.113.5",
                "hairpin.yaml:7:61: nat.outbound[1].translation: several internal addresses"
                        + " (192.168.2.0/31) share one public address 203.0.113.6;"
                        + " cPanel's installer maps only the first: hosts behind it will all report 203.0.113.6",
                "hairpin.yaml:8:61: nat.outbound[2].translation: several internal addresses"
                        + " (192.168.3.0/24) share one public address 203.0.113.7;"
                        + " cPanel's installer maps only the first: hosts behind it will all report 203.0.113.7");
    }

    // --- everything at once ---

    @Test
    void everyNatProblemIsReportedInFileOrder() {
        ValidationResult result = validate(HEAD + """
                  one-to-one:
                    - {interface: wan, external: 198.51.100.20, internal: 192.168.1.20}
                    - {interface: wan, external: 203.0.113.1, internal: 192.168.1.21}
                  port-forwards:
                    - {interface: wan, protocol: tcp, external: "203.0.113.1:80", internal: "192.168.1.20:80"}
                    - {interface: wan, protocol: tcp, external: "203.0.113.1:80", internal: "192.168.1.21:80"}
                  outbound:
                    - {interface: wna, source: 192.168.1.0/24}
                    - {interface: wan, source: 192.168.2.0/24, translation: 203.0.113.5}
                """);
        assertEquals(List.of(
                "hairpin.yaml:7:34: nat.one-to-one[1].external: 203.0.113.1 is an address of this appliance (interface 'wan')",
                "hairpin.yaml:10:49: nat.port-forwards[1].external: tcp 203.0.113.1:80 is already forwarded by"
                        + " nat.port-forwards[0] (line 9), which comes first, so this rule would never see that traffic",
                "hairpin.yaml:12:19: nat.outbound[0].interface: unknown interface 'wna' (the interfaces are: wan, lan)"),
                rendered(result.errors()));
        assertEquals(List.of(
                "hairpin.yaml:6:34: nat.one-to-one[0].external: 198.51.100.20 is not inside a connected prefix of interface"
                        + " 'wan' (203.0.113.0/24); proxy ARP cannot announce it there, so the upstream router must route it"
                        + " to this appliance",
                "hairpin.yaml:13:61: nat.outbound[1].translation: several internal addresses (192.168.2.0/24) share one public"
                        + " address 203.0.113.5; cPanel's installer maps only the first: hosts behind it will all report"
                        + " 203.0.113.5"),
                rendered(result.warnings()));
    }
}
