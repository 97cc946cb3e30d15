package io.hairpin.control.config;

import io.hairpin.control.config.NatSettings.AddressMatch;
import io.hairpin.control.config.NatSettings.Filtering;
import io.hairpin.control.config.NatSettings.InboundAllow;
import io.hairpin.control.config.NatSettings.PortProtocol;
import io.hairpin.control.config.NatSettings.PortRange;
import io.hairpin.control.config.NatSettings.Reflection;
import io.hairpin.control.config.NatSettings.ReflectionSource;
import io.hairpin.control.config.NatSettings.Timeouts;
import io.hairpin.control.config.OutboundRule.Translation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the {@code nat} section (product spec §2, §3, §8) for {@link ConfigLoader}. Everything that can be
 * judged from one value or one rule is checked here (syntax, ranges, aligned subnets, equal sizes); what
 * needs the rest of the config (interface names and addresses, one rule against another) is
 * {@link ConfigValidator}'s.
 */
final class NatSectionReader {

    static final List<String> NAT_KEYS = List.of("reflection", "reflection-source", "filtering", "timeouts",
            "max-sessions", "max-sessions-per-host", "one-to-one", "port-forwards", "outbound");
    static final List<String> TIMEOUT_KEYS = List.of("udp", "tcp-established", "tcp-transitory", "icmp");
    static final List<String> ONE_TO_ONE_KEYS = List.of("interface", "external", "internal", "no-binat", "destination",
            "reflection", "reflection-source", "proxy-arp", "inbound", "description", "disabled");
    static final List<String> PORT_FORWARD_KEYS = List.of("interface", "protocol", "external", "internal", "source",
            "reflection", "reflection-source", "description", "disabled");
    static final List<String> OUTBOUND_KEYS =
            List.of("interface", "source", "translation", "static-port", "description", "disabled");

    /** Upper bound of every timeout: a week. */
    static final int MAX_TIMEOUT_SECONDS = 7 * 86_400;

    private static final List<String> ENABLE_DISABLE = List.of("enable", "disable");
    private static final Pattern PORTS = Pattern.compile("([0-9]{1,9})(?:-([0-9]{1,9}))?");
    private static final String INBOUND_EXAMPLE = "'any' or a list such as [tcp/80, udp/5000-5010, icmp]";

    private final NodeReader reader;

    NatSectionReader(NodeReader reader) {
        this.reader = reader;
    }

    /** The settings and rules; null, after reporting, if anything in the section is wrong. */
    NatSettings read(Node node) {
        int errorsBefore = reader.errorCount();
        NodeReader.Section nat = reader.section(node, "nat", "a mapping of NAT settings and rules", NAT_KEYS);
        if (nat == null) {
            return null;
        }
        NatSettings defaults = NatSettings.defaults();

        Node reflectionNode = nat.value("reflection");
        String reflection = reflectionNode == null ? "enable" : reader.word(reflectionNode, "nat.reflection", ENABLE_DISABLE);

        Node sourceNode = nat.value("reflection-source");
        ReflectionSource reflectionSource = sourceNode == null ? defaults.reflectionSource()
                : choice(sourceNode, "nat.reflection-source", ReflectionSource.values(), ReflectionSource::configName);

        Node filteringNode = nat.value("filtering");
        Filtering filtering = filteringNode == null ? defaults.filtering()
                : choice(filteringNode, "nat.filtering", Filtering.values(), Filtering::configName);

        Node timeoutsNode = nat.value("timeouts");
        Timeouts timeouts = timeoutsNode == null ? Timeouts.DEFAULTS : readTimeouts(timeoutsNode);

        Node maxSessionsNode = nat.value("max-sessions");
        Integer maxSessions = maxSessionsNode == null ? Integer.valueOf(NatSettings.DEFAULT_MAX_SESSIONS)
                : reader.integer(maxSessionsNode, "nat.max-sessions", 1, NatSettings.MAX_SESSIONS_LIMIT);

        Node perHostNode = nat.value("max-sessions-per-host");
        Integer maxSessionsPerHost = perHostNode == null ? Integer.valueOf(0)
                : reader.integer(perHostNode, "nat.max-sessions-per-host", 0, NatSettings.MAX_SESSIONS_LIMIT);

        List<OneToOneRule> oneToOne = readRules(nat, "one-to-one", "a list of 1:1 rules", this::readOneToOne);
        List<PortForwardRule> portForwards = readRules(nat, "port-forwards", "a list of port forwards", this::readPortForward);
        List<OutboundRule> outbound = readRules(nat, "outbound", "a list of outbound NAT rules", this::readOutbound);

        if (reader.errorCount() > errorsBefore) {
            return null;
        }
        return new NatSettings("enable".equals(reflection), reflectionSource, filtering, timeouts, maxSessions,
                maxSessionsPerHost, oneToOne, portForwards, outbound);
    }

    private <E extends Enum<E>> E choice(Node node, String path, E[] values, Function<E, String> configName) {
        List<String> words = Arrays.stream(values).map(configName).toList();
        String word = reader.word(node, path, words);
        return word == null ? null : values[words.indexOf(word)];
    }

    // --- timeouts ---

    private Timeouts readTimeouts(Node node) {
        NodeReader.Section section = reader.section(node, "nat.timeouts",
                "a mapping of idle timeouts in seconds (" + String.join(", ", TIMEOUT_KEYS) + ")", TIMEOUT_KEYS);
        if (section == null) {
            return null;
        }
        Timeouts defaults = Timeouts.DEFAULTS;
        Integer udp = timeout(section, "udp", defaults.udp(), 120, "RFC 4787 REQ-5");
        Integer established = timeout(section, "tcp-established", defaults.tcpEstablished(), 7440, "RFC 5382 REQ-5");
        Integer transitory = timeout(section, "tcp-transitory", defaults.tcpTransitory(), 240, "RFC 5382 REQ-5");
        Integer icmp = timeout(section, "icmp", defaults.icmp(), 60, "RFC 5508 REQ-1");
        if (udp == null || established == null || transitory == null || icmp == null) {
            return null;
        }
        return new Timeouts(udp, established, transitory, icmp);
    }

    /** One timeout in seconds, at least the RFC's minimum and at most a week. */
    private Integer timeout(NodeReader.Section section, String key, int defaultSeconds, int minimum, String rfc) {
        Node node = section.value(key);
        if (node == null) {
            return defaultSeconds;
        }
        String path = section.pathOf(key);
        Long seconds = reader.number(node, path);
        if (seconds == null) {
            return null;
        }
        String text = ((ScalarNode) node).getValue();
        if (seconds < minimum) {
            reader.error(node, path + ": " + text + " seconds is below the minimum of " + minimum + " (" + rfc + ")");
            return null;
        }
        if (seconds > MAX_TIMEOUT_SECONDS) {
            reader.error(node, path + ": " + text + " seconds is above the maximum of " + MAX_TIMEOUT_SECONDS + " (7 days)");
            return null;
        }
        return seconds.intValue();
    }

    // --- rule lists ---

    private <T> List<T> readRules(NodeReader.Section nat, String key, String expected, BiFunction<Node, String, T> readRule) {
        Node node = nat.value(key);
        if (node == null) {
            return List.of();
        }
        String path = nat.pathOf(key);
        List<Node> items = reader.list(node, path, expected);
        if (items == null) {
            return null;
        }
        // Holds a null for every broken rule; the section is then dropped as a whole.
        List<T> rules = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            rules.add(readRule.apply(items.get(i), path + "[" + i + "]"));
        }
        return rules;
    }

    private OneToOneRule readOneToOne(Node node, String path) {
        int errorsBefore = reader.errorCount();
        NodeReader.Section rule = reader.section(node, path, "a mapping of 1:1 rule settings", ONE_TO_ONE_KEYS);
        if (rule == null) {
            return null;
        }
        String interfaceName = interfaceName(rule);
        Boolean noBinat = bool(rule, "no-binat", false);

        Cidr internal = null;
        Node internalNode = rule.required("internal");
        if (internalNode != null) {
            internal = alignedRange(internalNode, rule.pathOf("internal"));
        }

        Cidr external = null;
        if (Boolean.TRUE.equals(noBinat)) {
            if (rule.has("external")) {
                reader.error(rule.keyNode("external"), rule.pathOf("external") + ": a no-binat rule has no external address"
                        + " (it only keeps its internal addresses out of the 1:1 rules after it); remove external or no-binat");
            }
        } else if (noBinat != null) {
            Node externalNode = rule.required("external");
            if (externalNode != null) {
                external = alignedRange(externalNode, rule.pathOf("external"));
            }
        }
        if (external != null && internal != null && external.prefixLength() != internal.prefixLength()) {
            reader.error(internalNode, rule.pathOf("internal") + ": " + NatSettings.formatRange(internal) + " has "
                    + addressCount(internal) + " but external " + NatSettings.formatRange(external) + " has "
                    + addressCount(external) + "; 1:1 subnets must be the same size");
        }

        AddressMatch destination = addressMatch(rule, "destination");
        Reflection reflection = reflection(rule);
        ReflectionSource reflectionSource = reflectionSource(rule);
        Boolean proxyArp = bool(rule, "proxy-arp", true);
        List<InboundAllow> inbound = readInbound(rule);
        String description = description(rule);
        Boolean disabled = bool(rule, "disabled", false);

        if (reader.errorCount() > errorsBefore) {
            return null;
        }
        var locations = new OneToOneRule.Locations(rule.locationOf("interface"), rule.locationOf("external"),
                rule.locationOf("internal"));
        return new OneToOneRule(interfaceName, external, internal, noBinat, destination, reflection, reflectionSource,
                proxyArp, inbound, description, disabled, rule.location(), locations);
    }

    private PortForwardRule readPortForward(Node node, String path) {
        int errorsBefore = reader.errorCount();
        NodeReader.Section rule = reader.section(node, path, "a mapping of port forward settings", PORT_FORWARD_KEYS);
        if (rule == null) {
            return null;
        }
        String interfaceName = interfaceName(rule);

        PortProtocol protocol = null;
        Node protocolNode = rule.required("protocol");
        if (protocolNode != null) {
            protocol = choice(protocolNode, rule.pathOf("protocol"), PortProtocol.values(), PortProtocol::configName);
        }

        Endpoint external = endpoint(rule, "external");
        Endpoint internal = endpoint(rule, "internal");
        if (external != null && internal != null && external.ports().size() != internal.ports().size()) {
            reader.error(rule.value("internal"), rule.pathOf("internal") + ": " + portCount(internal.ports(), "internal")
                    + " for " + portCount(external.ports(), "external") + "; a range is forwarded port for port,"
                    + " so both must be the same length");
        }

        AddressMatch source = addressMatch(rule, "source");
        Reflection reflection = reflection(rule);
        ReflectionSource reflectionSource = reflectionSource(rule);
        String description = description(rule);
        Boolean disabled = bool(rule, "disabled", false);

        if (reader.errorCount() > errorsBefore) {
            return null;
        }
        var locations = new PortForwardRule.Locations(rule.locationOf("interface"), rule.locationOf("external"),
                rule.locationOf("internal"));
        return new PortForwardRule(interfaceName, protocol, external.address(), external.ports(), internal.address(),
                internal.ports(), source, reflection, reflectionSource, description, disabled, rule.location(), locations);
    }

    private OutboundRule readOutbound(Node node, String path) {
        int errorsBefore = reader.errorCount();
        NodeReader.Section rule = reader.section(node, path, "a mapping of outbound NAT settings", OUTBOUND_KEYS);
        if (rule == null) {
            return null;
        }
        String interfaceName = interfaceName(rule);

        Cidr source = null;
        Node sourceNode = rule.required("source");
        if (sourceNode != null) {
            source = reader.addressOrPrefix(sourceNode, rule.pathOf("source"));
            if (source != null && source.address() != source.network()) {
                reader.error(sourceNode, rule.pathOf("source") + ": " + source + " is not a network address"
                        + " (host bits are set); did you mean " + source.networkPrefix() + "?");
            }
        }

        List<SourceLocation> translationAddresses = new ArrayList<>();
        Node translationNode = rule.value("translation");
        Translation translation = translationNode == null ? new Translation.InterfaceAddress()
                : translation(translationNode, rule.pathOf("translation"), translationAddresses);

        Boolean staticPort = bool(rule, "static-port", false);
        String description = description(rule);
        Boolean disabled = bool(rule, "disabled", false);

        if (reader.errorCount() > errorsBefore) {
            return null;
        }
        var locations = new OutboundRule.Locations(rule.locationOf("interface"), rule.locationOf("source"),
                rule.locationOf("translation"), translationAddresses);
        return new OutboundRule(interfaceName, source, translation, staticPort, description, disabled, rule.location(),
                locations);
    }

    // --- values shared by the rule kinds ---

    private String interfaceName(NodeReader.Section rule) {
        Node node = rule.required("interface");
        return node == null ? null : reader.string(node, rule.pathOf("interface"));
    }

    private Boolean bool(NodeReader.Section rule, String key, boolean defaultValue) {
        Node node = rule.value(key);
        return node == null ? Boolean.valueOf(defaultValue) : reader.bool(node, rule.pathOf(key));
    }

    private String description(NodeReader.Section rule) {
        Node node = rule.value("description");
        return node == null ? null : reader.string(node, rule.pathOf("description"));
    }

    private Reflection reflection(NodeReader.Section rule) {
        Node node = rule.value("reflection");
        return node == null ? Reflection.DEFAULT
                : choice(node, rule.pathOf("reflection"), Reflection.values(), Reflection::configName);
    }

    /** A rule's own reflection source, or null for the global one. */
    private ReflectionSource reflectionSource(NodeReader.Section rule) {
        Node node = rule.value("reflection-source");
        return node == null ? null
                : choice(node, rule.pathOf("reflection-source"), ReflectionSource.values(), ReflectionSource::configName);
    }

    /** A 1:1 address or subnet, which must be aligned; reported but still returned when it is not. */
    private Cidr alignedRange(Node node, String path) {
        Cidr cidr = reader.addressOrPrefix(node, path);
        if (cidr != null && cidr.address() != cidr.network()) {
            reader.error(node, path + ": " + cidr + " is misaligned (host bits are set); did you mean "
                    + cidr.networkPrefix() + "?");
        }
        return cidr;
    }

    private static String addressCount(Cidr cidr) {
        long count = 1L << (32 - cidr.prefixLength());
        return count == 1 ? "1 address" : count + " addresses";
    }

    private static String portCount(PortRange ports, String side) {
        return ports.size() == 1 ? "1 " + side + " port (" + ports + ")" : ports.size() + " " + side + " ports (" + ports + ")";
    }

    /** An optional {@code destination} or {@code source}: a prefix or address, {@code !} to invert; null if absent. */
    private AddressMatch addressMatch(NodeReader.Section rule, String key) {
        Node node = rule.value(key);
        if (node == null) {
            return null;
        }
        String path = rule.pathOf(key);
        if (NodeReader.hasLocalTag(node)) {
            String written = node.getTag().getValue() + ((ScalarNode) node).getValue();
            reader.error(node, path + ": YAML reads the unquoted " + written + " as a tag; put it in quotes: \"" + written + "\"");
            return null;
        }
        String text = reader.string(node, path);
        if (text == null) {
            return null;
        }
        boolean invert = text.startsWith("!");
        Cidr cidr = NodeReader.parseAddressOrPrefix(invert ? text.substring(1) : text);
        if (cidr == null) {
            reader.error(node, path + ": '" + text + "' is not an IPv4 address or prefix, optionally preceded by '!' to invert"
                    + " (such as 10.0.0.0/8 or \"!10.0.0.0/8\")");
            return null;
        }
        if (cidr.address() != cidr.network()) {
            String bang = invert ? "!" : "";
            reader.error(node, path + ": " + text + " is not a network address (host bits are set); did you mean "
                    + bang + cidr.networkPrefix() + "?");
            return null;
        }
        return new AddressMatch(cidr, invert);
    }

    /** A 1:1 rule's {@code inbound}: null for any (absent, or 'any'), else the list as written. */
    private List<InboundAllow> readInbound(NodeReader.Section rule) {
        Node node = rule.value("inbound");
        if (node == null) {
            return null;
        }
        String path = rule.pathOf("inbound");
        if (!(node instanceof SequenceNode)) {
            if (node instanceof ScalarNode scalar && scalar.getValue().equals("any")) {
                return null;
            }
            reader.error(node, path + ": expected " + INBOUND_EXAMPLE + ", got " + NodeReader.describe(node));
            return null;
        }
        List<Node> items = reader.list(node, path, INBOUND_EXAMPLE);
        List<InboundAllow> allowed = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            InboundAllow allow = inboundEntry(items.get(i), path + "[" + i + "]");
            if (allow != null) {
                allowed.add(allow);
            }
        }
        return allowed;
    }

    private InboundAllow inboundEntry(Node node, String path) {
        String text = reader.string(node, path);
        if (text == null) {
            return null;
        }
        int slash = text.indexOf('/');
        String name = slash < 0 ? text : text.substring(0, slash);
        int protocol = InboundAllow.protocolNumber(name);
        if (protocol < 0) {
            reader.error(node, path + ": unknown protocol '" + name + "' (expected "
                    + String.join(", ", InboundAllow.PROTOCOL_NAMES) + ", with /port or /low-high for tcp and udp)");
            return null;
        }
        if (slash < 0) {
            return new InboundAllow(protocol, InboundAllow.ALL_PORTS);
        }
        if (protocol != InboundAllow.TCP && protocol != InboundAllow.UDP) {
            reader.error(node, path + ": " + name + " has no ports; write just '" + name + "'");
            return null;
        }
        PortRange ports = ports(node, path, text.substring(slash + 1),
                path + ": expected " + name + "/port or " + name + "/low-high (such as " + name + "/443), got '" + text + "'");
        return ports == null ? null : new InboundAllow(protocol, ports);
    }

    /** {@code 80} or {@code 5000-5010}, each port 1-65535; null after reporting {@code formatError} or a range problem. */
    private PortRange ports(Node node, String path, String text, String formatError) {
        Matcher matcher = PORTS.matcher(text);
        if (!matcher.matches()) {
            reader.error(node, formatError);
            return null;
        }
        String[] written = matcher.group(2) == null ? new String[] {matcher.group(1)}
                : new String[] {matcher.group(1), matcher.group(2)};
        for (String port : written) {
            int value = Integer.parseInt(port);
            if (value < 1 || value > 65535) {
                reader.error(node, path + ": port must be between 1 and 65535, got " + port);
                return null;
            }
        }
        int low = Integer.parseInt(written[0]);
        int high = Integer.parseInt(written[written.length - 1]);
        if (low > high) {
            reader.error(node, path + ": port range " + text + " is reversed; write the low port first");
            return null;
        }
        return new PortRange(low, high);
    }

    private record Endpoint(int address, PortRange ports) {}

    /** A required {@code address:port} or {@code address:low-high}. */
    private Endpoint endpoint(NodeReader.Section rule, String key) {
        Node node = rule.required(key);
        if (node == null) {
            return null;
        }
        String path = rule.pathOf(key);
        String text = reader.string(node, path);
        if (text == null) {
            return null;
        }
        String formatError = path + ": expected address:port or address:low-high (such as 203.0.113.1:8080"
                + " or 203.0.113.1:5000-5010), got '" + text + "'";
        int colon = text.lastIndexOf(':');
        if (colon < 0 || !Ipv4.isValid(text.substring(0, colon))) {
            reader.error(node, formatError);
            return null;
        }
        PortRange ports = ports(node, path, text.substring(colon + 1), formatError);
        return ports == null ? null : new Endpoint(Ipv4.parse(text.substring(0, colon)), ports);
    }

    /** An outbound rule's translation; fills {@code itemLocations} for a list. */
    private Translation translation(Node node, String path, List<SourceLocation> itemLocations) {
        String expected = path + ": expected 'interface', an IPv4 address, a pool prefix such as 203.0.113.32/29"
                + " or a list of addresses, got ";
        if (node instanceof SequenceNode sequence) {
            List<Node> items = sequence.getValue();
            if (items.isEmpty()) {
                reader.error(node, path + ": at least one address is required (or write 'interface')");
                return null;
            }
            List<Integer> addresses = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                Node item = items.get(i);
                itemLocations.add(reader.locate(item));
                Integer address = reader.ipv4(item, path + "[" + i + "]");
                if (address == null) {
                    continue;
                }
                if (addresses.contains(address)) {
                    reader.error(item, path + "[" + i + "]: " + Ipv4.format(address) + " is listed twice");
                    continue;
                }
                addresses.add(address);
            }
            return addresses.size() == items.size() ? new Translation.Addresses(addresses) : null;
        }
        if (!(node instanceof ScalarNode scalar) || NodeReader.isNull(node)) {
            reader.error(node, expected + NodeReader.describe(node));
            return null;
        }
        String text = scalar.getValue();
        if (text.equals("interface")) {
            return new Translation.InterfaceAddress();
        }
        Cidr cidr = NodeReader.parseAddressOrPrefix(text);
        if (cidr == null) {
            reader.error(node, expected + "'" + text + "'");
            return null;
        }
        if (text.indexOf('/') < 0) {
            return new Translation.Address(cidr.address());
        }
        if (cidr.address() != cidr.network()) {
            reader.error(node, path + ": " + cidr + " is misaligned (host bits are set); did you mean "
                    + cidr.networkPrefix() + "?");
            return null;
        }
        if (cidr.prefixLength() < OutboundRule.MIN_POOL_PREFIX_LENGTH) {
            reader.error(node, path + ": a pool of " + addressCount(cidr) + " is too large; the largest pool is a /"
                    + OutboundRule.MIN_POOL_PREFIX_LENGTH + " (65536 addresses)");
            return null;
        }
        return new Translation.Pool(cidr);
    }
}
