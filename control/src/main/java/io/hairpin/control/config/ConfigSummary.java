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
        TextTable interfaces = new TextTable("NAME", "ROLE", "DEVICE", "VLAN", "ADDRESSES", "GATEWAY", "MTU", "ANTI-SPOOFING");
        for (InterfaceConfig itf : config.interfaces()) {
            interfaces.add(itf.name(), itf.role().configName(), itf.device(),
                    itf.vlan() == InterfaceConfig.UNTAGGED ? NONE : Integer.toString(itf.vlan()),
                    itf.addresses().stream().map(Cidr::toString).collect(Collectors.joining(", ")),
                    itf.hasGateway() ? Ipv4.format(itf.gateway()) : NONE,
                    Integer.toString(itf.mtu()),
                    itf.antiSpoofing() ? "on" : "off");
        }
        interfaces.appendTo(out, "  ");

        out.append("\nRouting table\n");
        TextTable routes = new TextTable("PREFIX", "VIA", "INTERFACE", "ORIGIN");
        for (Route route : routingTable(config)) {
            routes.add(route.prefix().toString(), route.via() == null ? NONE : Ipv4.format(route.via()),
                    route.egress(), route.origin());
        }
        routes.appendTo(out, "  ");

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
}
