package io.hairpin.engine;

import java.util.List;

/**
 * What the engine runs, as the control plane hands it over (it knows no YAML). Addresses are
 * IPv4 ints, first octet most significant.
 */
public record EngineConfig(int workers, List<String> eal, List<Interface> interfaces, List<StaticRoute> routes,
                           boolean exceptionPath, io.hairpin.engine.nat.NatConfig nat) {

    public EngineConfig {
        eal = List.copyOf(eal);
        interfaces = List.copyOf(interfaces);
        routes = List.copyOf(routes);
        nat = nat == null ? io.hairpin.engine.nat.NatConfig.none() : nat;
    }

    /** A plain router: no NAT rules. */
    public EngineConfig(int workers, List<String> eal, List<Interface> interfaces, List<StaticRoute> routes,
                        boolean exceptionPath) {
        this(workers, eal, interfaces, routes, exceptionPath, null);
    }

    /**
     * One interface: a DPDK device, or a VLAN on one (vlan 0 = untagged); gateway 0 = none;
     * mac 0 = the device's own address, otherwise the address the device is given at start.
     */
    public record Interface(String name, boolean external, String device, int vlan, List<Address> addresses, int gateway,
                            int mtu, boolean antiSpoofing, long mac) {
        public Interface {
            addresses = List.copyOf(addresses);
        }

        public Interface(String name, boolean external, String device, int vlan, List<Address> addresses, int gateway,
                         int mtu, boolean antiSpoofing) {
            this(name, external, device, vlan, addresses, gateway, mtu, antiSpoofing, 0);
        }
    }

    public record Address(int address, int prefixLength) {
    }

    public record StaticRoute(int prefix, int prefixLength, int via) {
    }
}
