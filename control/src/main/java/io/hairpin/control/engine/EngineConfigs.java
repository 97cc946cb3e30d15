package io.hairpin.control.engine;

import io.hairpin.control.config.Cidr;
import io.hairpin.control.config.HairpinConfig;
import io.hairpin.control.config.InterfaceConfig;
import io.hairpin.control.config.NatSettings;
import io.hairpin.control.config.OneToOneRule;
import io.hairpin.control.config.OutboundRule;
import io.hairpin.control.config.PortForwardRule;
import io.hairpin.control.config.Role;
import io.hairpin.control.config.RouteConfig;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatConfig;
import java.util.List;

/** Maps a validated config onto what the engine runs. */
public final class EngineConfigs {
    private EngineConfigs() {
    }

    public static EngineConfig from(HairpinConfig c) {
        List<EngineConfig.Interface> ifs = c.interfaces().stream().map(EngineConfigs::interfaceOf).toList();
        List<EngineConfig.StaticRoute> routes = c.routes().stream().map(EngineConfigs::routeOf).toList();
        return new EngineConfig(c.workers(), c.eal(), ifs, routes, c.exceptionPath(), natOf(c));
    }

    private static EngineConfig.Interface interfaceOf(InterfaceConfig i) {
        List<EngineConfig.Address> addrs = i.addresses().stream()
                .map((Cidr a) -> new EngineConfig.Address(a.address(), a.prefixLength())).toList();
        return new EngineConfig.Interface(i.name(), i.role() == Role.EXTERNAL, i.device(), i.vlan(), addrs,
                i.gateway() == null ? 0 : i.gateway(), i.mtu(), i.antiSpoofing(), i.mac() == null ? 0 : i.mac(),
                i.exceptionPathRate());
    }

    private static EngineConfig.StaticRoute routeOf(RouteConfig r) {
        return new EngineConfig.StaticRoute(r.prefix().network(), r.prefix().prefixLength(), r.via());
    }

    /** The NAT rules the engine applies: enabled rules only, in list order, interfaces by index. */
    static NatConfig natOf(HairpinConfig c) {
        NatSettings nat = c.nat();
        NatSettings.Timeouts t = nat.timeouts();
        List<NatConfig.OneToOne> oneToOne = nat.oneToOne().stream().filter(OneToOneRule::enabled)
                .map(rule -> oneToOneOf(c, rule)).toList();
        List<NatConfig.PortForward> portForwards = nat.portForwards().stream().filter(PortForwardRule::enabled)
                .map(rule -> portForwardOf(c, rule)).toList();
        List<NatConfig.Outbound> outbound = nat.outbound().stream().filter(OutboundRule::enabled)
                .map(rule -> outboundOf(c, rule)).toList();
        return new NatConfig(nat.reflection(), reflectionSourceOf(nat.reflectionSource()), filteringOf(nat.filtering()),
                new NatConfig.Timeouts(t.udp(), t.tcpEstablished(), t.tcpTransitory(), t.icmp()),
                nat.maxSessions(), nat.maxSessionsPerHost(), oneToOne, portForwards, outbound);
    }

    private static NatConfig.OneToOne oneToOneOf(HairpinConfig c, OneToOneRule rule) {
        List<NatConfig.InboundAllow> inbound = null;
        // An "any" entry allows everything, which the engine spells as no list at all.
        if (rule.inbound() != null && rule.inbound().stream().noneMatch(a -> a.protocol() == NatSettings.InboundAllow.ANY)) {
            inbound = rule.inbound().stream()
                    .map(a -> new NatConfig.InboundAllow(a.protocol(), a.ports().low(), a.ports().high())).toList();
        }
        return new NatConfig.OneToOne(interfaceIndex(c, rule.interfaceName()),
                rule.noBinat() ? 0 : rule.external().network(), rule.internal().network(), rule.internal().prefixLength(),
                rule.noBinat(), destinationOf(rule.destination()), reflectionOf(rule.reflection()),
                rule.reflectionSource() == null ? null : reflectionSourceOf(rule.reflectionSource()),
                rule.proxyArp(), inbound, descriptionOf(rule.description()));
    }

    private static NatConfig.PortForward portForwardOf(HairpinConfig c, PortForwardRule rule) {
        int protocols = (rule.protocol().includesTcp() ? NatConfig.PROTO_TCP : 0)
                | (rule.protocol().includesUdp() ? NatConfig.PROTO_UDP : 0);
        return new NatConfig.PortForward(interfaceIndex(c, rule.interfaceName()), protocols, rule.external(),
                rule.externalPorts().low(), rule.externalPorts().high(), rule.internal(), rule.internalPorts().low(),
                destinationOf(rule.source()), reflectionOf(rule.reflection()),
                rule.reflectionSource() == null ? null : reflectionSourceOf(rule.reflectionSource()),
                descriptionOf(rule.description()));
    }

    private static NatConfig.Outbound outboundOf(HairpinConfig c, OutboundRule rule) {
        int[] pool = rule.translation().addresses().stream().mapToInt(Integer::intValue).toArray();
        return new NatConfig.Outbound(interfaceIndex(c, rule.interfaceName()), rule.source().network(),
                rule.source().prefixLength(), pool, rule.staticPort(), descriptionOf(rule.description()));
    }

    /** The position of the interface in config order; the validator has made sure it exists. */
    private static int interfaceIndex(HairpinConfig c, String name) {
        for (int i = 0; i < c.interfaces().size(); i++) {
            if (c.interfaces().get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no interface named '" + name + "'; validate the config first");
    }

    private static NatConfig.Destination destinationOf(NatSettings.AddressMatch match) {
        return match == null ? NatConfig.Destination.ANY
                : new NatConfig.Destination(match.prefix().network(), match.prefix().prefixLength(), match.invert());
    }

    private static String descriptionOf(String description) {
        return description == null ? "" : description;
    }

    private static NatConfig.Reflection reflectionOf(NatSettings.Reflection reflection) {
        return switch (reflection) {
            case DEFAULT -> NatConfig.Reflection.DEFAULT;
            case ENABLE -> NatConfig.Reflection.ENABLE;
            case DISABLE -> NatConfig.Reflection.DISABLE;
        };
    }

    private static NatConfig.ReflectionSource reflectionSourceOf(NatSettings.ReflectionSource source) {
        return switch (source) {
            case MAPPED -> NatConfig.ReflectionSource.MAPPED;
            case INTERFACE -> NatConfig.ReflectionSource.INTERFACE;
        };
    }

    private static NatConfig.Filtering filteringOf(NatSettings.Filtering filtering) {
        return switch (filtering) {
            case ENDPOINT_INDEPENDENT -> NatConfig.Filtering.ENDPOINT_INDEPENDENT;
            case ADDRESS_DEPENDENT -> NatConfig.Filtering.ADDRESS_DEPENDENT;
            case ADDRESS_AND_PORT_DEPENDENT -> NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT;
        };
    }
}
