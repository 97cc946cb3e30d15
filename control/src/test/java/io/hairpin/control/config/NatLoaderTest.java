package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hairpin.control.config.NatSettings.AddressMatch;
import io.hairpin.control.config.NatSettings.Filtering;
import io.hairpin.control.config.NatSettings.InboundAllow;
import io.hairpin.control.config.NatSettings.PortProtocol;
import io.hairpin.control.config.NatSettings.PortRange;
import io.hairpin.control.config.NatSettings.Reflection;
import io.hairpin.control.config.NatSettings.ReflectionSource;
import io.hairpin.control.config.NatSettings.Timeouts;
import io.hairpin.control.config.OutboundRule.Translation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code nat} sections that load: every key, block and flow style, the defaults and the spec's examples. */
final class NatLoaderTest {

    private static final String FILE = "hairpin.yaml";

    /** Every NAT key, most of them away from their defaults. */
    static final String FULL_BLOCK = """
            interfaces:
              - name: wan
                role: external
                device: net_tap0
                addresses: [203.0.113.1/24]
                gateway: 203.0.113.254
              - name: lan
                role: internal
                device: net_tap1
                addresses: [192.168.1.1/24]
            nat:
              reflection: disable
              reflection-source: interface
              filtering: address-and-port-dependent
              timeouts: {udp: 600, tcp-established: 86400, tcp-transitory: 300, icmp: 120}
              max-sessions: 200000
              max-sessions-per-host: 5000
              one-to-one:
                - interface: wan
                  external: 203.0.113.20
                  internal: 192.168.1.20
                  description: web
                  destination: "!10.0.0.0/8"
                  reflection: enable
                  reflection-source: mapped
                  proxy-arp: false
                  inbound: [tcp/80, tcp/443, udp/5000-5010, icmp, udp]
                - interface: wan
                  external: 203.0.113.64/30
                  internal: 192.168.1.64/30
                  inbound: []
                - interface: wan
                  no-binat: true
                  internal: 192.168.1.66
                  destination: 198.51.100.0/24
                - {interface: wan, external: 203.0.113.30, internal: 192.168.1.30, disabled: true}
              port-forwards:
                - interface: wan
                  protocol: tcp
                  external: "203.0.113.1:8080"
                  internal: "192.168.1.20:80"
                - interface: wan
                  protocol: tcp/udp
                  external: 203.0.113.1:5000-5010
                  internal: 192.168.1.21:6000-6010
                  source: "!198.51.100.0/24"
                  reflection: disable
                  reflection-source: interface
                  description: games
                  disabled: false
                - {interface: wan, protocol: udp, external: "203.0.113.2:53", internal: "192.168.1.53:53", disabled: true}
              outbound:
                - interface: wan
                  source: 192.168.1.0/24
                  translation: interface
                - interface: wan
                  source: 192.168.2.0/24
                  translation: 203.0.113.32/29
                  static-port: true
                  description: pool
                - {interface: wan, source: 10.20.0.0/16, translation: [203.0.113.40, 203.0.113.41]}
                - {interface: wan, source: 192.168.1.77, translation: 203.0.113.50}
                - {interface: lan, source: 192.168.3.0/24}
            """;

    /** FULL_BLOCK's nat section in flow style. */
    static final String FULL_FLOW = """
            interfaces:
              - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], gateway: 203.0.113.254}
              - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24]}
            nat: {reflection: disable, reflection-source: interface, filtering: address-and-port-dependent,
              timeouts: {udp: 600, tcp-established: 86400, tcp-transitory: 300, icmp: 120},
              max-sessions: 200000, max-sessions-per-host: 5000,
              one-to-one: [
                {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: web,
                 destination: "!10.0.0.0/8", reflection: enable, reflection-source: mapped, proxy-arp: false,
                 inbound: [tcp/80, tcp/443, udp/5000-5010, icmp, udp]},
                {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30, inbound: []},
                {interface: wan, no-binat: true, internal: 192.168.1.66, destination: 198.51.100.0/24},
                {interface: wan, external: 203.0.113.30, internal: 192.168.1.30, disabled: true}],
              port-forwards: [
                {interface: wan, protocol: tcp, external: "203.0.113.1:8080", internal: "192.168.1.20:80"},
                {interface: wan, protocol: tcp/udp, external: 203.0.113.1:5000-5010, internal: 192.168.1.21:6000-6010,
                 source: "!198.51.100.0/24", reflection: disable, reflection-source: interface, description: games,
                 disabled: false},
                {interface: wan, protocol: udp, external: "203.0.113.2:53", internal: "192.168.1.53:53", disabled: true}],
              outbound: [
                {interface: wan, source: 192.168.1.0/24, translation: interface},
                {interface: wan, source: 192.168.2.0/24, translation: 203.0.113.32/29, static-port: true, description: pool},
                {interface: wan, source: 10.20.0.0/16, translation: [203.0.113.40, 203.0.113.41]},
                {interface: wan, source: 192.168.1.77, translation: 203.0.113.50},
                {interface: lan, source: 192.168.3.0/24}]}
            """;

    private static SourceLocation at(int line, int column) {
        return new SourceLocation(FILE, line, column);
    }

    private static int ip(String text) {
        return Ipv4.parse(text);
    }

    private static Cidr cidr(String text) {
        return text.contains("/") ? Cidr.parse(text) : new Cidr(ip(text), 32);
    }

    private static AddressMatch match(String text) {
        return text.startsWith("!") ? new AddressMatch(cidr(text.substring(1)), true) : new AddressMatch(cidr(text), false);
    }

    /** FULL_BLOCK's nat section as records, with the positions a reader of that text block would point at. */
    static NatSettings expectedFullBlock() {
        List<OneToOneRule> oneToOne = List.of(
                new OneToOneRule("wan", cidr("203.0.113.20"), cidr("192.168.1.20"), false, match("!10.0.0.0/8"),
                        Reflection.ENABLE, ReflectionSource.MAPPED, false,
                        List.of(new InboundAllow(6, new PortRange(80, 80)), new InboundAllow(6, new PortRange(443, 443)),
                                new InboundAllow(17, new PortRange(5000, 5010)), new InboundAllow(1, InboundAllow.ALL_PORTS),
                                new InboundAllow(17, InboundAllow.ALL_PORTS)),
                        "web", false, at(19, 7), new OneToOneRule.Locations(at(19, 18), at(20, 17), at(21, 17))),
                new OneToOneRule("wan", cidr("203.0.113.64/30"), cidr("192.168.1.64/30"), false, null,
                        Reflection.DEFAULT, null, true, List.of(), null, false,
                        at(28, 7), new OneToOneRule.Locations(at(28, 18), at(29, 17), at(30, 17))),
                new OneToOneRule("wan", null, cidr("192.168.1.66"), true, match("198.51.100.0/24"),
                        Reflection.DEFAULT, null, true, null, null, false,
                        at(32, 7), new OneToOneRule.Locations(at(32, 18), at(32, 7), at(34, 17))),
                new OneToOneRule("wan", cidr("203.0.113.30"), cidr("192.168.1.30"), false, null,
                        Reflection.DEFAULT, null, true, null, null, true,
                        at(36, 7), new OneToOneRule.Locations(at(36, 19), at(36, 34), at(36, 58))));
        List<PortForwardRule> portForwards = List.of(
                new PortForwardRule("wan", PortProtocol.TCP, ip("203.0.113.1"), new PortRange(8080, 8080),
                        ip("192.168.1.20"), new PortRange(80, 80), null, Reflection.DEFAULT, null, null, false,
                        at(38, 7), new PortForwardRule.Locations(at(38, 18), at(40, 17), at(41, 17))),
                new PortForwardRule("wan", PortProtocol.TCP_UDP, ip("203.0.113.1"), new PortRange(5000, 5010),
                        ip("192.168.1.21"), new PortRange(6000, 6010), match("!198.51.100.0/24"), Reflection.DISABLE,
                        ReflectionSource.INTERFACE, "games", false,
                        at(42, 7), new PortForwardRule.Locations(at(42, 18), at(44, 17), at(45, 17))),
                new PortForwardRule("wan", PortProtocol.UDP, ip("203.0.113.2"), new PortRange(53, 53),
                        ip("192.168.1.53"), new PortRange(53, 53), null, Reflection.DEFAULT, null, null, true,
                        at(51, 7), new PortForwardRule.Locations(at(51, 19), at(51, 49), at(51, 77))));
        List<OutboundRule> outbound = List.of(
                new OutboundRule("wan", cidr("192.168.1.0/24"), new Translation.InterfaceAddress(), false, null, false,
                        at(53, 7), new OutboundRule.Locations(at(53, 18), at(54, 15), at(55, 20), List.of())),
                new OutboundRule("wan", cidr("192.168.2.0/24"), new Translation.Pool(cidr("203.0.113.32/29")), true, "pool",
                        false, at(56, 7), new OutboundRule.Locations(at(56, 18), at(57, 15), at(58, 20), List.of())),
                new OutboundRule("wan", cidr("10.20.0.0/16"),
                        new Translation.Addresses(List.of(ip("203.0.113.40"), ip("203.0.113.41"))), false, null, false,
                        at(61, 7), new OutboundRule.Locations(at(61, 19), at(61, 32), at(61, 59),
                                List.of(at(61, 60), at(61, 74)))),
                new OutboundRule("wan", cidr("192.168.1.77"), new Translation.Address(ip("203.0.113.50")), false, null, false,
                        at(62, 7), new OutboundRule.Locations(at(62, 19), at(62, 32), at(62, 59), List.of())),
                new OutboundRule("lan", cidr("192.168.3.0/24"), new Translation.InterfaceAddress(), false, null, false,
                        at(63, 7), new OutboundRule.Locations(at(63, 19), at(63, 32), at(63, 7), List.of())));
        return new NatSettings(false, ReflectionSource.INTERFACE, Filtering.ADDRESS_AND_PORT_DEPENDENT,
                new Timeouts(600, 86400, 300, 120), 200_000, 5_000, oneToOne, portForwards, outbound);
    }

    @Test
    void blockStyleLoadsToTheExpectedRecordsAndPositions() {
        LoadedConfig loaded = ConfigLoader.parseAndValidate(FULL_BLOCK, FILE);
        assertEquals(List.of(), loaded.warnings());
        assertEquals(expectedFullBlock(), loaded.config().nat());
    }

    @Test
    void flowStyleLoadsToTheSameRules() {
        LoadedConfig loaded = ConfigLoader.parseAndValidate(FULL_FLOW, FILE);
        assertEquals(List.of(), loaded.warnings());
        assertEquals(ConfigLoaderTest.withoutLocations(ConfigLoader.parse(FULL_BLOCK, FILE)).nat(),
                ConfigLoaderTest.withoutLocations(loaded.config()).nat());
        // Positions inside flow collections are exact too.
        assertEquals(at(16, 5), loaded.config().nat().portForwards().get(1).location());
        assertEquals(new OutboundRule.Locations(at(23, 17), at(23, 30), at(23, 57), List.of(at(23, 58), at(23, 72))),
                loaded.config().nat().outbound().get(2).locations());
    }

    @Test
    void theSpecExampleLoadsAndValidatesCleanly() {
        String yaml = """
                workers: 1                       # poll-mode worker cores
                eal: [--no-pci]                  # extra DPDK EAL arguments
                interfaces:
                  - name: wan
                    role: external
                    device: net_af_packet0,iface=r-wan     # vdev string or PCI address
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.254
                  - name: lan
                    role: internal
                    device: net_af_packet1,iface=r-lan
                    addresses: [192.168.1.1/24]
                routes: [{prefix: 10.20.0.0/16, via: 192.168.1.254}]
                nat:
                  reflection: enable             # enable | disable
                  reflection-source: mapped      # mapped | interface
                  filtering: address-dependent   # endpoint-independent | address-dependent | address-and-port-dependent
                  timeouts: {udp: 300, tcp-established: 7440, tcp-transitory: 240, icmp: 60}
                  max-sessions: 1000000
                  one-to-one:
                    - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: web}
                    - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30}
                    - {interface: wan, no-binat: true, internal: 192.168.1.66}
                  port-forwards:
                    - {interface: wan, protocol: tcp, external: "203.0.113.1:8080", internal: "192.168.1.20:80"}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24, translation: interface}
                control:
                  socket: /run/hairpin/control.sock
                  myip: 192.168.1.1:80
                  metrics: 127.0.0.1:9100
                """;
        LoadedConfig loaded = ConfigLoader.parseAndValidate(yaml, FILE);
        assertEquals(List.of(), loaded.warnings());
        NatSettings nat = loaded.config().nat();
        // Every global setting the example spells out is also the default.
        assertEquals(NatSettings.defaults(), new NatSettings(nat.reflection(), nat.reflectionSource(), nat.filtering(),
                nat.timeouts(), nat.maxSessions(), nat.maxSessionsPerHost(), List.of(), List.of(), List.of()));
        assertEquals(new OneToOneRule("wan", cidr("203.0.113.20"), cidr("192.168.1.20"), false, null, Reflection.DEFAULT,
                null, true, null, "web", false, at(21, 7), new OneToOneRule.Locations(at(21, 19), at(21, 34), at(21, 58))),
                nat.oneToOne().get(0));
        assertEquals(List.of(cidr("192.168.1.64/30"), cidr("192.168.1.66")),
                nat.oneToOne().subList(1, 3).stream().map(OneToOneRule::internal).toList());
        assertEquals(true, nat.oneToOne().get(2).noBinat());
        PortForwardRule forward = nat.portForwards().getFirst();
        assertEquals(List.of(ip("203.0.113.1"), 8080, 8080, ip("192.168.1.20"), 80), List.of(forward.external(),
                forward.externalPorts().low(), forward.externalPorts().high(), forward.internal(), forward.internalPorts().low()));
        assertEquals(new Translation.InterfaceAddress(), nat.outbound().getFirst().translation());
        assertEquals(cidr("192.168.1.0/24"), nat.outbound().getFirst().source());
    }

    /** Interfaces for the spec's §2 examples: the public side in 198.51.100.0/24, the servers in 10.3.1.0/24. */
    private static final String SPEC_EXAMPLE_INTERFACES = """
            interfaces:
              - {name: wan, role: external, device: net_tap0, addresses: [198.51.100.1/24], gateway: 198.51.100.254}
              - {name: lan, role: internal, device: net_tap1, addresses: [10.3.1.1/24]}
            """;

    @Test
    void theSpecsOneToOneExamplesLoad() {
        LoadedConfig loaded = ConfigLoader.parseAndValidate(SPEC_EXAMPLE_INTERFACES + """
                nat:
                  one-to-one:
                    - {interface: wan, external: 198.51.100.210, internal: 10.3.1.15}
                    - {interface: wan, external: 198.51.100.64/30, internal: 10.3.1.64/30}
                """, FILE);
        assertEquals(List.of(), loaded.warnings());
        List<OneToOneRule> rules = loaded.config().nat().oneToOne();
        assertEquals(List.of(cidr("198.51.100.210"), cidr("198.51.100.64/30")), rules.stream().map(OneToOneRule::external).toList());
        assertEquals(List.of(cidr("10.3.1.15"), cidr("10.3.1.64/30")), rules.stream().map(OneToOneRule::internal).toList());

        // Host bits are kept: .64 -> .200, .65 -> .201 ...
        loaded = ConfigLoader.parseAndValidate(SPEC_EXAMPLE_INTERFACES + """
                nat:
                  one-to-one:
                    - {interface: wan, external: 198.51.100.64/30, internal: 10.3.1.200/30}
                """, FILE);
        assertEquals(List.of(), loaded.warnings());
        assertEquals(cidr("10.3.1.200/30"), loaded.config().nat().oneToOne().getFirst().internal());
    }

    @Test
    void theSpecsTwoMappingsOfOneSubnetCannotBothBeEnabled() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parseAndValidate(SPEC_EXAMPLE_INTERFACES + """
                nat:
                  one-to-one:
                    - {interface: wan, external: 198.51.100.64/30, internal: 10.3.1.64/30}
                    - {interface: wan, external: 198.51.100.64/30, internal: 10.3.1.200/30}
                """, FILE));
        assertEquals("hairpin.yaml:7:34: nat.one-to-one[1].external: several internal addresses on one external address:"
                + " 198.51.100.64/30 already maps to 10.3.1.64/30 by nat.one-to-one[0] (line 6), so it cannot also map to"
                + " 10.3.1.200/30", e.getMessage());

        // With one of them disabled the other applies.
        ConfigLoader.parseAndValidate(SPEC_EXAMPLE_INTERFACES + """
                nat:
                  one-to-one:
                    - {interface: wan, external: 198.51.100.64/30, internal: 10.3.1.64/30, disabled: true}
                    - {interface: wan, external: 198.51.100.64/30, internal: 10.3.1.200/30}
                """, FILE);
    }

    @Test
    void anAbsentOrEmptyNatSectionMeansTheDefaults() {
        String interfaces = """
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """;
        assertEquals(NatSettings.defaults(), ConfigLoader.parse(interfaces, FILE).nat());
        assertEquals(NatSettings.defaults(), ConfigLoader.parse(interfaces + "nat:\n", FILE).nat());
        assertEquals(NatSettings.defaults(), ConfigLoader.parse(interfaces + "nat: {}\n", FILE).nat());
        assertEquals(NatSettings.defaults(), ConfigLoader.parse(interfaces + """
                nat:
                  timeouts: {}
                  one-to-one: []
                  port-forwards:
                  outbound:
                    # - {interface: wan, source: 192.168.1.0/24}
                """, FILE).nat());
        NatSettings defaults = NatSettings.defaults();
        assertEquals(true, defaults.reflection());
        assertEquals(ReflectionSource.MAPPED, defaults.reflectionSource());
        assertEquals(Filtering.ADDRESS_DEPENDENT, defaults.filtering());
        assertEquals(new Timeouts(300, 7440, 240, 60), defaults.timeouts());
        assertEquals(1_000_000, defaults.maxSessions());
        assertEquals(0, defaults.maxSessionsPerHost());
    }

    @Test
    void timeoutsMayBeSetOneByOneDownToTheRfcMinimumsAndUpToAWeek() {
        HairpinConfig config = ConfigLoader.parse("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                nat:
                  timeouts: {udp: 120, icmp: 604800}
                """, FILE);
        assertEquals(new Timeouts(120, 7440, 240, 604800), config.nat().timeouts());
        config = ConfigLoader.parse("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                nat:
                  timeouts: {tcp-established: 7440, tcp-transitory: 240, icmp: 60}
                  max-sessions: 100000000
                  max-sessions-per-host: 100000000
                """, FILE);
        assertEquals(new Timeouts(300, 7440, 240, 60), config.nat().timeouts());
        assertEquals(100_000_000, config.nat().maxSessions());
    }

    @Test
    void inboundFormsAndTheOtherProtocols() {
        List<OneToOneRule> rules = ConfigLoader.parse("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                nat:
                  one-to-one:
                    - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, inbound: any}
                    - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, inbound: [any]}
                    - {interface: wan, external: 203.0.113.22, internal: 192.168.1.22, inbound: [gre, esp, ah, udp/500]}
                    - {interface: wan, external: 203.0.113.23, internal: 192.168.1.23, inbound: []}
                """, FILE).nat().oneToOne();
        assertNull(rules.get(0).inbound());
        assertEquals(List.of(new InboundAllow(0, InboundAllow.ALL_PORTS)), rules.get(1).inbound());
        assertEquals(List.of(new InboundAllow(47, InboundAllow.ALL_PORTS), new InboundAllow(50, InboundAllow.ALL_PORTS),
                new InboundAllow(51, InboundAllow.ALL_PORTS), new InboundAllow(17, new PortRange(500, 500))), rules.get(2).inbound());
        assertEquals(List.of(), rules.get(3).inbound());
        assertEquals("gre esp ah udp/500", String.join(" ", rules.get(2).inbound().stream().map(InboundAllow::toString).toList()));
    }
}
