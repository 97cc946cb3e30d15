package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Semantic errors and warnings. Every test states the exact rendered messages; the line and column are
 * counted by hand in the text block (line 1 is the first line after the opening quotes).
 */
final class ConfigValidatorTest {

    private static final String FILE = "hairpin.yaml";
    private static final int PLENTY_OF_CORES = 64;

    private static ValidationResult validate(String yaml, int cores) {
        return ConfigValidator.validate(ConfigLoader.parse(yaml, FILE), cores);
    }

    private static List<String> rendered(List<ConfigError> errors) {
        return errors.stream().map(ConfigError::render).toList();
    }

    private static void assertErrors(String yaml, String... expected) {
        ValidationResult result = validate(yaml, PLENTY_OF_CORES);
        assertEquals(List.of(expected), rendered(result.errors()));
    }

    private static void assertValid(String yaml) {
        ValidationResult result = validate(yaml, PLENTY_OF_CORES);
        assertEquals(List.of(), rendered(result.errors()));
        assertEquals(List.of(), rendered(result.warnings()));
    }

    @Test
    void aSoundConfigHasNoErrorsOrWarnings() {
        assertValid("""
                workers: 2
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24, 203.0.113.2/25]
                    gateway: 203.0.113.254
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                  - name: lan-v10
                    role: internal
                    device: net_tap1
                    vlan: 10
                    addresses: [192.168.10.1/24]
                routes:
                  - {prefix: 10.20.0.0/16, via: 192.168.1.254}
                  - {prefix: 192.168.1.128/25, via: 192.168.1.254}
                """);
    }

    // --- interfaces ---

    @Test
    void duplicateInterfaceName() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                  - name: wan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                """,
                "hairpin.yaml:6:11: interfaces[1].name: duplicate interface name 'wan' (first defined at line 2)");
    }

    @Test
    void sameDeviceAndVlanTwice() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                  - name: lan
                    role: internal
                    device: net_tap0
                    addresses: [192.168.1.1/24]
                  - name: v10
                    role: internal
                    device: net_tap1
                    vlan: 10
                    addresses: [192.168.10.1/24]
                  - name: v10b
                    role: internal
                    device: net_tap1
                    vlan: 10
                    addresses: [192.168.11.1/24]
                """,
                "hairpin.yaml:8:13: interfaces[1].device: interface 'lan' uses the same device and VLAN as interface 'wan'"
                        + " (line 4): net_tap0, untagged",
                "hairpin.yaml:17:13: interfaces[3].device: interface 'v10b' uses the same device and VLAN as interface 'v10'"
                        + " (line 12): net_tap1, VLAN 10");
    }

    @Test
    void overlappingPrefixesOfDifferentInterfaces() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24, 203.0.113.129/25]
                """,
                "hairpin.yaml:9:33: interfaces[1].addresses[1]: connected prefix 203.0.113.128/25 overlaps 203.0.113.0/24"
                        + " of interface 'wan' (line 5)");
    }

    @Test
    void sameAddressTwice() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses:
                      - 192.168.1.1/24
                      - 192.168.1.1/25
                      - 203.0.113.1/32
                """,
                "hairpin.yaml:11:9: interfaces[1].addresses[1]: address 192.168.1.1 is already assigned to interface 'lan'"
                        + " (line 10)",
                "hairpin.yaml:12:9: interfaces[1].addresses[2]: address 203.0.113.1 is already assigned to interface 'wan'"
                        + " (line 5)");
    }

    @Test
    void networkAndBroadcastAddressesAreNotHostAddresses() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.0/24, 198.51.100.0/31, 198.51.100.7/32]
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.255/24]
                """,
                "hairpin.yaml:5:17: interfaces[0].addresses[0]: 203.0.113.0 is the network address of 203.0.113.0/24;"
                        + " an interface needs a host address",
                "hairpin.yaml:9:17: interfaces[1].addresses[0]: 192.168.1.255 is the broadcast address of 192.168.1.0/24;"
                        + " an interface needs a host address");
    }

    @Test
    void specialPurposeAddressesCannotBeInterfaceAddresses() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [127.0.0.1/8, 224.0.0.1/24, 0.1.2.3/8, 255.255.255.255/32]
                """,
                "hairpin.yaml:5:17: interfaces[0].addresses[0]: 127.0.0.1 is a loopback address"
                        + " and cannot be an interface address",
                "hairpin.yaml:5:30: interfaces[0].addresses[1]: 224.0.0.1 is a multicast address"
                        + " and cannot be an interface address",
                "hairpin.yaml:5:44: interfaces[0].addresses[2]: 0.1.2.3 is in 0.0.0.0/8 (\"this network\")"
                        + " and cannot be an interface address",
                "hairpin.yaml:5:55: interfaces[0].addresses[3]: 255.255.255.255 is in the reserved range 240.0.0.0/4"
                        + " and cannot be an interface address");
    }

    // --- gateways ---

    @Test
    void gatewayOutsideTheInterfacesPrefixes() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24, 198.51.100.1/24]
                    gateway: 192.168.1.254
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                """,
                "hairpin.yaml:6:14: interfaces[0].gateway: 192.168.1.254 is not inside a connected prefix of interface 'wan'"
                        + " (203.0.113.0/24, 198.51.100.0/24)");
    }

    @Test
    void gatewayIsOneOfTheInterfacesOwnAddresses() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.1
                """,
                "hairpin.yaml:6:14: interfaces[0].gateway: 203.0.113.1 is an address of this appliance (interface 'wan')");
    }

    @Test
    void gatewayIsTheBroadcastAddress() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.255
                """,
                "hairpin.yaml:6:14: interfaces[0].gateway: 203.0.113.255 is the broadcast address of 203.0.113.0/24");
    }

    @Test
    void onlyOneDefaultGateway() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.254
                  - name: wan2
                    role: external
                    device: net_tap1
                    addresses: [198.51.100.1/24]
                    gateway: 198.51.100.254
                  - {name: lan, role: internal, device: net_tap2, addresses: [192.168.1.1/24], gateway: 192.168.1.254}
                """,
                "hairpin.yaml:11:14: interfaces[1].gateway: only one default gateway is allowed,"
                        + " but interfaces 'wan', 'wan2' and 'lan' have one",
                "hairpin.yaml:12:89: interfaces[2].gateway: only one default gateway is allowed,"
                        + " but interfaces 'wan', 'wan2' and 'lan' have one");
    }

    // --- routes ---

    @Test
    void routeNextHopUnreachable() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                routes:
                  - prefix: 10.20.0.0/16
                    via: 10.9.9.9
                """,
                "hairpin.yaml:8:10: routes[0].via: next hop 10.9.9.9 is unreachable:"
                        + " it is not inside any interface's connected prefix");
    }

    @Test
    void routeNextHopIsTheAppliance() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                routes:
                  - {prefix: 10.20.0.0/16, via: 192.168.1.1}
                  - {prefix: 10.30.0.0/16, via: 192.168.1.255}
                """,
                "hairpin.yaml:11:33: routes[0].via: 192.168.1.1 is an address of this appliance (interface 'lan')",
                "hairpin.yaml:12:33: routes[1].via: 192.168.1.255 is the broadcast address of 192.168.1.0/24");
    }

    @Test
    void duplicateRoutePrefix() {
        assertErrors("""
                interfaces:
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                routes:
                  - {prefix: 10.20.0.0/16, via: 192.168.1.254}
                  - {prefix: 10.20.0.0/16, via: 192.168.1.253}
                """,
                "hairpin.yaml:8:14: routes[1].prefix: duplicate route for 10.20.0.0/16 (first defined at line 7)");
    }

    @Test
    void routePrefixEqualToAConnectedPrefix() {
        assertErrors("""
                interfaces:
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                routes:
                  - prefix: 192.168.1.0/24
                    via: 192.168.1.254
                """,
                "hairpin.yaml:7:13: routes[0].prefix: 192.168.1.0/24 is the connected prefix of interface 'lan';"
                        + " a static route cannot replace it");
    }

    @Test
    void defaultRouteAndGatewayTogether() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.254
                routes:
                  - prefix: 0.0.0.0/0
                    via: 203.0.113.253
                """,
                "hairpin.yaml:8:13: routes[0].prefix: a route for 0.0.0.0/0 conflicts with the gateway of interface 'wan'"
                        + " (line 6); configure the default route only once");
    }

    @Test
    void defaultRouteWithoutGatewayIsFine() {
        assertValid("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                routes: [{prefix: 0.0.0.0/0, via: 203.0.113.254}]
                """);
    }

    // --- warnings ---

    @Test
    void noExternalInterfaceIsOnlyAWarning() {
        ValidationResult result = validate("""
                workers: 1
                interfaces:
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                """, PLENTY_OF_CORES);
        assertEquals(List.of(), result.errors());
        assertEquals(List.of("hairpin.yaml:2:1: interfaces: no interface has role 'external',"
                + " so nothing will be translated to or from the outside"), rendered(result.warnings()));
    }

    @Test
    void moreWorkersThanCoresIsOnlyAWarning() {
        String yaml = """
                workers: 8
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """;
        ValidationResult result = validate(yaml, 4);
        assertEquals(List.of(), result.errors());
        assertEquals(List.of("hairpin.yaml:1:10: workers: 8 poll-mode workers but this machine has only 4 cores;"
                + " workers will share cores and throughput will suffer"), rendered(result.warnings()));
        assertEquals(List.of(), validate(yaml, 8).warnings());
    }

    // --- everything at once ---

    @Test
    void everyProblemIsReportedInFileOrder() {
        ValidationResult result = validate("""
                workers: 16
                interfaces:
                  - name: lan
                    role: internal
                    device: net_tap0
                    addresses: [192.168.1.0/24]
                    gateway: 192.168.2.1
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/25]
                routes:
                  - {prefix: 10.20.0.0/16, via: 10.0.0.1}
                """, 2);
        assertEquals(List.of(
                "hairpin.yaml:6:17: interfaces[0].addresses[0]: 192.168.1.0 is the network address of 192.168.1.0/24;"
                        + " an interface needs a host address",
                "hairpin.yaml:7:14: interfaces[0].gateway: 192.168.2.1 is not inside a connected prefix of interface 'lan'"
                        + " (192.168.1.0/24)",
                "hairpin.yaml:8:11: interfaces[1].name: duplicate interface name 'lan' (first defined at line 3)",
                "hairpin.yaml:11:17: interfaces[1].addresses[0]: connected prefix 192.168.1.0/25 overlaps 192.168.1.0/24"
                        + " of interface 'lan' (line 6)",
                "hairpin.yaml:13:33: routes[0].via: next hop 10.0.0.1 is unreachable:"
                        + " it is not inside any interface's connected prefix"),
                rendered(result.errors()));
        assertEquals(List.of(
                "hairpin.yaml:1:10: workers: 16 poll-mode workers but this machine has only 2 cores;"
                        + " workers will share cores and throughput will suffer",
                "hairpin.yaml:2:1: interfaces: no interface has role 'external',"
                        + " so nothing will be translated to or from the outside"),
                rendered(result.warnings()));
    }

    @Test
    void parseAndValidateThrowsWithTheErrorsAndKeepsTheWarnings() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parseAndValidate("""
                interfaces:
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                    gateway: 192.168.1.1
                """, FILE));
        assertEquals("hairpin.yaml:6:14: interfaces[0].gateway: 192.168.1.1 is an address of this appliance (interface 'lan')",
                e.getMessage());
        assertEquals(List.of("hairpin.yaml:1:1: interfaces: no interface has role 'external',"
                + " so nothing will be translated to or from the outside"), rendered(e.warnings()));
    }

    @Test
    void interfacesOnOneDeviceCannotSetDifferentMacs() {
        assertErrors("""
                interfaces:
                  - name: lan
                    role: internal
                    device: net_tap0
                    addresses: [192.168.1.1/24]
                    mac: "02:00:5e:00:00:01"
                  - name: guest
                    role: internal
                    device: net_tap0
                    vlan: 10
                    addresses: [192.168.10.1/24]
                    mac: "02:00:5e:00:00:02"
                """,
                "hairpin.yaml:9:13: interfaces[1].device: interface 'guest' shares its device with interface 'lan' (line 4)"
                        + " but sets a different mac; a device has one MAC address");
    }

    @Test
    void aMacAndTheExceptionPathSwitchAreAccepted() {
        assertValid("""
                exception-path: false
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], mac: "02:00:5e:00:00:01"}
                """);
        LoadedConfig loaded = ConfigLoader.parseAndValidate("""
                exception-path: false
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], mac: "02:00:5e:00:00:01"}
                """, FILE);
        assertEquals(false, loaded.config().exceptionPath());
        assertEquals(0x02005e000001L, loaded.config().interfaces().get(0).mac());
    }

    @Test
    void machineCoresCountsTheKernelsCpuListNotTheThreadsAffinity() {
        assertEquals(2, ConfigValidator.countCpuList("0-1\n"));
        assertEquals(1, ConfigValidator.countCpuList("0"));
        assertEquals(7, ConfigValidator.countCpuList("0,2-5,7,9"));
        assertEquals(0, ConfigValidator.countCpuList("garbage"));
        assertEquals(0, ConfigValidator.countCpuList("3-1"));
        // on this Linux machine, the same count as the CPUs the kernel has online
        int online = (int) java.util.stream.IntStream.range(0, 4096)
                .filter(i -> java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/devices/system/cpu/cpu" + i + "/topology")))
                .count();
        assertEquals(online, ConfigValidator.machineCores());
    }
}
