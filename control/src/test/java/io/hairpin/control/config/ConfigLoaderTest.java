package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configs that load, in block and flow style, and files that cannot be read. */
final class ConfigLoaderTest {

    private static final String FILE = "hairpin.yaml";

    private static final String FULL_BLOCK = """
            workers: 2
            eal: [--no-pci, --log-level=7]
            interfaces:
              - name: wan
                role: external
                device: net_af_packet0,iface=r-wan
                addresses: [203.0.113.1/24, 203.0.113.2/24]
                gateway: 203.0.113.254
                mtu: 9000
              - name: lan
                role: internal
                device: "0000:03:00.0"
                addresses:
                  - 192.168.1.1/24
                vlan: 10
                anti-spoofing: false
            routes:
              - prefix: 10.20.0.0/16
                via: 192.168.1.254
            control:
              socket: /run/hairpin/ctl.sock
              myip: 192.168.1.1:80
              metrics: 127.0.0.1:9100
            """;

    private static final String FULL_FLOW = """
            {workers: 2, eal: [--no-pci, --log-level=7],
             interfaces: [
               {name: wan, role: external, device: "net_af_packet0,iface=r-wan",
                addresses: [203.0.113.1/24, 203.0.113.2/24], gateway: 203.0.113.254, mtu: 9000},
               {name: lan, role: internal, device: "0000:03:00.0", addresses: [192.168.1.1/24],
                vlan: 10, anti-spoofing: false}],
             routes: [{prefix: 10.20.0.0/16, via: 192.168.1.254}],
             control: {socket: /run/hairpin/ctl.sock, myip: 192.168.1.1:80, metrics: 127.0.0.1:9100}}
            """;

    private static SourceLocation at(int line, int column) {
        return new SourceLocation(FILE, line, column);
    }

    private static int ip(String text) {
        return Ipv4.parse(text);
    }

    /** FULL_BLOCK as records, with the positions a reader of that text block would point at. */
    private static HairpinConfig expectedFullBlock() {
        InterfaceConfig wan = new InterfaceConfig("wan", Role.EXTERNAL, "net_af_packet0,iface=r-wan",
                List.of(Cidr.parse("203.0.113.1/24"), Cidr.parse("203.0.113.2/24")), ip("203.0.113.254"), 9000, 0, true,
                at(4, 5), new InterfaceConfig.Locations(at(4, 11), at(6, 13), List.of(at(7, 17), at(7, 33)), at(8, 14)));
        InterfaceConfig lan = new InterfaceConfig("lan", Role.INTERNAL, "0000:03:00.0",
                List.of(Cidr.parse("192.168.1.1/24")), null, 1500, 10, false,
                at(10, 5), new InterfaceConfig.Locations(at(10, 11), at(12, 13), List.of(at(14, 9)), at(10, 5)));
        RouteConfig route = new RouteConfig(Cidr.parse("10.20.0.0/16"), ip("192.168.1.254"),
                at(18, 5), new RouteConfig.Locations(at(18, 13), at(19, 10)));
        return new HairpinConfig(2, List.of("--no-pci", "--log-level=7"), List.of(wan, lan), List.of(route),
                NatSettings.defaults(), new ControlConfig("/run/hairpin/ctl.sock", "192.168.1.1:80", "127.0.0.1:9100"), true, null,
                new HairpinConfig.Locations(at(1, 10), at(3, 1)));
    }

    /** The same config with every location replaced by one place, to compare what was configured. */
    static HairpinConfig withoutLocations(HairpinConfig config) {
        SourceLocation nowhere = new SourceLocation("-", 1, 1);
        List<InterfaceConfig> interfaces = config.interfaces().stream()
                .map(i -> new InterfaceConfig(i.name(), i.role(), i.device(), i.addresses(), i.gateway(), i.mtu(), i.vlan(),
                        i.antiSpoofing(), i.mac(), i.exceptionPathRate(), nowhere,
                        InterfaceConfig.Locations.allAt(nowhere, i.addresses().size())))
                .toList();
        List<RouteConfig> routes = config.routes().stream().map(r -> new RouteConfig(r.prefix(), r.via(), nowhere)).toList();
        return new HairpinConfig(config.workers(), config.eal(), interfaces, routes, withoutLocations(config.nat(), nowhere),
                config.control(), config.exceptionPath(), null, new HairpinConfig.Locations(nowhere, nowhere));
    }

    private static NatSettings withoutLocations(NatSettings nat, SourceLocation nowhere) {
        List<OneToOneRule> oneToOne = nat.oneToOne().stream()
                .map(r -> new OneToOneRule(r.interfaceName(), r.external(), r.internal(), r.noBinat(), r.destination(),
                        r.reflection(), r.reflectionSource(), r.proxyArp(), r.inbound(), r.description(), r.disabled(),
                        nowhere, OneToOneRule.Locations.allAt(nowhere)))
                .toList();
        List<PortForwardRule> portForwards = nat.portForwards().stream()
                .map(r -> new PortForwardRule(r.interfaceName(), r.protocol(), r.external(), r.externalPorts(), r.internal(),
                        r.internalPorts(), r.source(), r.reflection(), r.reflectionSource(), r.description(), r.disabled(),
                        nowhere, PortForwardRule.Locations.allAt(nowhere)))
                .toList();
        List<OutboundRule> outbound = nat.outbound().stream()
                .map(r -> new OutboundRule(r.interfaceName(), r.source(), r.translation(), r.staticPort(), r.description(),
                        r.disabled(), nowhere, OutboundRule.Locations.allAt(nowhere, r.translation())))
                .toList();
        return new NatSettings(nat.reflection(), nat.reflectionSource(), nat.filtering(), nat.timeouts(), nat.maxSessions(),
                nat.maxSessionsPerHost(), oneToOne, portForwards, outbound);
    }

    @Test
    void blockStyleLoadsToTheExpectedRecordsAndPositions() {
        assertEquals(expectedFullBlock(), ConfigLoader.parse(FULL_BLOCK, FILE));
    }

    @Test
    void flowStyleLoadsToTheSameConfig() {
        HairpinConfig flow = ConfigLoader.parse(FULL_FLOW, FILE);
        assertEquals(withoutLocations(expectedFullBlock()), withoutLocations(flow));
        // Positions inside flow collections are exact too.
        InterfaceConfig lan = flow.interfaces().get(1);
        assertEquals(at(5, 4), lan.location());
        assertEquals(at(5, 11), lan.locations().name());
        assertEquals(List.of(at(5, 68)), lan.locations().addresses());
        assertEquals(new RouteConfig.Locations(at(7, 20), at(7, 39)), flow.routes().getFirst().locations());
    }

    @Test
    void theSpecExampleWithoutNatLoads() {
        String yaml = """
                workers: 1                       # poll-mode worker cores
                eal: [--no-pci]                  # extra DPDK EAL arguments
                interfaces:
                  - name: wan
                    role: external
                    device: net_af_packet0,iface=r-wan     # vdev string or PCI address
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.254
                  - name: lan
                    role: internal
                    device: net_af_packet1,iface=r-lan
                    addresses: [192.168.1.1/24]
                routes: [{prefix: 10.20.0.0/16, via: 192.168.1.254}]
                control:
                  socket: /run/hairpin/control.sock
                  myip: 192.168.1.1:80
                  metrics: 127.0.0.1:9100
                """;
        LoadedConfig loaded = ConfigLoader.parseAndValidate(yaml, FILE);
        HairpinConfig config = loaded.config();
        assertEquals(List.of(), loaded.warnings());
        assertEquals(List.of("--no-pci"), config.eal());
        assertEquals("net_af_packet0,iface=r-wan", config.interfaces().get(0).device());
        assertEquals(ip("203.0.113.254"), config.interfaces().get(0).gateway());
        assertEquals(new RouteConfig(Cidr.parse("10.20.0.0/16"), ip("192.168.1.254"), at(13, 10),
                new RouteConfig.Locations(at(13, 19), at(13, 38))), config.routes().getFirst());
        assertEquals(new ControlConfig("/run/hairpin/control.sock", "192.168.1.1:80", "127.0.0.1:9100"), config.control());
    }

    @Test
    void absentOptionalSettingsTakeTheirDefaults() {
        String yaml = """
                interfaces:
                  - name: lan0
                    role: internal
                    device: net_tap0
                    addresses: [10.0.0.1/8]
                """;
        HairpinConfig config = ConfigLoader.parse(yaml, FILE);
        assertEquals(1, config.workers());
        assertEquals(List.of(), config.eal());
        assertEquals(List.of(), config.routes());
        assertEquals(ControlConfig.defaults(), config.control());
        assertEquals("/run/hairpin/control.sock", config.control().socket());
        InterfaceConfig lan = config.interfaces().getFirst();
        assertNull(lan.gateway());
        assertEquals(1500, lan.mtu());
        assertEquals(0, lan.vlan());
        assertEquals(true, lan.antiSpoofing());
        assertEquals(new HairpinConfig.Locations(at(1, 1), at(1, 1)), config.locations());
    }

    @Test
    void emptyValuesOfOptionalSettingsMeanNotSet() {
        // An empty "routes:" is what is left after commenting out every route.
        String yaml = """
                workers:
                eal:
                interfaces:
                  - name: lan0
                    role: internal
                    device: net_tap0
                    addresses: [10.0.0.1/8]
                    gateway:
                    mtu:
                routes:
                  # - {prefix: 10.20.0.0/16, via: 10.0.0.254}
                control:
                """;
        HairpinConfig config = ConfigLoader.parse(yaml, FILE);
        assertEquals(1, config.workers());
        assertEquals(List.of(), config.eal());
        assertEquals(List.of(), config.routes());
        assertEquals(ControlConfig.defaults(), config.control());
        assertNull(config.interfaces().getFirst().gateway());
        assertEquals(1500, config.interfaces().getFirst().mtu());
    }

    @Test
    void slash31And32AddressesAreHostAddresses() {
        String yaml = """
                interfaces:
                  - {name: wan, role: external, device: d0, addresses: [198.51.100.0/31, 198.51.100.255/32], gateway: 198.51.100.1}
                """;
        LoadedConfig loaded = ConfigLoader.parseAndValidate(yaml, FILE);
        assertEquals(List.of(Cidr.parse("198.51.100.0/31"), Cidr.parse("198.51.100.255/32")),
                loaded.config().interfaces().getFirst().addresses());
    }

    @Test
    void loadReadsAFileAndNamesItInLocations(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("hairpin.yaml");
        Files.writeString(file, FULL_BLOCK);
        HairpinConfig config = ConfigLoader.load(file);
        assertEquals(file, config.source());
        assertEquals(new SourceLocation(file.toString(), 4, 5), config.interfaces().getFirst().location());
        assertEquals(withoutLocations(expectedFullBlock()), withoutLocations(config));
    }

    @Test
    void loadAndValidateReturnsTheConfigWithItsWarnings(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("lan-only.yaml");
        Files.writeString(file, """
                interfaces:
                  - {name: lan, role: internal, device: net_tap0, addresses: [192.168.1.1/24]}
                """);
        LoadedConfig loaded = ConfigLoader.loadAndValidate(file);
        assertEquals("lan", loaded.config().interfaces().getFirst().name());
        assertEquals(List.of(new ConfigError(new SourceLocation(file.toString(), 1, 1),
                "interfaces: no interface has role 'external', so nothing will be translated to or from the outside")),
                loaded.warnings());
    }

    @Test
    void aMissingFileIsOneErrorNamingTheFile(@TempDir Path dir) {
        Path file = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ": no such file", e.getMessage());
        assertEquals(List.of(new ConfigError(SourceLocation.ofFile(file.toString()), "no such file")), e.errors());
    }

    @Test
    void aFileThatIsNotUtf8IsAnError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("binary.yaml");
        Files.write(file, new byte[] {'w', 'o', 'r', 'k', (byte) 0xff, (byte) 0xfe});
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ": the file is not valid UTF-8 text", e.getMessage());
    }

    @Test
    void loadAndValidateOfABadFileThrows(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "workers: many\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.loadAndValidate(file));
        assertEquals(List.of(
                file + ":1:1: missing required key 'interfaces' in the top-level mapping",
                file + ":1:10: workers: expected an integer, got 'many'"),
                e.errors().stream().map(ConfigError::render).toList());
    }
}
