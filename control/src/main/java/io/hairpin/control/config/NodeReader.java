package io.hairpin.control.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions.ScalarStyle;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads typed values out of a composed YAML node tree and collects every problem as a {@link ConfigError}.
 * Conversions report their error and return null, so a caller can keep walking and report more.
 */
final class NodeReader {

    // Plain decimal only: YAML 1.1 would also read 0x10, 010 (octal), 1_000 and 1:30 as integers.
    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");

    private final String file;
    private final List<ConfigError> errors = new ArrayList<>();

    NodeReader(String file) {
        this.file = file;
    }

    List<ConfigError> errors() {
        return errors;
    }

    int errorCount() {
        return errors.size();
    }

    SourceLocation locate(Node node) {
        return locate(node.getStartMark());
    }

    SourceLocation locate(Mark mark) {
        return new SourceLocation(file, mark.getLine() + 1, mark.getColumn() + 1);
    }

    void error(Node at, String message) {
        error(locate(at), message);
    }

    void error(SourceLocation at, String message) {
        errors.add(new ConfigError(at, message));
    }

    static boolean isNull(Node node) {
        return node instanceof ScalarNode scalar && Tag.NULL.equals(scalar.getTag());
    }

    /** How a node looks, for "expected X, got Y" messages. */
    static String describe(Node node) {
        return switch (node) {
            case MappingNode m -> "a mapping";
            case SequenceNode s -> "a list";
            case ScalarNode s when isNull(s) -> "nothing";
            case ScalarNode s when s.getScalarStyle() == ScalarStyle.PLAIN -> "'" + s.getValue() + "'";
            case ScalarNode s -> "the quoted string '" + s.getValue() + "'";
            default -> "a " + node.getNodeId();
        };
    }

    /**
     * The entries of a mapping, checking that every key is one of {@code allowedKeys} and appears once.
     * Returns null (after reporting) if {@code node} is not a mapping.
     *
     * @param path where the mapping is, e.g. {@code interfaces[0]}; empty for the top level
     * @param expected what the mapping holds, for the error when it is something else
     */
    Section section(Node node, String path, String expected, List<String> allowedKeys) {
        if (!(node instanceof MappingNode mapping)) {
            error(node, (path.isEmpty() ? "" : path + ": ") + "expected " + expected + ", got " + describe(node));
            return null;
        }
        String sectionName = path.isEmpty() ? "the top-level mapping" : path;
        Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                error(tuple.getKeyNode(), "keys in " + sectionName + " must be plain words, got " + describe(tuple.getKeyNode()));
                continue;
            }
            String key = keyNode.getValue();
            if (!allowedKeys.contains(key)) {
                error(keyNode, "unknown key '" + key + "' in " + sectionName
                        + " (expected one of: " + String.join(", ", allowedKeys) + ")");
                continue;
            }
            NodeTuple first = entries.putIfAbsent(key, tuple);
            if (first != null) {
                error(keyNode, "duplicate key '" + key + "' in " + sectionName
                        + " (first at line " + locate(first.getKeyNode()).line() + ")");
            }
        }
        return new Section(mapping, path, sectionName, entries);
    }

    /** One checked mapping. */
    final class Section {
        private final MappingNode node;
        private final String path;
        private final String name;
        private final Map<String, NodeTuple> entries;

        private Section(MappingNode node, String path, String name, Map<String, NodeTuple> entries) {
            this.node = node;
            this.path = path;
            this.name = name;
            this.entries = entries;
        }

        SourceLocation location() {
            return locate(node);
        }

        /** The path of a key in this section, e.g. {@code interfaces[0].mtu}. */
        String pathOf(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }

        boolean has(String key) {
            return entries.containsKey(key);
        }

        Node keyNode(String key) {
            NodeTuple tuple = entries.get(key);
            return tuple == null ? null : tuple.getKeyNode();
        }

        /** The value of an optional key; null when the key is absent or its value is YAML null (empty). */
        Node value(String key) {
            NodeTuple tuple = entries.get(key);
            return tuple == null || isNull(tuple.getValueNode()) ? null : tuple.getValueNode();
        }

        /** The value of a required key; null, after reporting, when it is absent or empty. */
        Node required(String key) {
            NodeTuple tuple = entries.get(key);
            if (tuple == null) {
                error(node, "missing required key '" + key + "' in " + name);
                return null;
            }
            if (isNull(tuple.getValueNode())) {
                error(tuple.getKeyNode(), pathOf(key) + ": missing value");
                return null;
            }
            return tuple.getValueNode();
        }

        /** Where a key is, or where the section starts if the key is absent. */
        SourceLocation keyLocationOf(String key) {
            NodeTuple tuple = entries.get(key);
            return tuple == null ? location() : locate(tuple.getKeyNode());
        }

        /** Where a key's value is, or where the section starts if the key is absent or empty. */
        SourceLocation locationOf(String key) {
            NodeTuple tuple = entries.get(key);
            if (tuple == null) {
                return location();
            }
            return isNull(tuple.getValueNode()) ? locate(tuple.getKeyNode()) : locate(tuple.getValueNode());
        }
    }

    /** The items of a list, or null (after reporting) if the node is something else. */
    List<Node> list(Node node, String path, String expected) {
        if (node instanceof SequenceNode sequence) {
            return sequence.getValue();
        }
        error(node, path + ": expected " + expected + ", got " + describe(node));
        return null;
    }

    String string(Node node, String path) {
        if (node instanceof ScalarNode scalar && !isNull(scalar)) {
            return scalar.getValue();
        }
        error(node, path + ": expected a string, got " + describe(node));
        return null;
    }

    Integer integer(Node node, String path, int min, int max) {
        Long value = number(node, path);
        if (value == null) {
            return null;
        }
        if (value < min || value > max) {
            error(node, path + ": must be between " + min + " and " + max + ", got " + ((ScalarNode) node).getValue());
            return null;
        }
        return value.intValue();
    }

    /**
     * A plain decimal integer of any size, for callers that check the range themselves and want their own
     * message. More digits than a long holds come back as {@link Long#MAX_VALUE} or {@link Long#MIN_VALUE}:
     * out of range, not "not an integer".
     */
    Long number(Node node, String path) {
        if (node instanceof ScalarNode scalar
                && scalar.getScalarStyle() == ScalarStyle.PLAIN
                && DECIMAL.matcher(scalar.getValue()).matches()) {
            String text = scalar.getValue();
            if (text.length() > 18) {
                return text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
            return Long.parseLong(text);
        }
        error(node, path + ": expected an integer, got " + describe(node));
        return null;
    }

    /**
     * One of a fixed set of words, e.g. {@code enable} or {@code disable}; null (after reporting) for
     * anything else.
     */
    String word(Node node, String path, List<String> words) {
        String text = string(node, path);
        if (text == null) {
            return null;
        }
        if (!words.contains(text)) {
            error(node, path + ": expected " + listOfWords(words) + ", got '" + text + "'");
            return null;
        }
        return text;
    }

    /** {@code 'a' or 'b'}, {@code 'a', 'b' or 'c'}. */
    static String listOfWords(List<String> words) {
        List<String> quoted = words.stream().map(w -> "'" + w + "'").toList();
        return quoted.size() == 1 ? quoted.getFirst()
                : String.join(", ", quoted.subList(0, quoted.size() - 1)) + " or " + quoted.getLast();
    }

    Boolean bool(Node node, String path) {
        if (node instanceof ScalarNode scalar && scalar.getScalarStyle() == ScalarStyle.PLAIN) {
            switch (scalar.getValue()) {
                case "true", "True", "TRUE" -> {
                    return true;
                }
                case "false", "False", "FALSE" -> {
                    return false;
                }
                default -> { }
            }
        }
        error(node, path + ": expected true or false, got " + describe(node));
        return null;
    }

    Integer ipv4(Node node, String path) {
        if (!(node instanceof ScalarNode scalar) || isNull(node)) {
            error(node, path + ": expected an IPv4 address, got " + describe(node));
            return null;
        }
        try {
            return Ipv4.parse(scalar.getValue());
        } catch (IllegalArgumentException e) {
            error(node, path + ": " + e.getMessage());
            return null;
        }
    }

    /** A unicast MAC address written as six colon-separated hex bytes; the low 48 bits of a long. */
    Long mac(Node node, String path) {
        if (node instanceof ScalarNode scalar && !isNull(node)
                && scalar.getValue().matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")) {
            long mac = Long.parseLong(scalar.getValue().replace(":", ""), 16);
            if ((mac & 0x0100_0000_0000L) != 0 || mac == 0) {
                error(node, path + ": " + scalar.getValue() + " is not a unicast address (the first byte must be even and the address non-zero)");
                return null;
            }
            return mac;
        }
        error(node, path + ": expected a MAC address such as 02:00:5e:00:00:01, got " + describe(node));
        return null;
    }

    /**
     * An IPv4 address ({@code 192.0.2.7}, read as a /32) or an address with a prefix length
     * ({@code 192.0.2.0/24}), host bits as written.
     */
    Cidr addressOrPrefix(Node node, String path) {
        if (!(node instanceof ScalarNode scalar) || isNull(node)) {
            error(node, path + ": expected an IPv4 address or prefix (such as 192.0.2.1 or 192.0.2.0/24), got "
                    + describe(node));
            return null;
        }
        Cidr cidr = parseAddressOrPrefix(scalar.getValue());
        if (cidr == null) {
            error(node, path + ": '" + scalar.getValue() + "' is not an IPv4 address or prefix"
                    + " (such as 192.0.2.1 or 192.0.2.0/24)");
        }
        return cidr;
    }

    /** {@code 192.0.2.7} as a /32 or {@code 192.0.2.0/24}; null if {@code text} is neither. */
    static Cidr parseAddressOrPrefix(String text) {
        try {
            return text.indexOf('/') < 0 ? new Cidr(Ipv4.parse(text), 32) : Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether {@code node} is a scalar carrying a YAML tag of the file's own ({@code !something}), as an
     * unquoted {@code !10.0.0.0/8} is read.
     */
    static boolean hasLocalTag(Node node) {
        return node instanceof ScalarNode && node.getTag().getValue().startsWith("!");
    }

    Cidr cidr(Node node, String path) {
        if (!(node instanceof ScalarNode scalar) || isNull(node)) {
            error(node, path + ": expected an IPv4 address with prefix length (such as 192.0.2.1/24), got " + describe(node));
            return null;
        }
        try {
            return Cidr.parse(scalar.getValue());
        } catch (IllegalArgumentException e) {
            error(node, path + ": " + e.getMessage());
            return null;
        }
    }
}
