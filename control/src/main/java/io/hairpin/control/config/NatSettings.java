package io.hairpin.control.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code nat} section: global NAT settings and the rules of each kind, in list order (product spec
 * §2, §3). Disabled rules are kept here, so {@code hairpin check} can show them; they are dropped when
 * the config is handed to the engine.
 *
 * @param reflection whether NAT reflection (hairpin) is on unless a rule says otherwise
 * @param reflectionSource the source reflected traffic gets unless a rule says otherwise
 * @param maxSessionsPerHost 0 for no per-host limit
 */
public record NatSettings(
        boolean reflection,
        ReflectionSource reflectionSource,
        Filtering filtering,
        Timeouts timeouts,
        int maxSessions,
        int maxSessionsPerHost,
        List<OneToOneRule> oneToOne,
        List<PortForwardRule> portForwards,
        List<OutboundRule> outbound) {

    public static final int DEFAULT_MAX_SESSIONS = 1_000_000;
    public static final int MAX_SESSIONS_LIMIT = 100_000_000;

    public NatSettings {
        Objects.requireNonNull(reflectionSource, "reflectionSource");
        Objects.requireNonNull(filtering, "filtering");
        Objects.requireNonNull(timeouts, "timeouts");
        oneToOne = List.copyOf(oneToOne);
        portForwards = List.copyOf(portForwards);
        outbound = List.copyOf(outbound);
    }

    /** What a file without a {@code nat} section gets: the defaults and no rules. */
    public static NatSettings defaults() {
        return new NatSettings(true, ReflectionSource.MAPPED, Filtering.ADDRESS_DEPENDENT, Timeouts.DEFAULTS,
                DEFAULT_MAX_SESSIONS, 0, List.of(), List.of(), List.of());
    }

    public boolean hasRules() {
        return !oneToOne.isEmpty() || !portForwards.isEmpty() || !outbound.isEmpty();
    }

    /** The config-file spelling of an enum constant: lower case, '-' for '_'. */
    static String configName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The source the server sees for reflected traffic (§3). */
    public enum ReflectionSource {
        /** The client's own external mapping (RFC 4787 REQ-9, RFC 5382 REQ-8). */
        MAPPED,
        /** The appliance's internal address (pfSense "Pure NAT"). */
        INTERFACE;

        public String configName() {
            return NatSettings.configName(this);
        }
    }

    /** Which inbound packets an outbound NAT mapping lets in (RFC 4787 §5). */
    public enum Filtering {
        ENDPOINT_INDEPENDENT,
        ADDRESS_DEPENDENT,
        ADDRESS_AND_PORT_DEPENDENT;

        public String configName() {
            return NatSettings.configName(this);
        }
    }

    /** A rule's reflection setting: the global one, or on or off for this rule. */
    public enum Reflection {
        DEFAULT,
        ENABLE,
        DISABLE;

        public String configName() {
            return NatSettings.configName(this);
        }
    }

    /** What a port forward carries. */
    public enum PortProtocol {
        TCP("tcp"),
        UDP("udp"),
        TCP_UDP("tcp/udp");

        private final String configName;

        PortProtocol(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public boolean includesTcp() {
            return this != UDP;
        }

        public boolean includesUdp() {
            return this != TCP;
        }

        /** The protocols both carry, if any. */
        public Optional<PortProtocol> intersection(PortProtocol other) {
            boolean tcp = includesTcp() && other.includesTcp();
            boolean udp = includesUdp() && other.includesUdp();
            return tcp && udp ? Optional.of(TCP_UDP) : tcp ? Optional.of(TCP) : udp ? Optional.of(UDP) : Optional.empty();
        }
    }

    /** Idle timeouts in seconds. */
    public record Timeouts(int udp, int tcpEstablished, int tcpTransitory, int icmp) {
        /** The RFC defaults, which are also the RFC minimums except for UDP (minimum 120 s). */
        public static final Timeouts DEFAULTS = new Timeouts(300, 7440, 240, 60);
    }

    /**
     * A restriction to a prefix, or with {@code invert} to everything outside it ({@code !10.0.0.0/8}).
     *
     * @param prefix in network form
     */
    public record AddressMatch(Cidr prefix, boolean invert) {
        public AddressMatch {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.address() != prefix.network()) {
                throw new IllegalArgumentException("prefix must be in network form: " + prefix);
            }
        }

        /** Whether every address {@code other} matches, this matches too. */
        public boolean covers(AddressMatch other) {
            Cidr a = prefix;
            Cidr b = other.prefix;
            if (!invert && !other.invert) {
                return a.prefixLength() <= b.prefixLength() && a.contains(b.network());
            }
            if (invert && other.invert) {
                // outside A covers outside B when B covers A
                return b.prefixLength() <= a.prefixLength() && b.contains(a.network());
            }
            if (invert) {
                // outside A covers B when B and A are disjoint
                return !a.overlaps(b);
            }
            // A covers outside B only when A is everything
            return a.prefixLength() == 0;
        }

        /** As written in the config: {@code 10.0.0.0/8}, {@code !10.0.0.0/8}, {@code 192.0.2.7} for a /32. */
        @Override
        public String toString() {
            return (invert ? "!" : "") + formatRange(prefix);
        }
    }

    /** An address or a subnet as a rule writes it: no "/32" for a single address. */
    public static String formatRange(Cidr cidr) {
        return cidr.prefixLength() == 32 ? Ipv4.format(cidr.address()) : cidr.toString();
    }

    /** An inclusive port range; 0-65535 stands for every port of a protocol. */
    public record PortRange(int low, int high) {
        public PortRange {
            if (low < 0 || high > 65535 || low > high) {
                throw new IllegalArgumentException("bad port range " + low + "-" + high);
            }
        }

        public int size() {
            return high - low + 1;
        }

        public boolean overlaps(PortRange other) {
            return low <= other.high && other.low <= high;
        }

        /** The ports both hold; only meaningful when they overlap. */
        public PortRange intersection(PortRange other) {
            return new PortRange(Math.max(low, other.low), Math.min(high, other.high));
        }

        /** {@code 80} or {@code 5000-5010}. */
        @Override
        public String toString() {
            return low == high ? Integer.toString(low) : low + "-" + high;
        }
    }

    /**
     * One entry of a 1:1 rule's {@code inbound} list: an IP protocol (0 = any) and, for TCP and UDP, a
     * destination port range (0-65535 when the entry names no ports).
     */
    public record InboundAllow(int protocol, PortRange ports) {
        public static final int ANY = 0;
        public static final int ICMP = 1;
        public static final int TCP = 6;
        public static final int UDP = 17;
        public static final int GRE = 47;
        public static final int ESP = 50;
        public static final int AH = 51;
        public static final PortRange ALL_PORTS = new PortRange(0, 65535);

        /** The protocol names an entry may use, in the order error messages list them. */
        static final List<String> PROTOCOL_NAMES = List.of("tcp", "udp", "icmp", "gre", "esp", "ah", "any");

        public InboundAllow {
            Objects.requireNonNull(ports, "ports");
        }

        static int protocolNumber(String name) {
            return switch (name) {
                case "any" -> ANY;
                case "icmp" -> ICMP;
                case "tcp" -> TCP;
                case "udp" -> UDP;
                case "gre" -> GRE;
                case "esp" -> ESP;
                case "ah" -> AH;
                default -> -1;
            };
        }

        static String protocolName(int protocol) {
            return switch (protocol) {
                case ANY -> "any";
                case ICMP -> "icmp";
                case TCP -> "tcp";
                case UDP -> "udp";
                case GRE -> "gre";
                case ESP -> "esp";
                case AH -> "ah";
                default -> Integer.toString(protocol);
            };
        }

        /** As written in the config: {@code tcp/80}, {@code udp/5000-5010}, {@code icmp}, {@code tcp}. */
        @Override
        public String toString() {
            return ports.equals(ALL_PORTS) ? protocolName(protocol) : protocolName(protocol) + "/" + ports;
        }
    }
}
