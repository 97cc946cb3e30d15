package io.hairpin.control.config;

import io.hairpin.control.config.NatSettings.AddressMatch;
import io.hairpin.control.config.NatSettings.PortProtocol;
import io.hairpin.control.config.NatSettings.PortRange;
import io.hairpin.control.config.OutboundRule.Translation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Semantic checks of a loaded config: the things a router would refuse even though every value has the
 * right shape (overlapping interfaces, unreachable next hops, ...). Every problem is collected, each at
 * the setting it is about. NAT rules are checked against the interfaces and against each other; disabled
 * rules only need a known interface.
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
        return validate(config, machineCores());
    }

    /**
     * The machine's online CPUs. Not {@code availableProcessors()}: inside the running appliance
     * (where {@code apply} validates) EAL has pinned the control thread to one core, and the JVM
     * reports that thread's affinity.
     */
    static int machineCores() {
        try {
            int n = countCpuList(java.nio.file.Files.readString(java.nio.file.Path.of("/sys/devices/system/cpu/online")));
            if (n > 0) {
                return n;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or no sysfs: fall back to what the JVM sees
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The number of CPUs in a kernel CPU list such as "0-1" or "0,2-5,7"; 0 when it is not one. */
    static int countCpuList(String list) {
        int n = 0;
        for (String part : list.trim().split(",")) {
            if (part.isEmpty()) {
                return 0;
            }
            int dash = part.indexOf('-');
            try {
                int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
                if (hi < lo) {
                    return 0;
                }
                n += hi - lo + 1;
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return n;
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
        validator.checkOneToOneRules();
        validator.checkPortForwards();
        validator.checkOutboundRules();
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

    private void warning(SourceLocation at, String message) {
        warnings.add(new ConfigError(at, message));
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

    // --- NAT rules ---

    private static final AddressMatch ANYWHERE = new AddressMatch(new Cidr(0, 0), false);

    /** The index of the interface named {@code name}, or -1 after reporting that there is none. */
    private int interfaceIndex(String name, SourceLocation at, String path) {
        for (int i = 0; i < interfaces().size(); i++) {
            if (interfaces().get(i).name().equals(name)) {
                return i;
            }
        }
        String names = interfaces().stream().map(InterfaceConfig::name).collect(Collectors.joining(", "));
        error(at, path + ": unknown interface '" + name + "' (the interfaces are: " + names + ")");
        return -1;
    }

    private static String ruleName(String kind, int index, SourceLocation location) {
        return "nat." + kind + "[" + index + "] (line " + location.line() + ")";
    }

    private void checkOneToOneRules() {
        List<OneToOneRule> rules = config.nat().oneToOne();
        for (int i = 0; i < rules.size(); i++) {
            OneToOneRule rule = rules.get(i);
            String path = "nat.one-to-one[" + i + "]";
            int itf = interfaceIndex(rule.interfaceName(), rule.locations().interfaceName(), path + ".interface");
            if (rule.disabled() || rule.noBinat()) {
                continue;
            }
            SourceLocation at = rule.locations().external();
            String externalPath = path + ".external";
            String own = applianceAddressIn(rule.external());
            if (own != null) {
                error(at, externalPath + ": " + own);
            }
            checkExternalConflict(rule, rules.subList(0, i), at, externalPath);
            if (itf >= 0 && rule.proxyArp()) {
                warnIfNotConnected(itf, rule.external(), at, externalPath);
            }
        }
    }

    /** What makes {@code range} unusable as a 1:1 external range: an appliance address or a gateway in it. */
    private String applianceAddressIn(Cidr range) {
        String written = NatSettings.formatRange(range);
        boolean single = range.prefixLength() == 32;
        for (InterfaceConfig itf : interfaces()) {
            for (Cidr cidr : itf.addresses()) {
                if (range.contains(cidr.address())) {
                    String what = "an address of this appliance (interface '" + itf.name() + "')";
                    return single ? written + " is " + what : written + " contains " + Ipv4.format(cidr.address()) + ", " + what;
                }
            }
        }
        for (InterfaceConfig itf : interfaces()) {
            if (itf.hasGateway() && range.contains(itf.gateway())) {
                String what = "the gateway of interface '" + itf.name() + "'";
                return single ? written + " is " + what : written + " contains " + Ipv4.format(itf.gateway()) + ", " + what;
            }
        }
        return null;
    }

    /** An enabled 1:1 rule whose external range meets that of an earlier enabled rule. */
    private void checkExternalConflict(OneToOneRule rule, List<OneToOneRule> earlierRules, SourceLocation at, String path) {
        for (int j = 0; j < earlierRules.size(); j++) {
            OneToOneRule earlier = earlierRules.get(j);
            if (earlier.disabled() || earlier.noBinat() || !earlier.external().overlaps(rule.external())) {
                continue;
            }
            String external = NatSettings.formatRange(rule.external());
            String earlierRule = ruleName("one-to-one", j, earlier.location());
            if (!earlier.external().equals(rule.external())) {
                error(at, path + ": " + external + " overlaps " + NatSettings.formatRange(earlier.external())
                        + ", the external range of " + earlierRule);
            } else if (earlier.internal().equals(rule.internal())) {
                error(at, path + ": " + external + " is already mapped to " + NatSettings.formatRange(rule.internal())
                        + " by " + earlierRule + "; remove the duplicate");
            } else {
                error(at, path + ": several internal addresses on one external address: " + external + " already maps to "
                        + NatSettings.formatRange(earlier.internal()) + " by " + earlierRule + ", so it cannot also map to "
                        + NatSettings.formatRange(rule.internal()));
            }
            return;
        }
    }

    /** Warns when {@code range} is not inside one connected prefix of the interface, where proxy ARP could announce it. */
    private void warnIfNotConnected(int interfaceIndex, Cidr range, SourceLocation at, String path) {
        InterfaceConfig itf = interfaces().get(interfaceIndex);
        for (Cidr cidr : itf.addresses()) {
            if (cidr.prefixLength() <= range.prefixLength() && cidr.contains(range.network())) {
                return;
            }
        }
        String prefixes = itf.addresses().stream().map(c -> c.networkPrefix().toString()).collect(Collectors.joining(", "));
        warning(at, path + ": " + NatSettings.formatRange(range) + " is not inside a connected prefix of interface '"
                + itf.name() + "' (" + prefixes + "); proxy ARP cannot announce it there,"
                + " so the upstream router must route it to this appliance");
    }

    private void checkPortForwards() {
        List<PortForwardRule> rules = config.nat().portForwards();
        for (int i = 0; i < rules.size(); i++) {
            PortForwardRule rule = rules.get(i);
            String path = "nat.port-forwards[" + i + "]";
            int itf = interfaceIndex(rule.interfaceName(), rule.locations().interfaceName(), path + ".interface");
            if (rule.disabled()) {
                continue;
            }
            SourceLocation at = rule.locations().external();
            for (int j = 0; j < i; j++) {
                PortForwardRule earlier = rules.get(j);
                Optional<PortProtocol> protocols = earlier.protocol().intersection(rule.protocol());
                if (earlier.enabled() && earlier.external() == rule.external() && protocols.isPresent()
                        && earlier.externalPorts().overlaps(rule.externalPorts())
                        && sourceOf(earlier).covers(sourceOf(rule))) {
                    PortRange ports = earlier.externalPorts().intersection(rule.externalPorts());
                    error(at, path + ".external: " + protocols.get().configName() + " " + Ipv4.format(rule.external()) + ":"
                            + ports + " is already forwarded by " + ruleName("port-forwards", j, earlier.location())
                            + ", which comes first, so this rule would never see that traffic");
                    break;
                }
            }
            if (itf >= 0) {
                warnIfNotConnected(itf, new Cidr(rule.external(), 32), at, path + ".external");
            }
        }
    }

    private static AddressMatch sourceOf(PortForwardRule rule) {
        return rule.source() == null ? ANYWHERE : rule.source();
    }

    private void checkOutboundRules() {
        List<OutboundRule> rules = config.nat().outbound();
        for (int i = 0; i < rules.size(); i++) {
            OutboundRule rule = rules.get(i);
            String path = "nat.outbound[" + i + "]";
            int itf = interfaceIndex(rule.interfaceName(), rule.locations().interfaceName(), path + ".interface");
            if (rule.disabled()) {
                continue;
            }
            SourceLocation at = rule.locations().translation();
            String translationPath = path + ".translation";
            if (itf >= 0) {
                switch (rule.translation()) {
                    case Translation.InterfaceAddress none -> { }
                    case Translation.Address one -> warnIfNotConnected(itf, new Cidr(one.address(), 32), at, translationPath);
                    case Translation.Pool pool -> warnIfNotConnected(itf, pool.prefix(), at, translationPath);
                    case Translation.Addresses list -> {
                        for (int k = 0; k < list.addresses().size(); k++) {
                            warnIfNotConnected(itf, new Cidr(list.addresses().get(k), 32),
                                    rule.locations().translationAddresses().get(k), translationPath + "[" + k + "]");
                        }
                    }
                }
            }
            List<Integer> publicAddresses = rule.translation().addresses();
            if (publicAddresses.size() == 1 && rule.source().prefixLength() < 32) {
                String address = Ipv4.format(publicAddresses.getFirst());
                warning(at, translationPath + ": several internal addresses (" + rule.source() + ") share one public address "
                        + address + "; cPanel's installer maps only the first: hosts behind it will all report " + address);
            }
        }
    }
}
