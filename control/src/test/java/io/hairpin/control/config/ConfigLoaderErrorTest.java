package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Files that do not have the shape of a config. Every test states the exact rendered errors; the line and
 * column are counted by hand in the text block (line 1 is the first line after the opening quotes).
 */
final class ConfigLoaderErrorTest {

    private static final String FILE = "hairpin.yaml";

    private static void assertErrors(String yaml, String... expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE));
        assertEquals(List.of(expected), e.errors().stream().map(ConfigError::render).toList());
        assertEquals(String.join("\n", expected), e.getMessage());
    }

    // --- the file as a whole ---

    @Test
    void emptyFile() {
        assertErrors("", "hairpin.yaml:1:1: the file is empty; expected a mapping with at least 'interfaces'");
    }

    @Test
    void fileWithOnlyComments() {
        assertErrors("# nothing yet\n", "hairpin.yaml:1:1: the file is empty; expected a mapping with at least 'interfaces'");
    }

    @Test
    void topLevelList() {
        assertErrors("""
                - name: wan
                """,
                "hairpin.yaml:1:1: expected a mapping of settings (workers, eal, interfaces, routes, nat, control, exception-path)"
                        + " at the top level, got a list");
    }

    @Test
    void topLevelScalar() {
        assertErrors("hello\n",
                "hairpin.yaml:1:1: expected a mapping of settings (workers, eal, interfaces, routes, nat, control, exception-path)"
                        + " at the top level, got 'hello'");
    }

    @Test
    void syntaxErrorBadIndentation() {
        assertErrors("""
                workers: 1
                  eal: [--no-pci]
                """,
                "hairpin.yaml:2:6: YAML syntax error: mapping values are not allowed here");
    }

    @Test
    void syntaxErrorUnclosedFlowSequenceNamesWhereItStarted() {
        assertErrors("""
                eal: [--no-pci
                workers: 1
                """,
                "hairpin.yaml:2:8: YAML syntax error: expected ',' or ']', but got : (while parsing a flow sequence at line 1, column 6)");
    }

    @Test
    void syntaxErrorTabIndentation() {
        assertErrors("interfaces:\n\t- name: wan\n",
                "hairpin.yaml:2:1: YAML syntax error: found character 'TAB' that cannot start any token."
                        + " (Do not use TAB for indentation) (while scanning for the next token)");
    }

    @Test
    void twoDocuments() {
        assertErrors("""
                workers: 1
                ---
                workers: 2
                """,
                "hairpin.yaml:2:1: a config file must hold a single YAML document, found a second one");
    }

    // --- keys ---

    @Test
    void unknownTopLevelKey() {
        assertErrors("""
                workers: 1
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                interface-defaults: {mtu: 9000}
                """,
                "hairpin.yaml:7:1: unknown key 'interface-defaults' in the top-level mapping"
                        + " (expected one of: workers, eal, interfaces, routes, nat, control, exception-path)");
    }

    @Test
    void misspelledInterfaceKeyIsUnknownAndTheRealOneMissing() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    adresses: [203.0.113.1/24]
                """,
                "hairpin.yaml:2:5: missing required key 'addresses' in interfaces[0]",
                "hairpin.yaml:5:5: unknown key 'adresses' in interfaces[0]"
                        + " (expected one of: name, role, device, addresses, gateway, mtu, vlan, anti-spoofing, mac, exception-path-rate)");
    }

    @Test
    void unknownRouteKeyInFlowStyle() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                routes: [{prefix: 10.20.0.0/16, via: 203.0.113.9, metric: 10}]
                """,
                "hairpin.yaml:6:51: unknown key 'metric' in routes[0] (expected one of: prefix, via)");
    }

    @Test
    void unknownControlKey() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                control:
                  sockt: /run/hairpin/control.sock
                """,
                "hairpin.yaml:7:3: unknown key 'sockt' in control (expected one of: socket, myip, metrics)");
    }

    @Test
    void duplicateTopLevelKey() {
        assertErrors("""
                workers: 1
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                workers: 2
                """,
                "hairpin.yaml:7:1: duplicate key 'workers' in the top-level mapping (first at line 1)");
    }

    @Test
    void duplicateInterfaceKey() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    mtu: 1500
                    mtu: 9000
                """,
                "hairpin.yaml:7:5: duplicate key 'mtu' in interfaces[0] (first at line 6)");
    }

    @Test
    void duplicateKeyInFlowMapping() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], role: internal}
                """,
                "hairpin.yaml:2:80: duplicate key 'role' in interfaces[0] (first at line 2)");
    }

    @Test
    void keyThatIsNotAWord() {
        assertErrors("""
                ? [workers]
                : 1
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:3: keys in the top-level mapping must be plain words, got a list");
    }

    // --- top-level values ---

    @Test
    void workersNotAnInteger() {
        assertErrors("""
                workers: abc
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:10: workers: expected an integer, got 'abc'");
    }

    @Test
    void workersAList() {
        assertErrors("""
                workers: [1, 2]
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:10: workers: expected an integer, got a list");
    }

    @Test
    void workersAFraction() {
        assertErrors("""
                workers: 1.5
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:10: workers: expected an integer, got '1.5'");
    }

    @Test
    void workersOutOfRange() {
        assertErrors("""
                workers: 0
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:10: workers: must be between 1 and 64, got 0");
        assertErrors("""
                workers: 65
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:10: workers: must be between 1 and 64, got 65");
        assertErrors("""
                workers: 123456789012345678901234567890
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:10: workers: must be between 1 and 64, got 123456789012345678901234567890");
    }

    @Test
    void ealAScalar() {
        assertErrors("""
                eal: --no-pci
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:6: eal: expected a list of EAL arguments, got '--no-pci'");
    }

    @Test
    void ealItemNotAString() {
        assertErrors("""
                eal: [--no-pci, {log-level: 7}]
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:17: eal[1]: expected a string, got a mapping");
    }

    @Test
    void interfacesMissing() {
        assertErrors("""
                workers: 1
                eal: [--no-pci]
                """,
                "hairpin.yaml:1:1: missing required key 'interfaces' in the top-level mapping");
    }

    @Test
    void interfacesEmpty() {
        assertErrors("""
                workers: 1
                interfaces: []
                """,
                "hairpin.yaml:2:13: interfaces: at least one interface is required");
    }

    @Test
    void interfacesWithoutValue() {
        assertErrors("""
                workers: 1
                interfaces:
                """,
                "hairpin.yaml:2:1: interfaces: missing value");
    }

    @Test
    void interfacesAMapping() {
        assertErrors("""
                interfaces:
                  wan: {role: external}
                """,
                "hairpin.yaml:2:3: interfaces: expected a list of interfaces, got a mapping");
    }

    @Test
    void interfaceItemAScalar() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                  - lan
                """,
                "hairpin.yaml:3:5: interfaces[1]: expected a mapping of interface settings, got 'lan'");
    }

    // --- interface values ---

    @Test
    void interfaceMissingEveryRequiredKey() {
        assertErrors("""
                interfaces:
                  - mtu: 1500
                """,
                "hairpin.yaml:2:5: missing required key 'name' in interfaces[0]",
                "hairpin.yaml:2:5: missing required key 'role' in interfaces[0]",
                "hairpin.yaml:2:5: missing required key 'device' in interfaces[0]",
                "hairpin.yaml:2:5: missing required key 'addresses' in interfaces[0]");
    }

    @Test
    void interfaceNameWithoutValue() {
        assertErrors("""
                interfaces:
                  - name:
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                """,
                "hairpin.yaml:2:5: interfaces[0].name: missing value");
    }

    @Test
    void interfaceNameInvalid() {
        String rule = " is not a valid interface name"
                + " (1-15 characters: lower-case letters, digits, '_' and '-', starting with a letter or digit)";
        assertErrors("""
                interfaces:
                  - name: WAN
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                  - name: -lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                  - name: a-very-long-name-1
                    role: internal
                    device: net_tap2
                    addresses: [192.168.2.1/24]
                """,
                "hairpin.yaml:2:11: interfaces[0].name: 'WAN'" + rule,
                "hairpin.yaml:6:11: interfaces[1].name: '-lan'" + rule,
                "hairpin.yaml:10:11: interfaces[2].name: 'a-very-long-name-1'" + rule);
    }

    @Test
    void interfaceRoleInvalid() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: outside
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                """,
                "hairpin.yaml:3:11: interfaces[0].role: expected 'external' or 'internal', got 'outside'");
    }

    @Test
    void interfaceDeviceEmptyOrAList() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: ""
                    addresses: [203.0.113.1/24]
                  - name: lan
                    role: internal
                    device: [net_tap1, net_tap2]
                    addresses: [192.168.1.1/24]
                """,
                "hairpin.yaml:4:13: interfaces[0].device: must not be empty",
                "hairpin.yaml:8:13: interfaces[1].device: expected a string, got a list");
    }

    @Test
    void interfaceAddressesAScalar() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: 203.0.113.1/24
                """,
                "hairpin.yaml:5:16: interfaces[0].addresses: expected a list of addresses such as [192.0.2.1/24],"
                        + " got '203.0.113.1/24'");
    }

    @Test
    void interfaceAddressesEmpty() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: []
                """,
                "hairpin.yaml:5:16: interfaces[0].addresses: at least one address is required");
    }

    @Test
    void interfaceAddressesNotCidr() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1, 203.0.113.2/33, 300.0.113.3/24]
                """,
                "hairpin.yaml:5:17: interfaces[0].addresses[0]: '203.0.113.1' has no prefix length"
                        + " (expected address/length, such as 192.0.2.1/24)",
                "hairpin.yaml:5:30: interfaces[0].addresses[1]: '203.0.113.2/33' is not an IPv4 prefix"
                        + " (expected address/length with length 0-32, such as 192.0.2.1/24)",
                "hairpin.yaml:5:46: interfaces[0].addresses[2]: '300.0.113.3/24' is not an IPv4 prefix"
                        + " (expected address/length with length 0-32, such as 192.0.2.1/24)");
    }

    @Test
    void interfaceAddressAMapping() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses:
                      - {address: 203.0.113.1, prefix: 24}
                """,
                "hairpin.yaml:6:9: interfaces[0].addresses[0]: expected an IPv4 address with prefix length"
                        + " (such as 192.0.2.1/24), got a mapping");
    }

    @Test
    void interfaceGatewayInvalid() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113
                  - name: lan
                    role: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                    gateway: [192.168.1.254]
                """,
                "hairpin.yaml:6:14: interfaces[0].gateway: '203.0.113' is not an IPv4 address"
                        + " (expected four numbers 0-255 separated by dots, such as 192.0.2.1)",
                "hairpin.yaml:11:14: interfaces[1].gateway: expected an IPv4 address, got a list");
    }

    @Test
    void exceptionPathRateOutOfRange() {
        assertErrors("""
                interfaces:
                  - {name: a, role: external, device: d0, addresses: [10.0.0.1/24], exception-path-rate: 0}
                  - {name: b, role: internal, device: d1, addresses: [10.0.1.1/24], exception-path-rate: 10000001}
                  - {name: c, role: internal, device: d2, addresses: [10.0.2.1/24], exception-path-rate: 1}
                """,
                "hairpin.yaml:2:90: interfaces[0].exception-path-rate: must be between 1 and 10000000, got 0",
                "hairpin.yaml:3:90: interfaces[1].exception-path-rate: must be between 1 and 10000000, got 10000001");
    }

    @Test
    void interfaceMtuOutOfRangeQuotedOrText() {
        assertErrors("""
                interfaces:
                  - {name: a, role: external, device: d0, addresses: [10.0.0.1/24], mtu: 575}
                  - {name: b, role: internal, device: d1, addresses: [10.0.1.1/24], mtu: 9001}
                  - {name: c, role: internal, device: d2, addresses: [10.0.2.1/24], mtu: "1500"}
                  - {name: d, role: internal, device: d3, addresses: [10.0.3.1/24], mtu: jumbo}
                """,
                "hairpin.yaml:2:74: interfaces[0].mtu: must be between 576 and 9000, got 575",
                "hairpin.yaml:3:74: interfaces[1].mtu: must be between 576 and 9000, got 9001",
                "hairpin.yaml:4:74: interfaces[2].mtu: expected an integer, got the quoted string '1500'",
                "hairpin.yaml:5:74: interfaces[3].mtu: expected an integer, got 'jumbo'");
    }

    @Test
    void interfaceVlanOutOfRange() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    vlan: 0
                  - name: lan
                    role: internal
                    device: net_tap0
                    addresses: [192.168.1.1/24]
                    vlan: 4095
                """,
                "hairpin.yaml:6:11: interfaces[0].vlan: must be between 1 and 4094, got 0",
                "hairpin.yaml:11:11: interfaces[1].vlan: must be between 1 and 4094, got 4095");
    }

    @Test
    void interfaceAntiSpoofingNotABoolean() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    anti-spoofing: yes
                """,
                "hairpin.yaml:6:20: interfaces[0].anti-spoofing: expected true or false, got 'yes'");
    }

    // --- routes ---

    @Test
    void routesAScalar() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                routes: 10.20.0.0/16 via 203.0.113.9
                """,
                "hairpin.yaml:3:9: routes: expected a list of routes, got '10.20.0.0/16 via 203.0.113.9'");
    }

    @Test
    void routeItemAScalar() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                routes:
                  - 10.20.0.0/16
                """,
                "hairpin.yaml:4:5: routes[0]: expected a mapping with prefix and via, got '10.20.0.0/16'");
    }

    @Test
    void routePrefixWithHostBits() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                routes:
                  - prefix: 10.20.0.1/16
                    via: 203.0.113.9
                """,
                "hairpin.yaml:4:13: routes[0].prefix: 10.20.0.1/16 is not a network address (host bits are set);"
                        + " did you mean 10.20.0.0/16?");
    }

    @Test
    void routePrefixNotCidr() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                routes:
                  - prefix: 10.20.0.0
                    via: 203.0.113.9
                """,
                "hairpin.yaml:4:13: routes[0].prefix: '10.20.0.0' has no prefix length"
                        + " (expected address/length, such as 192.0.2.1/24)");
    }

    @Test
    void routeMissingViaAndBadVia() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                routes:
                  - {prefix: 10.20.0.0/16}
                  - {prefix: 10.30.0.0/16, via: 203.0.113.999}
                """,
                "hairpin.yaml:4:5: missing required key 'via' in routes[0]",
                "hairpin.yaml:5:33: routes[1].via: '203.0.113.999' is not an IPv4 address"
                        + " (expected four numbers 0-255 separated by dots, such as 192.0.2.1)");
    }

    // --- control ---

    @Test
    void controlAScalar() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                control: /run/hairpin/control.sock
                """,
                "hairpin.yaml:3:10: control: expected a mapping of control settings, got '/run/hairpin/control.sock'");
    }

    @Test
    void controlSocketRelativeOrTooLong() {
        String longPath = "/" + "s".repeat(107);
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                control:
                  socket: hairpin.sock
                """,
                "hairpin.yaml:4:11: control.socket: must be an absolute path, got 'hairpin.sock'");
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                control:
                  socket: %s
                """.formatted(longPath),
                "hairpin.yaml:4:11: control.socket: a UNIX socket path can have at most 107 bytes, this one has 108");
    }

    @Test
    void controlEndpointsNeedAddressAndPort() {
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                control:
                  myip: 192.168.1.1
                  metrics: localhost:9100
                """,
                "hairpin.yaml:4:9: control.myip: expected address:port such as 192.168.1.1:80, got '192.168.1.1'",
                "hairpin.yaml:5:12: control.metrics: expected address:port such as 127.0.0.1:9100, got 'localhost:9100'");
        assertErrors("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                control: {myip: "192.168.1.1:0", metrics: 127.0.0.1:99999}
                """,
                "hairpin.yaml:3:17: control.myip: expected address:port such as 192.168.1.1:80, got '192.168.1.1:0'",
                "hairpin.yaml:3:43: control.metrics: port must be between 1 and 65535, got 99999");
    }

    /**
     * Without the exception path the appliance's own addresses are not the host's: a myip
     * responder or metrics endpoint there could never listen, and run refused to start after
     * check had passed it.
     */
    @Test
    void endpointsOnTheAppliancesOwnAddressesNeedTheExceptionPath() {
        String file = """
                exception-path: %s
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                  - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24, 10.1.1.1/24]}
                control: {myip: "%s"}
                """;
        assertErrors(file.formatted("false", "10.1.1.1:80"),
                "hairpin.yaml:5:17: control.myip: 10.1.1.1 is an address of interface 'lan', which this host has only"
                        + " through the exception path; with exception-path: false nothing can listen on it (set"
                        + " exception-path: true)");
        assertEquals("10.1.1.1:80", ConfigLoader.parse(file.formatted("true", "10.1.1.1:80"), FILE).control().myip());
        assertEquals("127.0.0.1:80", ConfigLoader.parse(file.formatted("false", "127.0.0.1:80"), FILE).control().myip(),
                "an address of the host's own may serve it");
        assertErrors("""
                exception-path: false
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                control: {metrics: "203.0.113.1:9100"}
                """,
                "hairpin.yaml:4:20: control.metrics: 203.0.113.1 is an address of interface 'wan', which this host has"
                        + " only through the exception path; with exception-path: false nothing can listen on it (set"
                        + " exception-path: true)");
    }

    // --- everything at once ---

    @Test
    void everyErrorInAFileIsReportedInFileOrder() {
        assertErrors("""
                workers: lots
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    mtu: 100
                  - name: lan
                    rol: internal
                    device: net_tap1
                    addresses: [192.168.1.1/24]
                routes: [{prefix: 10.20.0.1/16, via: 192.168.1.254}]
                nat: {filtering: full-cone}
                control:
                  metrics: 9100
                """,
                "hairpin.yaml:1:10: workers: expected an integer, got 'lots'",
                "hairpin.yaml:7:10: interfaces[0].mtu: must be between 576 and 9000, got 100",
                "hairpin.yaml:8:5: missing required key 'role' in interfaces[1]",
                "hairpin.yaml:9:5: unknown key 'rol' in interfaces[1]"
                        + " (expected one of: name, role, device, addresses, gateway, mtu, vlan, anti-spoofing, mac, exception-path-rate)",
                "hairpin.yaml:12:19: routes[0].prefix: 10.20.0.1/16 is not a network address (host bits are set);"
                        + " did you mean 10.20.0.0/16?",
                "hairpin.yaml:13:18: nat.filtering: expected 'endpoint-independent', 'address-dependent'"
                        + " or 'address-and-port-dependent', got 'full-cone'",
                "hairpin.yaml:15:12: control.metrics: expected address:port such as 127.0.0.1:9100, got '9100'");
    }

    @Test
    void nothingIsReturnedWhenOnlyOneInterfaceOfSeveralIsBroken() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parseAndValidate("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                  - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24], vlan: 5000}
                """, FILE));
        assertEquals(1, e.errors().size());
        assertEquals(List.of(), e.warnings());
    }

    // --- mac and exception-path ---

    @Test
    void macThatIsNotAnAddress() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    mac: 02:00:5e:00:01
                """,
                "hairpin.yaml:6:10: interfaces[0].mac: expected a MAC address such as 02:00:5e:00:00:01, got '02:00:5e:00:01'");
    }

    @Test
    void multicastMac() {
        assertErrors("""
                interfaces:
                  - name: wan
                    role: external
                    device: net_tap0
                    addresses: [203.0.113.1/24]
                    mac: "01:00:5e:00:00:01"
                """,
                "hairpin.yaml:6:10: interfaces[0].mac: 01:00:5e:00:00:01 is not a unicast address"
                        + " (the first byte must be even and the address non-zero)");
    }

    @Test
    void exceptionPathMustBeABoolean() {
        assertErrors("""
                exception-path: maybe
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """,
                "hairpin.yaml:1:17: exception-path: expected true or false, got 'maybe'");
    }
}
