package io.hairpin.engine;

import io.hairpin.engine.route.RouteTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compiled, immutable view of the configuration the workers read: interfaces as parallel
 * primitive arrays indexed by interface number, the (port, VLAN) → interface map, and the route
 * table with the appliance's own addresses as /32 local routes. Published by the control thread,
 * picked up by workers at the top of a loop iteration.
 */
public final class Snapshot {
    public static final int NO_INTERFACE = -1;
    private static final int VLANS = 4096;

    public final long version;
    public final int interfaceCount;
    public final String[] names;
    public final int[] port;
    public final int[] vlan;
    public final long[] mac;
    public final int[] mtu;
    public final boolean[] external;
    public final boolean[] antiSpoofing;
    /** Per interface: the packets a second each worker hands its kernel side. */
    public final int[] kernelRate;
    /** Per interface: its addresses and their prefix lengths. */
    public final int[][] addresses;
    public final int[][] prefixLengths;
    public final RouteTable routes;
    public final io.hairpin.engine.nat.NatRules nat;
    /** The devices, one per engine port, in port order. */
    public final List<String> devices;
    /**
     * Public addresses earlier rule sets used for NAT and this one may not (null when none):
     * sessions created under those rules may still live on worker 0, so with several workers
     * traffic to these addresses is handed to it like traffic to the current NAT addresses.
     */
    public final io.hairpin.engine.route.PrefixMap retiredNat;
    private final int[] interfaceByPortVlan;

    private Snapshot(long version, EngineConfig config, List<String> devices, int[] portOfInterface, long[] portMac,
                     io.hairpin.engine.route.PrefixMap retiredNat, io.hairpin.engine.nat.RuleIds ruleIds) {
        this.version = version;
        this.retiredNat = retiredNat;
        this.devices = List.copyOf(devices);
        List<EngineConfig.Interface> ifs = config.interfaces();
        interfaceCount = ifs.size();
        names = new String[interfaceCount];
        port = portOfInterface.clone();
        vlan = new int[interfaceCount];
        mac = new long[interfaceCount];
        mtu = new int[interfaceCount];
        external = new boolean[interfaceCount];
        antiSpoofing = new boolean[interfaceCount];
        kernelRate = new int[interfaceCount];
        addresses = new int[interfaceCount][];
        prefixLengths = new int[interfaceCount][];
        interfaceByPortVlan = new int[devices.size() * VLANS];
        Arrays.fill(interfaceByPortVlan, NO_INTERFACE);
        List<RouteTable.Route> routeList = new ArrayList<>();
        for (int i = 0; i < interfaceCount; i++) {
            EngineConfig.Interface f = ifs.get(i);
            names[i] = f.name();
            vlan[i] = f.vlan();
            mac[i] = portMac[port[i]];
            mtu[i] = f.mtu();
            external[i] = f.external();
            antiSpoofing[i] = f.antiSpoofing();
            kernelRate[i] = f.kernelRate();
            addresses[i] = f.addresses().stream().mapToInt(EngineConfig.Address::address).toArray();
            prefixLengths[i] = f.addresses().stream().mapToInt(EngineConfig.Address::prefixLength).toArray();
            interfaceByPortVlan[port[i] * VLANS + f.vlan()] = i;
            for (EngineConfig.Address a : f.addresses()) {
                int mask = Ipv4Mask.of(a.prefixLength());
                routeList.add(new RouteTable.Route(a.address() & mask, a.prefixLength(), i, 0, RouteTable.KIND_CONNECTED));
            }
        }
        for (EngineConfig.StaticRoute r : config.routes()) {
            routeList.add(new RouteTable.Route(r.prefix(), r.prefixLength(), connectedInterfaceOf(r.via()), r.via(),
                    RouteTable.KIND_STATIC));
        }
        for (int i = 0; i < interfaceCount; i++) {
            int gw = ifs.get(i).gateway();
            if (gw != 0) {
                routeList.add(new RouteTable.Route(0, 0, i, gw, RouteTable.KIND_STATIC));
            }
        }
        for (int i = 0; i < interfaceCount; i++) {
            for (int a : addresses[i]) {
                routeList.add(new RouteTable.Route(a, 32, i, 0, RouteTable.KIND_LOCAL));
            }
        }
        routes = RouteTable.build(routeList);
        int[] firstAddress = new int[interfaceCount];
        for (int i = 0; i < interfaceCount; i++) {
            firstAddress[i] = addresses[i][0];
        }
        nat = io.hairpin.engine.nat.NatRules.compile(config.nat(), firstAddress, ruleIds);
    }

    /**
     * Compiles a snapshot. Interfaces sharing a device share an engine port.
     *
     * @param macOfDevice the MAC of each distinct device, by device string
     */
    public static Snapshot compile(long version, EngineConfig config, Map<String, Long> macOfDevice) {
        return compile(version, config, macOfDevice, null);
    }

    /**
     * Compiles a snapshot that also names the NAT addresses of earlier rule sets (see
     * {@link #retiredNat}; null = none).
     */
    public static Snapshot compile(long version, EngineConfig config, Map<String, Long> macOfDevice,
                                   io.hairpin.engine.route.PrefixMap retiredNat) {
        return compile(version, config, macOfDevice, retiredNat,
                io.hairpin.engine.nat.RuleIds.sequential(config.nat()));
    }

    /** {@link #compile(long, EngineConfig, Map, io.hairpin.engine.route.PrefixMap)} with the NAT rules' counter ids. */
    public static Snapshot compile(long version, EngineConfig config, Map<String, Long> macOfDevice,
                                   io.hairpin.engine.route.PrefixMap retiredNat, io.hairpin.engine.nat.RuleIds ruleIds) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        int[] portOf = new int[config.interfaces().size()];
        for (int i = 0; i < portOf.length; i++) {
            String dev = config.interfaces().get(i).device();
            portOf[i] = ports.computeIfAbsent(dev, d -> ports.size());
        }
        long[] macs = new long[ports.size()];
        List<String> devices = new ArrayList<>(ports.keySet());
        for (int p = 0; p < devices.size(); p++) {
            Long m = macOfDevice.get(devices.get(p));
            if (m == null) {
                throw new IllegalArgumentException("no MAC address for device " + devices.get(p));
            }
            macs[p] = m;
        }
        return new Snapshot(version, config, devices, portOf, macs, retiredNat, ruleIds);
    }

    /** The distinct devices of a config in engine port order. */
    public static List<String> devicesOf(EngineConfig config) {
        return config.interfaces().stream().map(EngineConfig.Interface::device).distinct().toList();
    }

    private int connectedInterfaceOf(int addr) {
        for (int i = 0; i < interfaceCount; i++) {
            for (int k = 0; k < addresses[i].length; k++) {
                int m = Ipv4Mask.of(prefixLengths[i][k]);
                if ((addresses[i][k] & m) == (addr & m)) {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException("next hop " + io.hairpin.engine.packet.Ipv4.format(addr)
                + " is not on a connected network");
    }

    /** The interface a frame belongs to, or {@link #NO_INTERFACE}. */
    public int interfaceOf(int port, int vlanId) {
        return interfaceByPortVlan[port * VLANS + vlanId];
    }

    /** True when addr is one of the appliance's own addresses (a /32 local route). */
    public boolean isOwnAddress(int addr) {
        int r = routes.lookup(addr);
        return r >= 0 && routes.kind(r) == RouteTable.KIND_LOCAL;
    }

    /** The interface's address on the prefix containing target, else its first address (source for ARP and ICMP). */
    public int sourceAddressFor(int iface, int target) {
        int[] a = addresses[iface];
        for (int k = 0; k < a.length; k++) {
            int m = Ipv4Mask.of(prefixLengths[iface][k]);
            if ((a[k] & m) == (target & m)) {
                return a[k];
            }
        }
        return a[0];
    }

    public int portCount() {
        return devices.size();
    }

    /** Prefix masks without branches on the hot path. */
    static final class Ipv4Mask {
        private static final int[] MASKS = new int[33];

        static {
            for (int i = 1; i <= 32; i++) {
                MASKS[i] = -1 << (32 - i);
            }
        }

        static int of(int prefixLength) {
            return MASKS[prefixLength];
        }
    }
}
