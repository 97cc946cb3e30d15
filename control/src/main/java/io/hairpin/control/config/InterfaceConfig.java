package io.hairpin.control.config;

import io.hairpin.engine.EngineConfig;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One interface (one DPDK port, or a VLAN on one).
 *
 * @param gateway the default gateway as an IPv4 address, or null for none
 * @param vlan 802.1Q VLAN id 1..4094, or 0 for untagged
 * @param exceptionPathRate packets a second each worker hands the interface's kernel side
 * @param location where the interface's entry starts in the file
 * @param locations where its individual settings are, for errors about one of them
 */
public record InterfaceConfig(
        String name,
        Role role,
        String device,
        List<Cidr> addresses,
        Integer gateway,
        int mtu,
        int vlan,
        boolean antiSpoofing,
        Long mac,
        int exceptionPathRate,
        SourceLocation location,
        Locations locations) {

    public static final int DEFAULT_MTU = 1500;
    public static final int UNTAGGED = 0;
    public static final int DEFAULT_EXCEPTION_PATH_RATE = EngineConfig.Interface.DEFAULT_KERNEL_RATE;
    public static final int MAX_EXCEPTION_PATH_RATE = EngineConfig.Interface.MAX_KERNEL_RATE;

    /**
     * Positions of individual settings. A setting that is absent from the file (a default) is placed at
     * the interface's own location.
     *
     * @param addresses one location per address, in the same order
     */
    public record Locations(SourceLocation name, SourceLocation device, List<SourceLocation> addresses, SourceLocation gateway) {
        public Locations {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(device, "device");
            addresses = List.copyOf(addresses);
            Objects.requireNonNull(gateway, "gateway");
        }

        /** Every setting at one place, for interfaces built in code rather than read from a file. */
        public static Locations allAt(SourceLocation location, int addressCount) {
            return new Locations(location, location, Collections.nCopies(addressCount, location), location);
        }
    }

    public InterfaceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(device, "device");
        addresses = List.copyOf(addresses);
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(locations, "locations");
        if (locations.addresses().size() != addresses.size()) {
            throw new IllegalArgumentException("one location per address expected: " + addresses.size()
                    + " addresses, " + locations.addresses().size() + " locations");
        }
    }

    /** An interface whose settings all point at {@code location}. */
    public InterfaceConfig(String name, Role role, String device, List<Cidr> addresses, Integer gateway,
            int mtu, int vlan, boolean antiSpoofing, SourceLocation location) {
        this(name, role, device, addresses, gateway, mtu, vlan, antiSpoofing, null, DEFAULT_EXCEPTION_PATH_RATE,
                location, Locations.allAt(location, addresses.size()));
    }

    /** An interface that keeps its device's own MAC address. */
    public InterfaceConfig(String name, Role role, String device, List<Cidr> addresses, Integer gateway,
            int mtu, int vlan, boolean antiSpoofing, SourceLocation location, Locations locations) {
        this(name, role, device, addresses, gateway, mtu, vlan, antiSpoofing, null, DEFAULT_EXCEPTION_PATH_RATE,
                location, locations);
    }

    /** The interface among these that has this address, or null. */
    public static InterfaceConfig withAddress(List<InterfaceConfig> interfaces, int address) {
        for (InterfaceConfig i : interfaces) {
            if (i.addresses().stream().anyMatch(a -> a.address() == address)) {
                return i;
            }
        }
        return null;
    }

    public boolean hasGateway() {
        return gateway != null;
    }
}
