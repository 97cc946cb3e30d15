package io.hairpin.engine;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.worker.Tracer;
import java.util.List;

/**
 * For a trace, on the control thread: which NAT rule a traced packet's rewrite is the work of,
 * told from the packet before and after (either direction of a flow) and the rules in force when
 * the trace is read. A session made under rules that have since changed may match none: the
 * entry then names no rule, only the kind of NAT.
 */
final class TraceRules {
    private TraceRules() {
    }

    /** A packet's addresses and ports before and after NAT (ports 0 when it has none). */
    private record Rewrite(int proto, int src, int sport, int dst, int dport, int nsrc, int nsport, int ndst,
                           int ndport) {
        boolean srcChanged() {
            return src != nsrc || sport != nsport;
        }

        boolean dstChanged() {
            return dst != ndst || dport != ndport;
        }
    }

    /** The rule behind a traced packet's NAT of the given kind ({@link Tracer}'s NAT_*), or null. */
    static TraceEntry.Rule ruleOf(int kind, long l3, long l4, long l3After, long l4After, NatConfig nat,
                                  Snapshot snap) {
        Rewrite r = rewrite(l3, l4, l3After, l4After);
        return switch (kind) {
            case Tracer.NAT_ONE_TO_ONE -> oneToOne(r, nat.oneToOne());
            case Tracer.NAT_PORT_FORWARD -> portForward(r, nat.portForwards());
            case Tracer.NAT_NAPT -> outbound(r, nat.outbound(), snap);
            case Tracer.NAT_REFLECTION -> reflected(r, nat);
            default -> null;
        };
    }

    private static Rewrite rewrite(long l3, long l4, long l3After, long l4After) {
        int proto = (int) (l4 >>> 48) & 0xff;
        boolean ports = (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP)
                && ((l4 >>> 56) & Tracer.L4_PRESENT) != 0 && ((l4After >>> 56) & Tracer.L4_PRESENT) != 0;
        return new Rewrite(proto, (int) (l3 >>> 32), ports ? port(l4, 32) : 0, (int) l3, ports ? port(l4, 16) : 0,
                (int) (l3After >>> 32), ports ? port(l4After, 32) : 0, (int) l3After, ports ? port(l4After, 16) : 0);
    }

    private static int port(long l4, int shift) {
        return (int) (l4 >>> shift) & 0xffff;
    }

    private static TraceEntry.Rule reflected(Rewrite r, NatConfig nat) {
        // the destination side names the rule a client reached the server by (1:1 or port forward);
        // an answer is told by its source side, unless the client's own 1:1 rule maps its
        // destination (a client with a 1:1 address of its own): then that rule is named
        List<NatConfig.PortForward> forwards = nat.portForwards();
        TraceEntry.Rule rule = null;
        if (r.dstChanged()) {
            rule = oneToOne(nat.oneToOne(), r.dst(), r.ndst(), false);
            rule = rule != null ? rule : portForward(forwards, r.proto(), r.dst(), r.dport(), r.ndst(), r.ndport(), true);
        }
        if (rule == null && r.srcChanged()) {
            rule = oneToOne(nat.oneToOne(), r.src(), r.nsrc(), true);
            rule = rule != null ? rule : portForward(forwards, r.proto(), r.src(), r.sport(), r.nsrc(), r.nsport(), false);
        }
        return rule == null ? null : new TraceEntry.Rule(rule.kind(), rule.index(), true);
    }

    private static TraceEntry.Rule oneToOne(Rewrite r, List<NatConfig.OneToOne> rules) {
        TraceEntry.Rule rule = r.srcChanged() ? oneToOne(rules, r.src(), r.nsrc(), true) : null;
        return rule == null && r.dstChanged() ? oneToOne(rules, r.dst(), r.ndst(), false) : rule;
    }

    /**
     * The 1:1 rule that maps address to translated: from its internal range to its external one
     * (an internal host's packet going out), or the other way (a packet to an external address).
     */
    private static TraceEntry.Rule oneToOne(List<NatConfig.OneToOne> rules, int address, int translated,
                                            boolean fromInternal) {
        for (int i = 0; i < rules.size(); i++) {
            NatConfig.OneToOne b = rules.get(i);
            int from = fromInternal ? b.internal() : b.external();
            int to = fromInternal ? b.external() : b.internal();
            if (!b.noBinat() && in(address, from, b.prefixLength())
                    && translated == (to | hostBits(address, b.prefixLength()))) {
                return new TraceEntry.Rule(TraceEntry.RuleKind.ONE_TO_ONE, i, false);
            }
        }
        return null;
    }

    private static TraceEntry.Rule portForward(Rewrite r, List<NatConfig.PortForward> rules) {
        TraceEntry.Rule rule = r.dstChanged()
                ? portForward(rules, r.proto(), r.dst(), r.dport(), r.ndst(), r.ndport(), true) : null;
        return rule == null && r.srcChanged()
                ? portForward(rules, r.proto(), r.src(), r.sport(), r.nsrc(), r.nsport(), false) : rule;
    }

    /**
     * The port forward that maps address:port to translated:translatedPort: from its external
     * address and ports to the internal ones (a packet to the forwarded port), or back (the
     * server's answer).
     */
    private static TraceEntry.Rule portForward(List<NatConfig.PortForward> rules, int proto, int address, int port,
                                               int translated, int translatedPort, boolean fromExternal) {
        for (int i = 0; i < rules.size(); i++) {
            NatConfig.PortForward f = rules.get(i);
            int fromAddress = fromExternal ? f.external() : f.internal();
            int fromLow = fromExternal ? f.externalPortLow() : f.internalPortLow();
            int toAddress = fromExternal ? f.internal() : f.external();
            int toLow = fromExternal ? f.internalPortLow() : f.externalPortLow();
            if (carries(f, proto) && address == fromAddress && port >= fromLow
                    && port <= fromLow + f.externalPortHigh() - f.externalPortLow() && translated == toAddress
                    && translatedPort == toLow + port - fromLow) {
                return new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, i, false);
            }
        }
        return null;
    }

    /**
     * Outbound NAT: the first rule whose source prefix holds the inside host and whose addresses
     * (its pool, or its interface's) the outside one, the inside host being the source before NAT
     * going out and the destination after it coming back.
     */
    private static TraceEntry.Rule outbound(Rewrite r, List<NatConfig.Outbound> rules, Snapshot snap) {
        boolean out = r.srcChanged();
        int inside = out ? r.src() : r.ndst();
        int outside = out ? r.nsrc() : r.dst();
        for (int i = 0; i < rules.size(); i++) {
            NatConfig.Outbound o = rules.get(i);
            if (in(inside, o.sourcePrefix(), o.sourcePrefixLength()) && translatesTo(o, outside, snap)) {
                return new TraceEntry.Rule(TraceEntry.RuleKind.OUTBOUND, i, false);
            }
        }
        return null;
    }

    private static boolean translatesTo(NatConfig.Outbound o, int address, Snapshot snap) {
        int[] addresses = o.pool().length > 0 ? o.pool()
                : o.iface() < snap.interfaceCount ? snap.addresses[o.iface()] : new int[0];
        for (int a : addresses) {
            if (a == address) {
                return true;
            }
        }
        return false;
    }

    private static boolean carries(NatConfig.PortForward f, int proto) {
        return proto == Ipv4.PROTO_TCP ? (f.protocols() & NatConfig.PROTO_TCP) != 0
                : proto == Ipv4.PROTO_UDP && (f.protocols() & NatConfig.PROTO_UDP) != 0;
    }

    private static boolean in(int address, int network, int prefixLength) {
        return (address & Ipv4.mask(prefixLength)) == network;
    }

    private static int hostBits(int address, int prefixLength) {
        return address & ~Ipv4.mask(prefixLength);
    }
}
