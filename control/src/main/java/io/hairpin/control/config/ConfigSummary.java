package io.hairpin.control.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The human-readable account of a config that {@code hairpin check} prints. */
public final class ConfigSummary {

    private static final String NONE = "-";

    private ConfigSummary() {}

    /** One line of the routing table as the data plane will use it. */
    private record Route(Cidr prefix, Integer via, String egress, String origin) {}

    // Longest prefix first, as lookups match; ties in address order.
    private static final Comparator<Route> LOOKUP_ORDER = Comparator
            .comparingInt((Route route) -> -route.prefix().prefixLength())
            .thenComparing(route -> route.prefix().network(), Integer::compareUnsigned);

    public static String render(HairpinConfig config) {
        StringBuilder out = new StringBuilder();
        if (config.source() != null) {
            out.append("Config:  ").append(config.source()).append('\n');
        }
        out.append("Workers: ").append(config.workers()).append('\n');
        out.append("EAL:     ").append(config.eal().isEmpty() ? "(none)" : String.join(" ", config.eal())).append('\n');

        out.append("\nInterfaces\n");
        TextTable interfaces = new TextTable("NAME", "ROLE", "DEVICE", "VLAN", "ADDRESSES", "GATEWAY", "MTU", "ANTI-SPOOFING",
                "TO KERNEL");
        for (InterfaceConfig itf : config.interfaces()) {
            interfaces.add(itf.name(), itf.role().configName(), itf.device(),
                    itf.vlan() == InterfaceConfig.UNTAGGED ? NONE : Integer.toString(itf.vlan()),
                    itf.addresses().stream().map(Cidr::toString).collect(Collectors.joining(", ")),
                    itf.hasGateway() ? Ipv4.format(itf.gateway()) : NONE,
                    Integer.toString(itf.mtu()),
                    itf.antiSpoofing() ? "on" : "off",
                    config.exceptionPath() ? itf.exceptionPathRate() + "/s" : NONE);
        }
        interfaces.appendTo(out, "  ");

        out.append("\nRouting table\n");
        TextTable routes = new TextTable("PREFIX", "VIA", "INTERFACE", "ORIGIN");
        for (Route route : routingTable(config)) {
            routes.add(route.prefix().toString(), route.via() == null ? NONE : Ipv4.format(route.via()),
                    route.egress(), route.origin());
        }
        routes.appendTo(out, "  ");

        appendNat(out, config.nat());

        ControlConfig control = config.control();
        out.append("\nControl\n");
        out.append("  socket:  ").append(control.socket()).append('\n');
        out.append("  myip:    ").append(control.myip() == null ? NONE : control.myip()).append('\n');
        out.append("  metrics: ").append(control.metrics() == null ? NONE : control.metrics()).append('\n');
        return out.toString();
    }

    private static List<Route> routingTable(HairpinConfig config) {
        List<Route> table = new ArrayList<>();
        for (InterfaceConfig itf : config.interfaces()) {
            Set<Cidr> connected = new LinkedHashSet<>();
            itf.addresses().forEach(address -> connected.add(address.networkPrefix()));
            connected.forEach(prefix -> table.add(new Route(prefix, null, itf.name(), "connected")));
        }
        for (RouteConfig route : config.routes()) {
            table.add(new Route(route.prefix(), route.via(), egressFor(config, route.via()), "static"));
        }
        for (InterfaceConfig itf : config.interfaces()) {
            if (itf.hasGateway()) {
                table.add(new Route(new Cidr(0, 0), itf.gateway(), itf.name(), "default gateway"));
            }
        }
        table.sort(LOOKUP_ORDER);
        return table;
    }

    /** The interface whose most specific connected prefix holds {@code nextHop}; "?" if none does. */
    private static String egressFor(HairpinConfig config, int nextHop) {
        String egress = "?";
        int bestLength = -1;
        for (InterfaceConfig itf : config.interfaces()) {
            for (Cidr cidr : itf.addresses()) {
                if (cidr.contains(nextHop) && cidr.prefixLength() > bestLength) {
                    egress = itf.name();
                    bestLength = cidr.prefixLength();
                }
            }
        }
        return egress;
    }

    private static void appendNat(StringBuilder out, NatSettings nat) {
        NatSettings.Timeouts timeouts = nat.timeouts();
        out.append("\nNAT\n");
        out.append("  reflection:   ").append(nat.reflection() ? "enable" : "disable")
                .append(" (source: ").append(nat.reflectionSource().configName()).append(")\n");
        out.append("  filtering:    ").append(nat.filtering().configName()).append('\n');
        out.append("  timeouts:     udp ").append(timeouts.udp()).append(" s, tcp-established ").append(timeouts.tcpEstablished())
                .append(" s, tcp-transitory ").append(timeouts.tcpTransitory()).append(" s, icmp ").append(timeouts.icmp())
                .append(" s\n");
        out.append("  max-sessions: ").append(nat.maxSessions()).append(" (per host: ")
                .append(nat.maxSessionsPerHost() == 0 ? "unlimited" : Integer.toString(nat.maxSessionsPerHost())).append(")\n");
        if (!nat.hasRules()) {
            out.append("  rules:        none\n");
            return;
        }
        if (!nat.oneToOne().isEmpty()) {
            out.append("\n  1:1 NAT\n");
            TextTable table = new TextTable("#", "INTERFACE", "EXTERNAL", "INTERNAL", "OPTIONS");
            for (int i = 0; i < nat.oneToOne().size(); i++) {
                OneToOneRule rule = nat.oneToOne().get(i);
                List<String> options = new ArrayList<>();
                description(options, rule.description());
                if (rule.destination() != null) {
                    options.add("destination " + rule.destination());
                }
                reflection(options, rule.reflection(), rule.reflectionSource());
                if (rule.inbound() != null) {
                    options.add("inbound " + (rule.inbound().isEmpty() ? "none"
                            : rule.inbound().stream().map(NatSettings.InboundAllow::toString).collect(Collectors.joining(" "))));
                }
                if (!rule.proxyArp()) {
                    options.add("proxy-arp off");
                }
                disabled(options, rule.disabled());
                table.add(Integer.toString(i + 1), rule.interfaceName(),
                        rule.noBinat() ? "(no-binat)" : NatSettings.formatRange(rule.external()),
                        NatSettings.formatRange(rule.internal()), String.join(", ", options));
            }
            table.appendTo(out, "    ");
        }
        if (!nat.portForwards().isEmpty()) {
            out.append("\n  Port forwards\n");
            TextTable table = new TextTable("#", "INTERFACE", "PROTOCOL", "EXTERNAL", "INTERNAL", "OPTIONS");
            for (int i = 0; i < nat.portForwards().size(); i++) {
                PortForwardRule rule = nat.portForwards().get(i);
                List<String> options = new ArrayList<>();
                description(options, rule.description());
                if (rule.source() != null) {
                    options.add("source " + rule.source());
                }
                reflection(options, rule.reflection(), rule.reflectionSource());
                disabled(options, rule.disabled());
                table.add(Integer.toString(i + 1), rule.interfaceName(), rule.protocol().configName(),
                        Ipv4.format(rule.external()) + ":" + rule.externalPorts(),
                        Ipv4.format(rule.internal()) + ":" + rule.internalPorts(), String.join(", ", options));
            }
            table.appendTo(out, "    ");
        }
        if (!nat.outbound().isEmpty()) {
            out.append("\n  Outbound NAT\n");
            TextTable table = new TextTable("#", "INTERFACE", "SOURCE", "TRANSLATION", "OPTIONS");
            for (int i = 0; i < nat.outbound().size(); i++) {
                OutboundRule rule = nat.outbound().get(i);
                List<String> options = new ArrayList<>();
                description(options, rule.description());
                if (rule.staticPort()) {
                    options.add("static-port");
                }
                disabled(options, rule.disabled());
                table.add(Integer.toString(i + 1), rule.interfaceName(), rule.source().toString(),
                        rule.translation().toString(), String.join(", ", options));
            }
            table.appendTo(out, "    ");
        }
    }

    private static void description(List<String> options, String description) {
        if (description != null) {
            options.add("description \"" + description + "\"");
        }
    }

    private static void reflection(List<String> options, NatSettings.Reflection reflection, NatSettings.ReflectionSource source) {
        if (reflection != NatSettings.Reflection.DEFAULT) {
            options.add("reflection " + reflection.configName());
        }
        if (source != null) {
            options.add("reflection-source " + source.configName());
        }
    }

    private static void disabled(List<String> options, boolean disabled) {
        if (disabled) {
            options.add("(disabled)");
        }
    }
}
