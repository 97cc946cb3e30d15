package io.hairpin.control.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.Ipv4;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.InboundAllow;
import io.hairpin.engine.nat.NatConfig.OneToOne;
import io.hairpin.engine.nat.NatConfig.Outbound;
import io.hairpin.engine.nat.NatConfig.PortForward;
import io.hairpin.engine.nat.NatConfig.Reflection;
import io.hairpin.engine.nat.NatConfig.ReflectionSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A validated config as the engine gets it: enabled rules only, in list order, interfaces by index. */
final class EngineConfigsTest {

    private static final String FILE = "hairpin.yaml";

    // lan comes first, so wan is interface 1.
    private static final String CONFIG = """
            interfaces:
              - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24]}
              - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], gateway: 203.0.113.254}
            routes: [{prefix: 10.20.0.0/16, via: 192.168.1.254}]
            nat:
              reflection: disable
              reflection-source: interface
              filtering: endpoint-independent
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
                  inbound: [tcp/80, udp/5000-5010, icmp, udp]
                - {interface: wan, external: 203.0.113.30, internal: 192.168.1.30, disabled: true}
                - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.200/30, inbound: []}
                - {interface: wan, no-binat: true, internal: 192.168.1.66, destination: 198.51.100.0/24}
                - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, inbound: [tcp/22, any]}
              port-forwards:
                - {interface: wan, protocol: tcp, external: "203.0.113.1:8080", internal: "192.168.1.20:80"}
                - {interface: wan, protocol: udp, external: "203.0.113.1:53", internal: "192.168.1.53:53", disabled: true}
                - interface: wan
                  protocol: tcp/udp
                  external: "203.0.113.1:5000-5010"
                  internal: "192.168.1.21:6000-6010"
                  source: "!198.51.100.0/24"
                  reflection: disable
                  reflection-source: interface
                  description: games
                - {interface: wan, protocol: udp, external: "203.0.113.1:4500", internal: "192.168.1.22:4500"}
              outbound:
                - {interface: wan, source: 192.168.1.0/24}
                - {interface: wan, source: 192.168.2.0/24, translation: 203.0.113.32/30, static-port: true, description: pool}
                - {interface: wan, source: 10.20.0.0/16, translation: [203.0.113.41, 203.0.113.40]}
                - {interface: wan, source: 192.168.1.77, translation: 203.0.113.50}
                - {interface: lan, source: 192.168.3.0/24, disabled: true}
                - {interface: lan, source: 192.168.4.0/24, translation: 192.168.1.2}
                - {interface: wan, source: 192.168.5.0/24, translation: 203.0.113.60/31}
            """;

    private static int ip(String text) {
        return Ipv4.parse(text);
    }

    private static NatConfig nat() {
        return EngineConfigs.from(ConfigLoader.parseAndValidate(CONFIG, FILE).config()).nat();
    }

    @Test
    void globalSettings() {
        NatConfig nat = nat();
        assertEquals(false, nat.reflection());
        assertEquals(ReflectionSource.INTERFACE, nat.reflectionSource());
        assertEquals(NatConfig.Filtering.ENDPOINT_INDEPENDENT, nat.filtering());
        assertEquals(new NatConfig.Timeouts(600, 86400, 300, 120), nat.timeouts());
        assertEquals(200_000, nat.maxSessions());
        assertEquals(5_000, nat.maxSessionsPerHost());
    }

    @Test
    void oneToOneRulesWithoutTheDisabledOne() {
        assertEquals(List.of(
                new OneToOne(1, ip("203.0.113.20"), ip("192.168.1.20"), 32, false, new Destination(ip("10.0.0.0"), 8, true),
                        Reflection.ENABLE, ReflectionSource.MAPPED, false,
                        List.of(new InboundAllow(6, 80, 80), new InboundAllow(17, 5000, 5010), new InboundAllow(1, 0, 65535),
                                new InboundAllow(17, 0, 65535)),
                        "web"),
                new OneToOne(1, ip("203.0.113.64"), ip("192.168.1.200"), 30, false, Destination.ANY, Reflection.DEFAULT,
                        null, true, List.of(), ""),
                new OneToOne(1, 0, ip("192.168.1.66"), 32, true, new Destination(ip("198.51.100.0"), 24, false),
                        Reflection.DEFAULT, null, true, null, ""),
                // An 'any' entry allows everything: the same as no list.
                new OneToOne(1, ip("203.0.113.21"), ip("192.168.1.21"), 32, false, Destination.ANY, Reflection.DEFAULT,
                        null, true, null, "")),
                nat().oneToOne());
    }

    @Test
    void portForwardsWithProtocolBits() {
        assertEquals(List.of(
                new PortForward(1, NatConfig.PROTO_TCP, ip("203.0.113.1"), 8080, 8080, ip("192.168.1.20"), 80,
                        Destination.ANY, Reflection.DEFAULT, null, ""),
                new PortForward(1, NatConfig.PROTO_TCP | NatConfig.PROTO_UDP, ip("203.0.113.1"), 5000, 5010,
                        ip("192.168.1.21"), 6000, new Destination(ip("198.51.100.0"), 24, true), Reflection.DISABLE,
                        ReflectionSource.INTERFACE, "games"),
                new PortForward(1, NatConfig.PROTO_UDP, ip("203.0.113.1"), 4500, 4500, ip("192.168.1.22"), 4500,
                        Destination.ANY, Reflection.DEFAULT, null, "")),
                nat().portForwards());
    }

    @Test
    void outboundRulesWithTheirPools() {
        List<Outbound> outbound = nat().outbound();
        assertEquals(6, outbound.size());
        assertOutbound(outbound.get(0), 1, "192.168.1.0", 24, new int[0], false, "");
        // A pool prefix is every one of its addresses, network and broadcast included.
        assertOutbound(outbound.get(1), 1, "192.168.2.0", 24,
                new int[] {ip("203.0.113.32"), ip("203.0.113.33"), ip("203.0.113.34"), ip("203.0.113.35")}, true, "pool");
        // A list keeps its order.
        assertOutbound(outbound.get(2), 1, "10.20.0.0", 16, new int[] {ip("203.0.113.41"), ip("203.0.113.40")}, false, "");
        assertOutbound(outbound.get(3), 1, "192.168.1.77", 32, new int[] {ip("203.0.113.50")}, false, "");
        assertOutbound(outbound.get(4), 0, "192.168.4.0", 24, new int[] {ip("192.168.1.2")}, false, "");
        assertOutbound(outbound.get(5), 1, "192.168.5.0", 24, new int[] {ip("203.0.113.60"), ip("203.0.113.61")}, false, "");
    }

    private static void assertOutbound(Outbound rule, int iface, String source, int length, int[] pool, boolean staticPort,
            String description) {
        // Outbound holds an array, so its equals compares identity; compare the parts.
        assertEquals(List.of(iface, ip(source), length, staticPort, description),
                List.of(rule.iface(), rule.sourcePrefix(), rule.sourcePrefixLength(), rule.staticPort(), rule.description()));
        assertArrayEquals(pool, rule.pool());
    }

    @Test
    void interfacesAndRoutesAreMappedAsBefore() {
        EngineConfig engine = EngineConfigs.from(ConfigLoader.parseAndValidate(CONFIG, FILE).config());
        assertEquals(List.of("lan", "wan"), engine.interfaces().stream().map(EngineConfig.Interface::name).toList());
        assertEquals(ip("203.0.113.254"), engine.interfaces().get(1).gateway());
        assertEquals(List.of(new EngineConfig.StaticRoute(ip("10.20.0.0"), 16, ip("192.168.1.254"))), engine.routes());
    }

    @Test
    void aConfigWithoutNatGivesTheEngineNoRules() {
        EngineConfig engine = EngineConfigs.from(ConfigLoader.parseAndValidate("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                """, FILE).config());
        assertEquals(NatConfig.none(), engine.nat());
    }
}
