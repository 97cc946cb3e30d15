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
     * mac 0 = the device's own address, otherwise the address the device is given at start;
     * kernelRate = the packets a second each worker hands the interface's kernel side (the
     * exception path), more being dropped as {@code kernel_policed}.
     */
    public record Interface(String name, boolean external, String device, int vlan, List<Address> addresses, int gateway,
                            int mtu, boolean antiSpoofing, long mac, int kernelRate) {
        /**
         * A packet written to a TAP costs the worker's core the kernel's work on it, 2.5 µs for
         * UDP to a closed port and 3.3 for a TCP ACK here (perf/tapcost.sh; the worker forwards
         * 80 to 100 packets in that time), so 300 000 to 400 000 packets a second to the
         * appliance's own address would otherwise stop its forwarding. Enough for management
         * (ssh, myip, a routing daemon), not for bulk transfers to the appliance itself.
         */
        public static final int DEFAULT_KERNEL_RATE = 10_000;
        public static final int MAX_KERNEL_RATE = 10_000_000;

        public Interface {
            addresses = List.copyOf(addresses);
            if (kernelRate < 1 || kernelRate > MAX_KERNEL_RATE) {
                throw new IllegalArgumentException("kernelRate 1.." + MAX_KERNEL_RATE + ": " + kernelRate);
            }
        }

        public Interface(String name, boolean external, String device, int vlan, List<Address> addresses, int gateway,
                         int mtu, boolean antiSpoofing, long mac) {
            this(name, external, device, vlan, addresses, gateway, mtu, antiSpoofing, mac, DEFAULT_KERNEL_RATE);
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
