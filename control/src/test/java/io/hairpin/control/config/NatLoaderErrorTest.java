package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code nat} sections that do not have the shape of one (product spec §2, §8). Every file starts with
 * {@link #HEAD}, lines 1-4, so a test's own lines are line 5 onwards; every test states the exact rendered
 * errors, in file order.
 */
final class NatLoaderErrorTest {

    private static final String FILE = "hairpin.yaml";

    /** Lines 1-4 of every file: two interfaces and the {@code nat:} key. */
    private static final String HEAD = """
            interfaces:
              - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], gateway: 203.0.113.254}
              - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24]}
            nat:
            """;

    private static void assertErrors(String natBody, String... expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(HEAD + natBody, FILE));
        assertEquals(List.of(expected), e.errors().stream().map(ConfigError::render).toList());
    }

    // --- the section and its global settings ---

    @Test
    void natNotAMapping() {
        assertErrors("""
          - one-to-one
        """,
                "hairpin.yaml:5:3: nat: expected a mapping of NAT settings and rules, got a list");
    }

    @Test
    void unknownNatKey() {
        assertErrors("""
          reflexion: enable
        """,
                "hairpin.yaml:5:3: unknown key 'reflexion' in nat (expected one of: reflection,"
                        + " reflection-source, filtering, timeouts, max-sessions, max-sessions-per-host, one-to-one,"
                        + " port-forwards, outbound)");
    }

    @Test
    void globalReflectionIsEnableOrDisable() {
        assertErrors("""
          reflection: true
          reflection-source: client
        """,
                "hairpin.yaml:5:15: nat.reflection: expected 'enable' or 'disable', got 'true'",
                "hairpin.yaml:6:22: nat.reflection-source: expected 'mapped' or 'interface', got 'client'");
    }

    @Test
    void filteringIsOneOfTheRfc4787Behaviours() {
        assertErrors("""
          filtering: full-cone
        """,
                "hairpin.yaml:5:14: nat.filtering: expected 'endpoint-independent',"
                        + " 'address-dependent' or 'address-and-port-dependent', got 'full-cone'");
    }

    @Test
    void timeoutsBelowTheRfcMinimums() {
        assertErrors("""
          timeouts: {udp: 119, tcp-established: 7439, tcp-transitory: 239, icmp: 59}
        """,
                "hairpin.yaml:5:19: nat.timeouts.udp: 119 seconds is below the minimum of 120 (RFC 4787 REQ-5)",
                "hairpin.yaml:5:41: nat.timeouts.tcp-established: 7439 seconds is below the minimum of 7440"
                        + " (RFC 5382 REQ-5)",
                "hairpin.yaml:5:63: nat.timeouts.tcp-transitory: 239 seconds is below the minimum of 240"
                        + " (RFC 5382 REQ-5)",
                "hairpin.yaml:5:74: nat.timeouts.icmp: 59 seconds is below the minimum of 60 (RFC 5508 REQ-1)");
    }

    @Test
    void timeoutsAboveAWeekOrNotNumbers() {
        assertErrors("""
          timeouts:
            udp: 604801
            tcp-established: 2h
            icmp: -1
            tcp-transitory: 99999999999999999999
        """,
                "hairpin.yaml:6:10: nat.timeouts.udp: 604801 seconds is above the maximum of 604800 (7 days)",
                "hairpin.yaml:7:22: nat.timeouts.tcp-established: expected an integer, got '2h'",
                "hairpin.yaml:8:11: nat.timeouts.icmp: -1 seconds is below the minimum of 60 (RFC 5508 REQ-1)",
                "hairpin.yaml:9:21: nat.timeouts.tcp-transitory: 99999999999999999999 seconds is above the"
                        + " maximum of 604800 (7 days)");
    }

    @Test
    void timeoutsUnknownKeyOrNotAMapping() {
        assertErrors("""
          timeouts: {udp: 300, tcp: 7440}
        """,
                "hairpin.yaml:5:24: unknown key 'tcp' in nat.timeouts (expected one of: udp, tcp-established,"
                        + " tcp-transitory, icmp)");
    }

    @Test
    void timeoutsAScalar() {
        assertErrors("""
          timeouts: 300
        """,
                "hairpin.yaml:5:13: nat.timeouts: expected a mapping of idle timeouts in seconds (udp,"
                        + " tcp-established, tcp-transitory, icmp), got '300'");
    }

    @Test
    void sessionLimitsOutOfRange() {
        assertErrors("""
          max-sessions: 0
          max-sessions-per-host: -1
        """,
                "hairpin.yaml:5:17: nat.max-sessions: must be between 1 and 100000000, got 0",
                "hairpin.yaml:6:26: nat.max-sessions-per-host: must be between 0 and 100000000, got -1");
    }

    @Test
    void sessionLimitAboveTheMaximum() {
        assertErrors("""
          max-sessions: 100000001
        """,
                "hairpin.yaml:5:17: nat.max-sessions: must be between 1 and 100000000, got 100000001");
    }

    @Test
    void ruleListsMustBeLists() {
        assertErrors("""
          one-to-one: {interface: wan}
          port-forwards: 203.0.113.1:80
          outbound: interface
        """,
                "hairpin.yaml:5:15: nat.one-to-one: expected a list of 1:1 rules, got a mapping",
                "hairpin.yaml:6:18: nat.port-forwards: expected a list of port forwards, got '203.0.113.1:80'",
                "hairpin.yaml:7:13: nat.outbound: expected a list of outbound NAT rules, got 'interface'");
    }

    @Test
    void rulesMustBeMappings() {
        assertErrors("""
          one-to-one: [203.0.113.20]
          port-forwards: [[tcp]]
          outbound: [wan]
        """,
                "hairpin.yaml:5:16: nat.one-to-one[0]: expected a mapping of 1:1 rule settings,"
                        + " got '203.0.113.20'",
                "hairpin.yaml:6:19: nat.port-forwards[0]: expected a mapping of port forward settings,"
                        + " got a list",
                "hairpin.yaml:7:14: nat.outbound[0]: expected a mapping of outbound NAT settings, got 'wan'");
    }

    // --- 1:1 rules ---

    @Test
    void unknownOneToOneKey() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, proxy_arp: false}
        """,
                "hairpin.yaml:6:72: unknown key 'proxy_arp' in nat.one-to-one[0] (expected one of: interface,"
                        + " external, internal, no-binat, destination, reflection, reflection-source, proxy-arp,"
                        + " inbound, description, disabled)");
    }

    @Test
    void oneToOneMissingKeys() {
        assertErrors("""
          one-to-one:
            - description: nothing else
            - {interface: wan, internal: 192.168.1.20}
        """,
                "hairpin.yaml:6:7: missing required key 'interface' in nat.one-to-one[0]",
                "hairpin.yaml:6:7: missing required key 'internal' in nat.one-to-one[0]",
                "hairpin.yaml:6:7: missing required key 'external' in nat.one-to-one[0]",
                "hairpin.yaml:7:7: missing required key 'external' in nat.one-to-one[1]");
    }

    @Test
    void oneToOneAddressesThatAreNotAddresses() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113, internal: [192.168.1.20]}
            - {interface: [wan], external: 203.0.113.20/33, internal: 192.168.1.20}
        """,
                "hairpin.yaml:6:34: nat.one-to-one[0].external: '203.0.113' is not an IPv4 address or prefix"
                        + " (such as 192.0.2.1 or 192.0.2.0/24)",
                "hairpin.yaml:6:55: nat.one-to-one[0].internal: expected an IPv4 address or prefix"
                        + " (such as 192.0.2.1 or 192.0.2.0/24), got a list",
                "hairpin.yaml:7:19: nat.one-to-one[1].interface: expected a string, got a list",
                "hairpin.yaml:7:36: nat.one-to-one[1].external: '203.0.113.20/33' is not an IPv4 address or"
                        + " prefix (such as 192.0.2.1 or 192.0.2.0/24)");
    }

    @Test
    void misalignedSubnets() {
        assertErrors("""
          one-to-one:
            - interface: wan
              external: 203.0.113.65/30
              internal: 192.168.1.70/30
        """,
                "hairpin.yaml:7:17: nat.one-to-one[0].external: 203.0.113.65/30 is misaligned"
                        + " (host bits are set); did you mean 203.0.113.64/30?",
                "hairpin.yaml:8:17: nat.one-to-one[0].internal: 192.168.1.70/30 is misaligned"
                        + " (host bits are set); did you mean 192.168.1.68/30?");
    }

    @Test
    void unequalSubnetSizes() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/29}
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20/31}
        """,
                "hairpin.yaml:6:61: nat.one-to-one[0].internal: 192.168.1.64/29 has 8 addresses but external"
                        + " 203.0.113.64/30 has 4 addresses; 1:1 subnets must be the same size",
                "hairpin.yaml:7:58: nat.one-to-one[1].internal: 192.168.1.20/31 has 2 addresses but external"
                        + " 203.0.113.20 has 1 address; 1:1 subnets must be the same size");
    }

    @Test
    void noBinatWithAnExternalAddress() {
        assertErrors("""
          one-to-one:
            - {interface: wan, no-binat: true, external: 203.0.113.66, internal: 192.168.1.66}
        """,
                "hairpin.yaml:6:40: nat.one-to-one[0].external: a no-binat rule has no external address"
                        + " (it only keeps its internal addresses out of the 1:1 rules after it);"
                        + " remove external or no-binat");
    }

    @Test
    void booleansOfAOneToOneRule() {
        assertErrors("""
          one-to-one:
            - {interface: wan, no-binat: yes, internal: 192.168.1.66}
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, proxy-arp: off, disabled: 1}
        """,
                "hairpin.yaml:6:34: nat.one-to-one[0].no-binat: expected true or false, got 'yes'",
                "hairpin.yaml:7:83: nat.one-to-one[1].proxy-arp: expected true or false, got 'off'",
                "hairpin.yaml:7:98: nat.one-to-one[1].disabled: expected true or false, got '1'");
    }

    @Test
    void reflectionSettingsOfARule() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, reflection: on, reflection-source: pure-nat}
        """,
                "hairpin.yaml:6:84: nat.one-to-one[0].reflection: expected 'default', 'enable' or 'disable',"
                        + " got 'on'",
                "hairpin.yaml:6:107: nat.one-to-one[0].reflection-source: expected 'mapped' or 'interface',"
                        + " got 'pure-nat'");
    }

    @Test
    void destinationThatIsNotAPrefix() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, destination: "!10.0.0"}
            - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, destination: 10.0.0.1/8}
            - {interface: wan, external: 203.0.113.22, internal: 192.168.1.22, destination: "!10.0.0.1/8"}
        """,
                "hairpin.yaml:6:85: nat.one-to-one[0].destination: '!10.0.0' is not an IPv4 address or prefix,"
                        + " optionally preceded by '!' to invert (such as 10.0.0.0/8 or \"!10.0.0.0/8\")",
                "hairpin.yaml:7:85: nat.one-to-one[1].destination: 10.0.0.1/8 is not a network address"
                        + " (host bits are set); did you mean 10.0.0.0/8?",
                "hairpin.yaml:8:85: nat.one-to-one[2].destination: !10.0.0.1/8 is not a network address"
                        + " (host bits are set); did you mean !10.0.0.0/8?");
    }

    @Test
    void unquotedInvertedDestinationIsAYamlTag() {
        assertErrors("""
          one-to-one:
            - interface: wan
              external: 203.0.113.20
              internal: 192.168.1.20
              destination: !10.0.0.0/8
        """,
                "hairpin.yaml:9:20: nat.one-to-one[0].destination: YAML reads the unquoted !10.0.0.0/8 as a"
                        + " tag; put it in quotes: \"!10.0.0.0/8\"");
    }

    @Test
    void inboundNeitherAnyNorAList() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, inbound: tcp/80}
            - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, inbound: {tcp: 80}}
        """,
                "hairpin.yaml:6:81: nat.one-to-one[0].inbound: expected 'any' or a list such as [tcp/80,"
                        + " udp/5000-5010, icmp], got 'tcp/80'",
                "hairpin.yaml:7:81: nat.one-to-one[1].inbound: expected 'any' or a list such as [tcp/80,"
                        + " udp/5000-5010, icmp], got a mapping");
    }

    @Test
    void inboundEntries() {
        assertErrors("""
          one-to-one:
            - interface: wan
              external: 203.0.113.20
              internal: 192.168.1.20
              inbound: [sctp/80, icmp/8, tcp/0, udp/65536, tcp/90-80, tcp/http, [udp], tcp/443]
        """,
                "hairpin.yaml:9:17: nat.one-to-one[0].inbound[0]: unknown protocol 'sctp' (expected tcp, udp,"
                        + " icmp, gre, esp, ah, any, with /port or /low-high for tcp and udp)",
                "hairpin.yaml:9:26: nat.one-to-one[0].inbound[1]: icmp has no ports; write just 'icmp'",
                "hairpin.yaml:9:34: nat.one-to-one[0].inbound[2]: port must be between 1 and 65535, got 0",
                "hairpin.yaml:9:41: nat.one-to-one[0].inbound[3]: port must be between 1 and 65535, got 65536",
                "hairpin.yaml:9:52: nat.one-to-one[0].inbound[4]: port range 90-80 is reversed;"
                        + " write the low port first",
                "hairpin.yaml:9:63: nat.one-to-one[0].inbound[5]: expected tcp/port or tcp/low-high"
                        + " (such as tcp/443), got 'tcp/http'",
                "hairpin.yaml:9:73: nat.one-to-one[0].inbound[6]: expected a string, got a list");
    }

    @Test
    void descriptionMustBeText() {
        assertErrors("""
          one-to-one:
            - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: [web, mail]}
        """,
                "hairpin.yaml:6:85: nat.one-to-one[0].description: expected a string, got a list");
    }

    // --- port forwards ---

    @Test
    void unknownPortForwardKey() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: tcp, external: "203.0.113.1:80", internal: "192.168.1.20:80", proxy-arp: true}
        """,
                "hairpin.yaml:6:96: unknown key 'proxy-arp' in nat.port-forwards[0]"
                        + " (expected one of: interface, protocol, external, internal, source, reflection,"
                        + " reflection-source, description, disabled)");
    }

    @Test
    void portForwardMissingKeys() {
        assertErrors("""
          port-forwards:
            - {interface: wan}
        """,
                "hairpin.yaml:6:7: missing required key 'protocol' in nat.port-forwards[0]",
                "hairpin.yaml:6:7: missing required key 'external' in nat.port-forwards[0]",
                "hairpin.yaml:6:7: missing required key 'internal' in nat.port-forwards[0]");
    }

    @Test
    void portForwardProtocol() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: icmp, external: "203.0.113.1:80", internal: "192.168.1.20:80"}
        """,
                "hairpin.yaml:6:34: nat.port-forwards[0].protocol: expected 'tcp', 'udp' or 'tcp/udp',"
                        + " got 'icmp'");
    }

    @Test
    void portForwardEndpointsNeedAddressAndPort() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: tcp, external: 203.0.113.1, internal: "192.168.1:80"}
            - {interface: wan, protocol: udp, external: "203.0.113.1:dns", internal: "192.168.1.53:53-"}
        """,
                "hairpin.yaml:6:49: nat.port-forwards[0].external: expected address:port or address:low-high"
                        + " (such as 203.0.113.1:8080 or 203.0.113.1:5000-5010), got '203.0.113.1'",
                "hairpin.yaml:6:72: nat.port-forwards[0].internal: expected address:port or address:low-high"
                        + " (such as 203.0.113.1:8080 or 203.0.113.1:5000-5010), got '192.168.1:80'",
                "hairpin.yaml:7:49: nat.port-forwards[1].external: expected address:port or address:low-high"
                        + " (such as 203.0.113.1:8080 or 203.0.113.1:5000-5010), got '203.0.113.1:dns'",
                "hairpin.yaml:7:78: nat.port-forwards[1].internal: expected address:port or address:low-high"
                        + " (such as 203.0.113.1:8080 or 203.0.113.1:5000-5010), got '192.168.1.53:53-'");
    }

    @Test
    void portZeroAndPortsAbove65535() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: tcp, external: "203.0.113.1:0", internal: "192.168.1.20:80"}
            - {interface: wan, protocol: tcp, external: "203.0.113.1:8000-8001", internal: "192.168.1.20:65535-65536"}
        """,
                "hairpin.yaml:6:49: nat.port-forwards[0].external: port must be between 1 and 65535, got 0",
                "hairpin.yaml:7:84: nat.port-forwards[1].internal: port must be between 1 and 65535, got 65536");
    }

    @Test
    void reversedPortRange() {
        assertErrors("""
          port-forwards:
            - {interface: wan, protocol: udp, external: "203.0.113.1:5010-5000", internal: "192.168.1.20:5000-5010"}
        """,
                "hairpin.yaml:6:49: nat.port-forwards[0].external: port range 5010-5000 is reversed;"
                        + " write the low port first");
    }

    @Test
    void portRangesOfDifferentLengths() {
        assertErrors("""
          port-forwards:
            - interface: wan
              protocol: tcp
              external: "203.0.113.1:8080-8089"
              internal: "192.168.1.20:80"
            - interface: wan
              protocol: tcp/udp
              external: "203.0.113.1:5000-5010"
              internal: "192.168.1.21:6000-6009"
        """,
                "hairpin.yaml:9:17: nat.port-forwards[0].internal: 1 internal port (80) for 10 external ports"
                        + " (8080-8089); a range is forwarded port for port, so both must be the same length",
                "hairpin.yaml:13:17: nat.port-forwards[1].internal: 10 internal ports"
                        + " (6000-6009) for 11 external ports (5000-5010); a range is forwarded port for port,"
                        + " so both must be the same length");
    }

    @Test
    void portForwardSourceAndOptions() {
        assertErrors("""
          port-forwards:
            - interface: wan
              protocol: tcp
              external: "203.0.113.1:22"
              internal: "192.168.1.20:22"
              source: 198.51.100.7/24
              reflection: maybe
              disabled: no
        """,
                "hairpin.yaml:10:15: nat.port-forwards[0].source: 198.51.100.7/24 is not a network address"
                        + " (host bits are set); did you mean 198.51.100.0/24?",
                "hairpin.yaml:11:19: nat.port-forwards[0].reflection: expected 'default',"
                        + " 'enable' or 'disable', got 'maybe'",
                "hairpin.yaml:12:17: nat.port-forwards[0].disabled: expected true or false, got 'no'");
    }

    // --- outbound NAT ---

    @Test
    void unknownOutboundKey() {
        assertErrors("""
          outbound:
            - {interface: wan, source: 192.168.1.0/24, pool: 203.0.113.32/29}
        """,
                "hairpin.yaml:6:48: unknown key 'pool' in nat.outbound[0] (expected one of: interface, source,"
                        + " translation, static-port, description, disabled)");
    }

    @Test
    void outboundMissingKeysAndBadSource() {
        assertErrors("""
          outbound:
            - {translation: interface}
            - {interface: wan, source: 192.168.1.1/24, static-port: maybe}
            - {interface: wan, source: 192.168.1}
        """,
                "hairpin.yaml:6:7: missing required key 'interface' in nat.outbound[0]",
                "hairpin.yaml:6:7: missing required key 'source' in nat.outbound[0]",
                "hairpin.yaml:7:32: nat.outbound[1].source: 192.168.1.1/24 is not a network address"
                        + " (host bits are set); did you mean 192.168.1.0/24?",
                "hairpin.yaml:7:61: nat.outbound[1].static-port: expected true or false, got 'maybe'",
                "hairpin.yaml:8:32: nat.outbound[2].source: '192.168.1' is not an IPv4 address or prefix"
                        + " (such as 192.0.2.1 or 192.0.2.0/24)");
    }

    @Test
    void translationThatIsNoneOfTheForms() {
        assertErrors("""
          outbound:
            - {interface: wan, source: 192.168.1.0/24, translation: wan-address}
            - {interface: wan, source: 192.168.2.0/24, translation: {pool: 203.0.113.32/29}}
            - {interface: wan, source: 192.168.3.0/24, translation: 203.0.113.32/33}
        """,
                "hairpin.yaml:6:61: nat.outbound[0].translation: expected 'interface', an IPv4 address,"
                        + " a pool prefix such as 203.0.113.32/29 or a list of addresses, got 'wan-address'",
                "hairpin.yaml:7:61: nat.outbound[1].translation: expected 'interface', an IPv4 address,"
                        + " a pool prefix such as 203.0.113.32/29 or a list of addresses, got a mapping",
                "hairpin.yaml:8:61: nat.outbound[2].translation: expected 'interface', an IPv4 address,"
                        + " a pool prefix such as 203.0.113.32/29 or a list of addresses, got '203.0.113.32/33'");
    }

    @Test
    void translationPoolMisalignedOrTooLarge() {
        assertErrors("""
          outbound:
            - {interface: wan, source: 192.168.1.0/24, translation: 203.0.113.33/29}
            - {interface: wan, source: 192.168.2.0/24, translation: 198.0.0.0/15}
        """,
                "hairpin.yaml:6:61: nat.outbound[0].translation: 203.0.113.33/29 is misaligned"
                        + " (host bits are set); did you mean 203.0.113.32/29?",
                "hairpin.yaml:7:61: nat.outbound[1].translation: a pool of 131072 addresses is too large;"
                        + " the largest pool is a /16 (65536 addresses)");
    }

    @Test
    void translationLists() {
        assertErrors("""
          outbound:
            - {interface: wan, source: 192.168.1.0/24, translation: []}
            - interface: wan
              source: 192.168.2.0/24
              translation:
                - 203.0.113.40
                - 203.0.113.41/32
                - 203.0.113.40
        """,
                "hairpin.yaml:6:61: nat.outbound[0].translation: at least one address is required"
                        + " (or write 'interface')",
                "hairpin.yaml:11:11: nat.outbound[1].translation[1]: '203.0.113.41/32' is not an IPv4 address"
                        + " (expected four numbers 0-255 separated by dots, such as 192.0.2.1)",
                "hairpin.yaml:12:11: nat.outbound[1].translation[2]: 203.0.113.40 is listed twice");
    }
}
