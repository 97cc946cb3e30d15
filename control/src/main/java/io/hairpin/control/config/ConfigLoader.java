package io.hairpin.control.config;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads a Hairpin config file (product spec §8) into a {@link HairpinConfig}. The YAML is composed into
 * a node tree and walked by hand so that every error can name its file, line and column; all errors are
 * collected and thrown together as a {@link ConfigException}, and nothing is returned if there is one.
 */
public final class ConfigLoader {

    static final List<String> TOP_LEVEL_KEYS = List.of("workers", "eal", "interfaces", "routes", "nat", "control", "exception-path");
    static final List<String> INTERFACE_KEYS =
            List.of("name", "role", "device", "addresses", "gateway", "mtu", "vlan", "anti-spoofing", "mac",
                    "exception-path-rate");
    static final List<String> ROUTE_KEYS = List.of("prefix", "via");
    static final List<String> CONTROL_KEYS = List.of("socket", "myip", "metrics");

    static final int MAX_WORKERS = 64;
    static final int MIN_MTU = 576;
    static final int MAX_MTU = 9000;
    static final int MAX_VLAN = 4094;
    // sun_path is 108 bytes including the terminating NUL.
    static final int MAX_SOCKET_PATH_BYTES = 107;

    // 15 characters: the name is also the kernel TAP interface's name (IFNAMSIZ 16 with the NUL).
    private static final Pattern INTERFACE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,14}");
    // SnakeYAML's context text when a stream holds a second document (there is no exception type for it).
    private static final String SINGLE_DOCUMENT_CONTEXT = "expected a single document in the stream";
    private static final Pattern ENDPOINT_PORT = Pattern.compile("[1-9][0-9]{0,4}");

    private final String fileName;
    private final Path source;
    private final NodeReader reader;

    private ConfigLoader(String fileName, Path source) {
        this.fileName = fileName;
        this.source = source;
        this.reader = new NodeReader(fileName);
    }

    /**
     * Loads and shape-checks a config file.
     *
     * @throws ConfigException listing every problem found, including an unreadable file
     */
    public static HairpinConfig load(Path file) {
        return new ConfigLoader(file.toString(), file).read(readFile(file));
    }

    /**
     * Shape-checks config text; {@code fileName} is only used in error locations. The result's
     * {@link HairpinConfig#source()} is null.
     *
     * @throws ConfigException listing every problem found
     */
    public static HairpinConfig parse(String text, String fileName) {
        return new ConfigLoader(fileName, null).read(text);
    }

    /**
     * Loads a config file and runs {@link ConfigValidator} on it.
     *
     * @throws ConfigException with every error (and the warnings found so far) if the file is unusable
     */
    public static LoadedConfig loadAndValidate(Path file) {
        return validated(load(file));
    }

    /** {@link #parse} followed by {@link ConfigValidator}, as {@link #loadAndValidate} does for a file. */
    public static LoadedConfig parseAndValidate(String text, String fileName) {
        return validated(parse(text, fileName));
    }

    private static LoadedConfig validated(HairpinConfig config) {
        ValidationResult result = ConfigValidator.validate(config);
        if (result.hasErrors()) {
            throw new ConfigException(result.errors(), result.warnings());
        }
        return new LoadedConfig(config, result.warnings());
    }

    private static String readFile(Path file) {
        String name = file.toString();
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw fileError(name, "no such file");
        } catch (AccessDeniedException e) {
            throw fileError(name, "permission denied");
        } catch (CharacterCodingException e) {
            throw fileError(name, "the file is not valid UTF-8 text");
        } catch (IOException e) {
            throw fileError(name, "cannot read the file: " + e.getMessage());
        }
    }

    private static ConfigException fileError(String file, String message) {
        return new ConfigException(List.of(new ConfigError(SourceLocation.ofFile(file), message)));
    }

    private HairpinConfig read(String text) {
        Node root = compose(text);
        HairpinConfig config = root == null ? null : readTopLevel(root);
        if (reader.errorCount() > 0) {
            List<ConfigError> errors = new ArrayList<>(reader.errors());
            errors.sort(ConfigError.IN_FILE_ORDER);
            throw new ConfigException(errors);
        }
        return config;
    }

    /** The document's root node, or null after reporting a syntax error or an empty file. */
    private Node compose(String text) {
        try {
            Node root = new Yaml().compose(new StringReader(text));
            if (root == null) {
                reader.error(startOfFile(), "the file is empty; expected a mapping with at least 'interfaces'");
            }
            return root;
        } catch (MarkedYAMLException e) {
            reportSyntaxError(e);
            return null;
        } catch (YAMLException e) {
            reader.error(startOfFile(), "YAML error: " + e.getMessage());
            return null;
        }
    }

    private void reportSyntaxError(MarkedYAMLException e) {
        Mark at = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        SourceLocation location = at == null ? startOfFile() : reader.locate(at);
        if (SINGLE_DOCUMENT_CONTEXT.equals(e.getContext())) {
            reader.error(location, "a config file must hold a single YAML document, found a second one");
            return;
        }
        String problem = e.getProblem() != null ? e.getProblem() : e.getMessage().lines().findFirst().orElse("");
        // SnakeYAML spells a tab as the six characters \t(TAB).
        StringBuilder message = new StringBuilder("YAML syntax error: ").append(problem.replace("\\t(TAB)", "TAB").strip());
        if (e.getContext() != null) {
            message.append(" (").append(e.getContext());
            if (e.getContextMark() != null && e.getContextMark() != at) {
                SourceLocation context = reader.locate(e.getContextMark());
                message.append(" at line ").append(context.line()).append(", column ").append(context.column());
            }
            message.append(")");
        }
        reader.error(location, message.toString());
    }

    private SourceLocation startOfFile() {
        return new SourceLocation(fileName, 1, 1);
    }

    private HairpinConfig readTopLevel(Node root) {
        NodeReader.Section top = reader.section(root, "",
                "a mapping of settings (" + String.join(", ", TOP_LEVEL_KEYS) + ") at the top level", TOP_LEVEL_KEYS);
        if (top == null) {
            return null;
        }

        Node workersNode = top.value("workers");
        Integer workers = workersNode == null ? Integer.valueOf(HairpinConfig.DEFAULT_WORKERS)
                : reader.integer(workersNode, "workers", 1, MAX_WORKERS);

        List<String> eal = readEal(top.value("eal"));
        List<InterfaceConfig> interfaces = readInterfaces(top);
        List<RouteConfig> routes = readRoutes(top.value("routes"));

        Node natNode = top.value("nat");
        NatSettings nat = natNode == null ? NatSettings.defaults() : new NatSectionReader(reader).read(natNode);

        Node exceptionPathNode = top.value("exception-path");
        Boolean exceptionPath = exceptionPathNode == null ? Boolean.TRUE : reader.bool(exceptionPathNode, "exception-path");

        Node controlNode = top.value("control");
        ControlConfig control = controlNode == null ? ControlConfig.defaults()
                : readControl(controlNode, interfaces, Boolean.FALSE.equals(exceptionPath));

        if (reader.errorCount() > 0) {
            return null;
        }
        return new HairpinConfig(workers, eal, interfaces, routes, nat, control, exceptionPath, source,
                new HairpinConfig.Locations(top.locationOf("workers"), top.keyLocationOf("interfaces")));
    }

    private List<String> readEal(Node node) {
        if (node == null) {
            return List.of();
        }
        List<Node> items = reader.list(node, "eal", "a list of EAL arguments");
        if (items == null) {
            return null;
        }
        List<String> eal = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            eal.add(reader.string(items.get(i), "eal[" + i + "]"));
        }
        return eal;
    }

    private List<InterfaceConfig> readInterfaces(NodeReader.Section top) {
        Node node = top.required("interfaces");
        if (node == null) {
            return null;
        }
        List<Node> items = reader.list(node, "interfaces", "a list of interfaces");
        if (items == null) {
            return null;
        }
        if (items.isEmpty()) {
            reader.error(node, "interfaces: at least one interface is required");
            return null;
        }
        List<InterfaceConfig> interfaces = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            interfaces.add(readInterface(items.get(i), "interfaces[" + i + "]"));
        }
        return interfaces;
    }

    private InterfaceConfig readInterface(Node node, String path) {
        int errorsBefore = reader.errorCount();
        NodeReader.Section section = reader.section(node, path, "a mapping of interface settings", INTERFACE_KEYS);
        if (section == null) {
            return null;
        }

        String name = null;
        Node nameNode = section.required("name");
        if (nameNode != null) {
            name = reader.string(nameNode, section.pathOf("name"));
            if (name != null && !INTERFACE_NAME.matcher(name).matches()) {
                reader.error(nameNode, section.pathOf("name") + ": '" + name + "' is not a valid interface name"
                        + " (1-15 characters: lower-case letters, digits, '_' and '-', starting with a letter or digit)");
            }
        }

        Role role = null;
        Node roleNode = section.required("role");
        if (roleNode != null) {
            String text = reader.string(roleNode, section.pathOf("role"));
            if (text != null) {
                role = Role.fromConfigName(text).orElse(null);
                if (role == null) {
                    reader.error(roleNode, section.pathOf("role") + ": expected 'external' or 'internal', got '" + text + "'");
                }
            }
        }

        String device = null;
        Node deviceNode = section.required("device");
        if (deviceNode != null) {
            device = reader.string(deviceNode, section.pathOf("device"));
            if (device != null && device.isBlank()) {
                reader.error(deviceNode, section.pathOf("device") + ": must not be empty");
            }
        }

        List<Cidr> addresses = new ArrayList<>();
        List<SourceLocation> addressLocations = new ArrayList<>();
        Node addressesNode = section.required("addresses");
        if (addressesNode != null) {
            String addressesPath = section.pathOf("addresses");
            List<Node> items = reader.list(addressesNode, addressesPath, "a list of addresses such as [192.0.2.1/24]");
            if (items != null && items.isEmpty()) {
                reader.error(addressesNode, addressesPath + ": at least one address is required");
            }
            for (int i = 0; items != null && i < items.size(); i++) {
                addresses.add(reader.cidr(items.get(i), addressesPath + "[" + i + "]"));
                addressLocations.add(reader.locate(items.get(i)));
            }
        }

        Node gatewayNode = section.value("gateway");
        Integer gateway = gatewayNode == null ? null : reader.ipv4(gatewayNode, section.pathOf("gateway"));

        Node mtuNode = section.value("mtu");
        Integer mtu = mtuNode == null ? Integer.valueOf(InterfaceConfig.DEFAULT_MTU)
                : reader.integer(mtuNode, section.pathOf("mtu"), MIN_MTU, MAX_MTU);

        Node vlanNode = section.value("vlan");
        Integer vlan = vlanNode == null ? Integer.valueOf(InterfaceConfig.UNTAGGED)
                : reader.integer(vlanNode, section.pathOf("vlan"), 1, MAX_VLAN);

        Node antiSpoofingNode = section.value("anti-spoofing");
        Boolean antiSpoofing = antiSpoofingNode == null ? Boolean.TRUE : reader.bool(antiSpoofingNode, section.pathOf("anti-spoofing"));

        Node macNode = section.value("mac");
        Long mac = macNode == null ? null : reader.mac(macNode, section.pathOf("mac"));

        Node rateNode = section.value("exception-path-rate");
        Integer rate = rateNode == null ? Integer.valueOf(InterfaceConfig.DEFAULT_EXCEPTION_PATH_RATE)
                : reader.integer(rateNode, section.pathOf("exception-path-rate"), 1,
                        InterfaceConfig.MAX_EXCEPTION_PATH_RATE);

        if (reader.errorCount() > errorsBefore) {
            return null;
        }
        var locations = new InterfaceConfig.Locations(section.locationOf("name"), section.locationOf("device"),
                addressLocations, section.locationOf("gateway"));
        return new InterfaceConfig(name, role, device, addresses, gateway, mtu, vlan, antiSpoofing, mac, rate,
                section.location(), locations);
    }

    private List<RouteConfig> readRoutes(Node node) {
        if (node == null) {
            return List.of();
        }
        List<Node> items = reader.list(node, "routes", "a list of routes");
        if (items == null) {
            return null;
        }
        List<RouteConfig> routes = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            routes.add(readRoute(items.get(i), "routes[" + i + "]"));
        }
        return routes;
    }

    private RouteConfig readRoute(Node node, String path) {
        int errorsBefore = reader.errorCount();
        NodeReader.Section section = reader.section(node, path, "a mapping with prefix and via", ROUTE_KEYS);
        if (section == null) {
            return null;
        }
        Cidr prefix = null;
        Node prefixNode = section.required("prefix");
        if (prefixNode != null) {
            prefix = reader.cidr(prefixNode, section.pathOf("prefix"));
            if (prefix != null && prefix.address() != prefix.network()) {
                reader.error(prefixNode, section.pathOf("prefix") + ": " + prefix + " is not a network address (host bits are set);"
                        + " did you mean " + prefix.networkPrefix() + "?");
            }
        }
        Integer via = null;
        Node viaNode = section.required("via");
        if (viaNode != null) {
            via = reader.ipv4(viaNode, section.pathOf("via"));
        }
        if (reader.errorCount() > errorsBefore) {
            return null;
        }
        return new RouteConfig(prefix, via, section.location(),
                new RouteConfig.Locations(section.locationOf("prefix"), section.locationOf("via")));
    }

    /**
     * The control section. Without the exception path the appliance's own addresses exist only
     * inside the data plane, so a myip responder or metrics endpoint on one of them could never
     * listen (run would refuse to start): that is an error here, where check sees it.
     */
    private ControlConfig readControl(Node node, List<InterfaceConfig> interfaces, boolean noExceptionPath) {
        NodeReader.Section section = reader.section(node, "control", "a mapping of control settings", CONTROL_KEYS);
        if (section == null) {
            return null;
        }
        String socket = ControlConfig.DEFAULT_SOCKET;
        Node socketNode = section.value("socket");
        if (socketNode != null) {
            socket = reader.string(socketNode, "control.socket");
            int bytes = socket == null ? 0 : socket.getBytes(UTF_8).length;
            if (socket != null && !socket.startsWith("/")) {
                reader.error(socketNode, "control.socket: must be an absolute path, got '" + socket + "'");
            } else if (bytes > MAX_SOCKET_PATH_BYTES) {
                reader.error(socketNode, "control.socket: a UNIX socket path can have at most "
                        + MAX_SOCKET_PATH_BYTES + " bytes, this one has " + bytes);
            }
        }
        String myip = readEndpoint(section, "myip", "192.168.1.1:80");
        String metrics = readEndpoint(section, "metrics", "127.0.0.1:9100");
        if (noExceptionPath && interfaces != null) {
            checkListenable(section, "myip", myip, interfaces);
            checkListenable(section, "metrics", metrics, interfaces);
        }
        return new ControlConfig(socket, myip, metrics);
    }

    /** An endpoint on one of the appliance's own addresses, without the exception path: an error. */
    private void checkListenable(NodeReader.Section section, String key, String endpoint,
                                 List<InterfaceConfig> interfaces) {
        if (endpoint == null) {
            return;
        }
        int address = ControlConfig.addressOf(endpoint);
        InterfaceConfig i = InterfaceConfig.withAddress(interfaces, address);
        if (i != null) {
            reader.error(section.value(key), "control." + key + ": " + Ipv4.format(address) + " is an address of"
                    + " interface '" + i.name() + "', which this host has only through the exception path;"
                    + " with exception-path: false nothing can listen on it (set exception-path: true)");
        }
    }

    /** An optional {@code address:port} setting, returned as written. */
    private String readEndpoint(NodeReader.Section section, String key, String example) {
        Node node = section.value(key);
        if (node == null) {
            return null;
        }
        String path = section.pathOf(key);
        String text = reader.string(node, path);
        if (text == null) {
            return null;
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0 || !Ipv4.isValid(text.substring(0, colon)) || !ENDPOINT_PORT.matcher(text.substring(colon + 1)).matches()) {
            reader.error(node, path + ": expected address:port such as " + example + ", got '" + text + "'");
            return null;
        }
        int port = Integer.parseInt(text.substring(colon + 1));
        if (port > 65535) {
            reader.error(node, path + ": port must be between 1 and 65535, got " + port);
            return null;
        }
        return text;
    }
}
