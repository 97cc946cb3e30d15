package io.hairpin.control.config;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Semantic checks of a loaded config: the things a router would refuse even though every value has the
 * right shape (overlapping interfaces, unreachable next hops, ...). Every problem is collected, each at
 * the setting it is about.
 */
public final class ConfigValidator {

    private static final Cidr THIS_NETWORK = Cidr.parse("0.0.0.0/8");
    private static final Cidr LOOPBACK = Cidr.parse("127.0.0.0/8");
    private static final Cidr MULTICAST = Cidr.parse("224.0.0.0/4");
    private static final Cidr RESERVED = Cidr.parse("240.0.0.0/4");
    private static final Cidr DEFAULT_ROUTE = Cidr.parse("0.0.0.0/0");

    private final HairpinConfig config;
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigError> warnings = new ArrayList<>();

    private ConfigValidator(HairpinConfig config) {
        this.config = config;
    }

    /** Validates against the cores of the machine this runs on. */
    public static ValidationResult validate(HairpinConfig config) {
        return validate(config, Runtime.getRuntime().availableProcessors());
    }

    /** Validates as if the machine had {@code availableCores} cores. */
    public static ValidationResult validate(HairpinConfig config, int availableCores) {
        ConfigValidator validator = new ConfigValidator(config);
        validator.checkInterfaceNames();
        validator.checkDevices();
        validator.checkAddresses();
        validator.checkGateways();
        validator.checkRoutes();
        validator.checkExternalInterface();
        validator.checkWorkers(availableCores);
        validator.errors.sort(ConfigError.IN_FILE_ORDER);
        validator.warnings.sort(ConfigError.IN_FILE_ORDER);
        return new ValidationResult(validator.errors, validator.warnings);
    }

    private List<InterfaceConfig> interfaces() {
        return config.interfaces();
    }

    private static String interfacePath(int interfaceIndex) {
        return "interfaces[" + interfaceIndex + "]";
    }

    private void error(SourceLocation at, String message) {
        errors.add(new ConfigError(at, message));
    }

    private void checkInterfaceNames() {
        for (int i = 0; i < interfaces().size(); i++) {
            InterfaceConfig current = interfaces().get(i);
            for (int j = 0; j < i; j++) {
                InterfaceConfig earlier = interfaces().get(j);
                if (earlier.name().equals(current.name())) {
                    error(current.locations().name(), interfacePath(i) + ".name: duplicate interface name '" + current.name()
                            + "' (first defined at line " + earlier.locations().name().line() + ")");
                    break;
                }
            }
        }
    }

    private void checkDevices() {
        for (int i = 0; i < interfaces().size(); i++) {
            InterfaceConfig current = interfaces().get(i);
            for (int j = 0; j < i; j++) {
                InterfaceConfig earlier = interfaces().get(j);
                if (earlier.device().equals(current.device()) && current.mac() != null && earlier.mac() != null
                        && !current.mac().equals(earlier.mac())) {
                    error(current.locations().device(), interfacePath(i) + ".device: interface '" + current.name()
                            + "' shares its device with interface '" + earlier.name() + "' (line "
                            + earlier.locations().device().line() + ") but sets a different mac;"
                            + " a device has one MAC address");
                    break;
                }
                if (earlier.device().equals(current.device()) && earlier.vlan() == current.vlan()) {
                    String vlan = current.vlan() == InterfaceConfig.UNTAGGED ? "untagged" : "VLAN " + current.vlan();
                    error(current.locations().device(), interfacePath(i) + ".device: interface '" + current.name()
                            + "' uses the same device and VLAN as interface '" + earlier.name() + "' (line "
                            + earlier.locations().device().line() + "): " + current.device() + ", " + vlan);
                    break;
                }
            }
        }
    }

    /** One address of one interface, with where it is. */
    private record AssignedAddress(int interfaceIndex, int addressIndex, Cidr cidr, SourceLocation location) {
        String path() {
            return interfacePath(interfaceIndex) + ".addresses[" + addressIndex + "]";
        }
    }

    private List<AssignedAddress> assignedAddresses() {
        List<AssignedAddress> all = new ArrayList<>();
        for (int i = 0; i < interfaces().size(); i++) {
            InterfaceConfig itf = interfaces().get(i);
            for (int a = 0; a < itf.addresses().size(); a++) {
                all.add(new AssignedAddress(i, a, itf.addresses().get(a), itf.locations().addresses().get(a)));
            }
        }
        return all;
    }

    private void checkAddresses() {
        List<AssignedAddress> all = assignedAddresses();
        for (int k = 0; k < all.size(); k++) {
            AssignedAddress current = all.get(k);
            Cidr cidr = current.cidr();
            String special = specialRange(cidr.address());
            if (special != null) {
                error(current.location(), current.path() + ": " + Ipv4.format(cidr.address()) + " is " + special
                        + " and cannot be an interface address");
            } else if (cidr.hasNetworkAndBroadcast() && cidr.address() == cidr.network()) {
                error(current.location(), current.path() + ": " + Ipv4.format(cidr.address()) + " is the network address of "
                        + cidr.networkPrefix() + "; an interface needs a host address");
            } else if (cidr.hasNetworkAndBroadcast() && cidr.address() == cidr.broadcast()) {
                error(current.location(), current.path() + ": " + Ipv4.format(cidr.address()) + " is the broadcast address of "
                        + cidr.networkPrefix() + "; an interface needs a host address");
            }
            for (int j = 0; j < k; j++) {
                AssignedAddress earlier = all.get(j);
                String earlierInterface = interfaces().get(earlier.interfaceIndex()).name();
                if (earlier.cidr().address() == cidr.address()) {
                    error(current.location(), current.path() + ": address " + Ipv4.format(cidr.address())
                            + " is already assigned to interface '" + earlierInterface + "' (line " + earlier.location().line() + ")");
                    break;
                }
                if (earlier.interfaceIndex() != current.interfaceIndex() && earlier.cidr().overlaps(cidr)) {
                    error(current.location(), current.path() + ": connected prefix " + cidr.networkPrefix()
                            + " overlaps " + earlier.cidr().networkPrefix() + " of interface '" + earlierInterface
                            + "' (line " + earlier.location().line() + ")");
                    break;
                }
            }
        }
    }

    /** What kind of address can never be an interface's, or null if {@code address} is not one. */
    private static String specialRange(int address) {
        if (THIS_NETWORK.contains(address)) {
            return "in 0.0.0.0/8 (\"this network\")";
        } else if (LOOPBACK.contains(address)) {
            return "a loopback address";
        } else if (MULTICAST.contains(address)) {
            return "a multicast address";
        } else if (RESERVED.contains(address)) {
            return "in the reserved range 240.0.0.0/4";
        }
        return null;
    }

    /** The interface that owns {@code address}, or null. */
    private InterfaceConfig ownerOf(int address) {
        for (InterfaceConfig itf : interfaces()) {
            for (Cidr cidr : itf.addresses()) {
                if (cidr.address() == address) {
                    return itf;
                }
            }
        }
        return null;
    }

    /**
     * Why {@code nextHop} cannot be reached through {@code candidates}' connected prefixes, or null if it
     * can. {@code candidates} is one interface for a gateway, all of them for a route.
     */
    private String unusableNextHop(int nextHop, List<InterfaceConfig> candidates, String unreachable) {
        InterfaceConfig owner = ownerOf(nextHop);
        if (owner != null) {
            return Ipv4.format(nextHop) + " is an address of this appliance (interface '" + owner.name() + "')";
        }
        for (InterfaceConfig itf : candidates) {
            for (Cidr cidr : itf.addresses()) {
                if (!cidr.contains(nextHop)) {
                    continue;
                }
                if (cidr.hasNetworkAndBroadcast() && nextHop == cidr.network()) {
                    return Ipv4.format(nextHop) + " is the network address of " + cidr.networkPrefix();
                }
                if (cidr.hasNetworkAndBroadcast() && nextHop == cidr.broadcast()) {
                    return Ipv4.format(nextHop) + " is the broadcast address of " + cidr.networkPrefix();
                }
                return null;
            }
        }
        return unreachable;
    }

    private void checkGateways() {
        List<Integer> withGateway = new ArrayList<>();
        for (int i = 0; i < interfaces().size(); i++) {
            InterfaceConfig itf = interfaces().get(i);
            if (!itf.hasGateway()) {
                continue;
            }
            withGateway.add(i);
            String prefixes = itf.addresses().stream().map(c -> c.networkPrefix().toString()).collect(Collectors.joining(", "));
            String problem = unusableNextHop(itf.gateway(), List.of(itf), Ipv4.format(itf.gateway())
                    + " is not inside a connected prefix of interface '" + itf.name() + "' (" + prefixes + ")");
            if (problem != null) {
                error(itf.locations().gateway(), interfacePath(i) + ".gateway: " + problem);
            }
        }
        if (withGateway.size() > 1) {
            List<String> names = withGateway.stream().map(i -> "'" + interfaces().get(i).name() + "'").toList();
            String listed = String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast();
            for (int i : withGateway.subList(1, withGateway.size())) {
                error(interfaces().get(i).locations().gateway(), interfacePath(i)
                        + ".gateway: only one default gateway is allowed, but interfaces " + listed + " have one");
            }
        }
    }

    private void checkRoutes() {
        List<RouteConfig> routes = config.routes();
        for (int r = 0; r < routes.size(); r++) {
            RouteConfig route = routes.get(r);
            String path = "routes[" + r + "]";
            SourceLocation prefixAt = route.locations().prefix();
            checkRoutePrefix(route, path, prefixAt, routes.subList(0, r));

            String problem = unusableNextHop(route.via(), interfaces(), "next hop " + Ipv4.format(route.via())
                    + " is unreachable: it is not inside any interface's connected prefix");
            if (problem != null) {
                error(route.locations().via(), path + ".via: " + problem);
            }
        }
    }

    private void checkRoutePrefix(RouteConfig route, String path, SourceLocation at, List<RouteConfig> earlierRoutes) {
        for (RouteConfig earlier : earlierRoutes) {
            if (earlier.prefix().equals(route.prefix())) {
                error(at, path + ".prefix: duplicate route for " + route.prefix()
                        + " (first defined at line " + earlier.locations().prefix().line() + ")");
                return;
            }
        }
        for (InterfaceConfig itf : interfaces()) {
            for (Cidr cidr : itf.addresses()) {
                if (cidr.networkPrefix().equals(route.prefix())) {
                    error(at, path + ".prefix: " + route.prefix() + " is the connected prefix of interface '" + itf.name()
                            + "'; a static route cannot replace it");
                    return;
                }
            }
        }
        if (route.prefix().equals(DEFAULT_ROUTE)) {
            for (InterfaceConfig itf : interfaces()) {
                if (itf.hasGateway()) {
                    error(at, path + ".prefix: a route for 0.0.0.0/0 conflicts with the gateway of interface '" + itf.name()
                            + "' (line " + itf.locations().gateway().line() + "); configure the default route only once");
                    return;
                }
            }
        }
    }

    private void checkExternalInterface() {
        boolean anyExternal = interfaces().stream().anyMatch(itf -> itf.role() == Role.EXTERNAL);
        if (!anyExternal) {
            warnings.add(new ConfigError(config.locations().interfaces(),
                    "interfaces: no interface has role 'external', so nothing will be translated to or from the outside"));
        }
    }

    private void checkWorkers(int availableCores) {
        if (config.workers() > availableCores) {
            warnings.add(new ConfigError(config.locations().workers(), "workers: " + config.workers()
                    + " poll-mode workers but this machine has only " + availableCores
                    + " cores; workers will share cores and throughput will suffer"));
        }
    }
}
