package io.hairpin.engine.nat;

import java.util.List;

/**
 * The NAT rules as the control plane hands them to the engine (no YAML, no names): interfaces
 * by index into {@link io.hairpin.engine.EngineConfig#interfaces()}, addresses as IPv4 ints,
 * rules in list order (first match wins within a kind; disabled rules are not passed at all).
 */
public record NatConfig(boolean reflection, ReflectionSource reflectionSource, Filtering filtering, Timeouts timeouts,
                        int maxSessions, int maxSessionsPerHost, List<OneToOne> oneToOne, List<PortForward> portForwards,
                        List<Outbound> outbound) {

    public NatConfig {
        oneToOne = List.copyOf(oneToOne);
        portForwards = List.copyOf(portForwards);
        outbound = List.copyOf(outbound);
    }

    /** No rules at all: the appliance is a plain router. */
    public static NatConfig none() {
        return new NatConfig(true, ReflectionSource.MAPPED, Filtering.ADDRESS_DEPENDENT, Timeouts.DEFAULTS, 1_000_000,
                0, List.of(), List.of(), List.of());
    }

    public enum ReflectionSource { MAPPED, INTERFACE }

    public enum Filtering { ENDPOINT_INDEPENDENT, ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT }

    /** Per-rule override of the global reflection setting. */
    public enum Reflection { DEFAULT, ENABLE, DISABLE }

    /** Idle timeouts in seconds; RFC minimums are enforced by the control plane. */
    public record Timeouts(int udp, int tcpEstablished, int tcpTransitory, int icmp) {
        public static final Timeouts DEFAULTS = new Timeouts(300, 7440, 240, 60);
    }

    /** A destination restriction: the rule applies only to traffic to/from this prefix (or, inverted, not to/from it). */
    public record Destination(int prefix, int prefixLength, boolean invert) {
        public static final Destination ANY = new Destination(0, 0, false);

        public boolean matches(int addr) {
            int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
            return ((addr & mask) == prefix) != invert;
        }
    }

    /** What unsolicited inbound traffic may reach a 1:1 host: protocol 0 = any protocol; ports inclusive. */
    public record InboundAllow(int protocol, int portLow, int portHigh) {
    }

    /**
     * 1:1 NAT (BINAT) of one address or an aligned subnet (host bits kept), or a No-BINAT
     * exclusion when noBinat is set (then only internal, prefixLength and destination count).
     *
     * @param inbound null for "any"; otherwise the allow list
     * @param reflectionSource null = the global setting
     */
    public record OneToOne(int iface, int external, int internal, int prefixLength, boolean noBinat,
                           Destination destination, Reflection reflection, ReflectionSource reflectionSource,
                           boolean proxyArp, List<InboundAllow> inbound, String description) {
        public OneToOne {
            inbound = inbound == null ? null : List.copyOf(inbound);
        }
    }

    /** Protocol bits of a port forward. */
    public static final int PROTO_TCP = 1;
    public static final int PROTO_UDP = 2;

    /**
     * A port forward: external address and port range → internal address and a range of the same length.
     *
     * @param protocols PROTO_TCP and/or PROTO_UDP
     * @param source    restriction on the remote source
     */
    public record PortForward(int iface, int protocols, int external, int externalPortLow, int externalPortHigh,
                              int internal, int internalPortLow, Destination source, Reflection reflection,
                              ReflectionSource reflectionSource, String description) {
    }

    /**
     * Outbound NAT (NAPT) of a source prefix to a pool of addresses (an empty pool = the
     * egress interface's address), optionally keeping source ports (static-port).
     */
    public record Outbound(int iface, int sourcePrefix, int sourcePrefixLength, int[] pool, boolean staticPort,
                           String description) {
        public Outbound {
            pool = pool.clone();
        }

        /** The pool by its addresses, not by its array. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Outbound b && iface == b.iface && sourcePrefix == b.sourcePrefix
                    && sourcePrefixLength == b.sourcePrefixLength && java.util.Arrays.equals(pool, b.pool)
                    && staticPort == b.staticPort && java.util.Objects.equals(description, b.description);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(iface, sourcePrefix, sourcePrefixLength, java.util.Arrays.hashCode(pool),
                    staticPort, description);
        }

        @Override
        public String toString() {
            return "Outbound[iface=" + iface + ", sourcePrefix=" + sourcePrefix + ", sourcePrefixLength="
                    + sourcePrefixLength + ", pool=" + java.util.Arrays.toString(pool) + ", staticPort=" + staticPort
                    + ", description=" + description + "]";
        }
    }
}
