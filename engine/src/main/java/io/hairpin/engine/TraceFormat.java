package io.hairpin.engine;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.Tracer;

/** Turns a worker's trace entry (primitives, see {@link Tracer}) into text, on the control thread. */
final class TraceFormat {
    private TraceFormat() {
    }

    static TraceEntry entry(long[] e, int at, int worker, long armedAt, Snapshot snap, NatConfig nat) {
        long ingress = e[at + Tracer.INGRESS];
        int port = (int) ingress & 0xffff;
        int vid = (int) (ingress >>> 16) & 0xffff;
        int type = (int) (ingress >>> 32) & 0xffff;
        int iface = (int) (ingress >>> 48) - 1;
        String portName = iface >= 0 ? snap.names[iface]
                : (port < snap.devices.size() ? snap.devices.get(port) : "port " + port) + (vid != 0 ? " vlan " + vid : "");
        String summary = summary(type, e[at + Tracer.BEFORE_L3], e[at + Tracer.BEFORE_L4]);
        int natWord = (int) e[at + Tracer.NAT];
        TraceEntry.Rule rule = type == Ethernet.TYPE_IPV4 && (natWord & Tracer.HAS_AFTER) != 0
                ? TraceRules.ruleOf(natWord & 0xff, e[at + Tracer.BEFORE_L3], e[at + Tracer.BEFORE_L4],
                        e[at + Tracer.AFTER_L3], e[at + Tracer.AFTER_L4], nat, snap)
                : null;
        return new TraceEntry(e[at + Tracer.NANOS] - armedAt, worker, portName, summary, verdict(e, at, type, snap), rule);
    }

    static String summary(int ethertype, long l3, long l4) {
        int src = (int) (l3 >>> 32);
        int dst = (int) l3;
        if (ethertype == Ethernet.TYPE_ARP) {
            int op = (int) (l4 >>> 32);
            return "arp " + (op == 1 ? "request " : op == 2 ? "reply " : "op " + op + " ") + Ipv4.format(src) + " > "
                    + Ipv4.format(dst);
        }
        if (ethertype != Ethernet.TYPE_IPV4) {
            return String.format("ethertype 0x%04x", ethertype);
        }
        int flags = (int) (l4 >>> 56);
        int proto = (int) (l4 >>> 48) & 0xff;
        int a = (int) (l4 >>> 32) & 0xffff;
        int b = (int) (l4 >>> 16) & 0xffff;
        int c = (int) l4 & 0xffff;
        String name = protoName(proto);
        if ((flags & Tracer.L4_LATER_FRAGMENT) != 0) {
            return name + " " + Ipv4.format(src) + " > " + Ipv4.format(dst) + " fragment";
        }
        if ((flags & Tracer.L4_PRESENT) == 0) {
            return name + " " + Ipv4.format(src) + " > " + Ipv4.format(dst);
        }
        if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
            String s = name + " " + Ipv4.format(src) + ":" + a + " > " + Ipv4.format(dst) + ":" + b;
            return proto == Ipv4.PROTO_TCP ? s + " [" + tcpFlags(c) + "]" : s;
        }
        int icmpType = a >>> 8;
        int code = a & 0xff;
        String s = "icmp " + Ipv4.format(src) + " > " + Ipv4.format(dst);
        return switch (icmpType) {
            case 8 -> s + " echo-request id " + b;
            case 0 -> s + " echo-reply id " + b;
            default -> s + " type " + icmpType + " code " + code;
        };
    }

    private static String protoName(int proto) {
        return switch (proto) {
            case Ipv4.PROTO_TCP -> "tcp";
            case Ipv4.PROTO_UDP -> "udp";
            case Ipv4.PROTO_ICMP -> "icmp";
            default -> "ipv4 proto " + proto;
        };
    }

    private static String tcpFlags(int f) {
        StringBuilder b = new StringBuilder();
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int i = 0; i < names.length; i++) {
            if ((f & (1 << i)) != 0) {
                b.append(b.isEmpty() ? "" : ",").append(names[i]);
            }
        }
        return b.toString();
    }

    static String verdict(long[] e, int at, int ethertype, Snapshot snap) {
        long v = e[at + Tracer.VERDICT];
        int outcome = (int) (v >>> 32);
        int detail = (int) v;
        int nat = (int) e[at + Tracer.NAT];
        String text = switch (outcome) {
            case Tracer.FORWARDED -> "forwarded " + ifaceName(snap, detail - 1);
            case Tracer.REPLIED -> "replied " + ifaceName(snap, detail - 1);
            case Tracer.TO_KERNEL -> "to-kernel " + ifaceName(snap, detail - 1);
            case Tracer.AWAITING_ARP -> "awaiting arp on " + ifaceName(snap, detail - 1);
            case Tracer.HANDED_OFF -> "handed to worker 0";
            case Tracer.PARKED -> "parked (a fragment waiting for its first fragment)";
            case Tracer.LEARNT -> "learnt (an ARP reply)";
            case Tracer.DROPPED -> "drop " + (detail >= 0 && detail < Counters.EVENT_NAMES.length
                    ? Counters.EVENT_NAMES[detail] : "reason " + detail);
            default -> "consumed";
        };
        int kind = nat & 0xff;
        if (kind != Tracer.NAT_NONE && (nat & Tracer.HAS_AFTER) != 0 && ethertype == Ethernet.TYPE_IPV4) {
            text += ", nat " + rewrite(e[at + Tracer.BEFORE_L3], e[at + Tracer.BEFORE_L4], e[at + Tracer.AFTER_L3],
                    e[at + Tracer.AFTER_L4]) + " (" + kindName(kind) + ((nat & Tracer.NEW_SESSION) != 0 ? ", new session" : "")
                    + ")";
        }
        if ((nat & Tracer.ICMP_ERROR_SENT) != 0) {
            text += ", icmp error sent";
        }
        return text;
    }

    private static String ifaceName(Snapshot snap, int iface) {
        return iface >= 0 && iface < snap.interfaceCount ? snap.names[iface] : "?";
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case Tracer.NAT_ONE_TO_ONE -> "1:1";
            case Tracer.NAT_NAPT -> "napt";
            case Tracer.NAT_PORT_FORWARD -> "port-forward";
            case Tracer.NAT_REFLECTION -> "reflection";
            default -> "related";
        };
    }

    /**
     * What NAT rewrote: the new source ("203.0.113.1:5000"), the new destination
     * ("> 192.168.1.20:80"), or both ("192.168.1.1:1024 > 192.168.1.20:80").
     */
    static String rewrite(long l3, long l4, long l3After, long l4After) {
        boolean ports = ((l4 >>> 56) & Tracer.L4_PRESENT) != 0 && ((l4After >>> 56) & Tracer.L4_PRESENT) != 0;
        int proto = (int) (l4 >>> 48) & 0xff;
        boolean tcpUdp = ports && (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP);
        boolean echo = ports && proto == Ipv4.PROTO_ICMP;
        int src = (int) (l3 >>> 32);
        int dst = (int) l3;
        int nsrc = (int) (l3After >>> 32);
        int ndst = (int) l3After;
        int sp = (int) (l4 >>> 32) & 0xffff;
        int dp = (int) (l4 >>> 16) & 0xffff;
        int nsp = (int) (l4After >>> 32) & 0xffff;
        int ndp = (int) (l4After >>> 16) & 0xffff;
        String s = Ipv4.format(nsrc) + (tcpUdp ? ":" + nsp : "");
        String d = Ipv4.format(ndst) + (tcpUdp ? ":" + ndp : "");
        // ICMP echo: the identifier (where the destination port would be) is translated like a port
        String id = echo && dp != ndp ? " id " + ndp : "";
        boolean srcChanged = src != nsrc || (tcpUdp && sp != nsp);
        boolean dstChanged = dst != ndst || (tcpUdp && dp != ndp);
        if (srcChanged && dstChanged) {
            return s + " > " + d + id;
        }
        return (dstChanged ? "> " + d : s) + id;
    }
}
