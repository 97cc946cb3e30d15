package io.hairpin.engine;

/**
 * One NAT session as the control plane shows it. Addresses are IPv4 ints (first octet most
 * significant); ports are ICMP echo identifiers for ICMP (0 where there is none).
 *
 * <ul>
 *   <li>An outbound session (NAPT, or 1:1 with an inbound list): inside = the internal host as
 *       it sent, outside = what it was translated to, remote = the far end.</li>
 *   <li>A port forward: inside = the server, outside = the public address and port the remote
 *       reached, remote = the remote client.</li>
 *   <li>Reflection (hairpin): inside = the internal client, outside = the identity it was given,
 *       remote = the internal server it reached.</li>
 * </ul>
 *
 * @param tcpState        TCP flags seen ({@link #TCP_SYN_ORIGINAL} …; 0 for UDP and ICMP)
 * @param expiresInMillis time left before the idle timeout removes the session
 * @param rule            the rule that opened it, reflected for reflection; null when it is none of
 *                        the rules in force (opened under rules since changed)
 */
public record SessionView(int protocol, int insideIp, int insidePort, int outsideIp, int outsidePort, int remoteIp,
                          int remotePort, int tcpState, long expiresInMillis, TraceEntry.Rule rule) {
    /** SYN seen in the session's original direction (its first packet's). */
    public static final int TCP_SYN_ORIGINAL = 1;
    /** SYN seen in the reply direction. */
    public static final int TCP_SYN_REPLY = 2;
    public static final int TCP_FIN_ORIGINAL = 4;
    public static final int TCP_FIN_REPLY = 8;
    public static final int TCP_RST = 16;

    /**
     * Builds the view of a session from its first flow: the tuple it matches and the tuple it is
     * rewritten to, packed as {@link io.hairpin.engine.session.SessionTable} packs them; rule is the
     * rule that opened it (its reflected flag is set here) or null.
     */
    public static SessionView of(long k1, long k2, long rk1, long rk2, int tcpState, long expiresInMillis,
                                 TraceEntry.Rule rule) {
        int proto = (int) (k2 >>> 32);
        int src = (int) (k1 >>> 32);
        int dst = (int) k1;
        int sp = (int) (k2 >>> 16) & 0xffff;
        int dp = (int) k2 & 0xffff;
        int rsrc = (int) (rk1 >>> 32);
        int rdst = (int) rk1;
        int rsp = (int) (rk2 >>> 16) & 0xffff;
        int rdp = (int) rk2 & 0xffff;
        boolean srcChanged = src != rsrc || sp != rsp;
        boolean dstChanged = dst != rdst || dp != rdp;
        if (dstChanged && !srcChanged) {
            return new SessionView(proto, rdst, rdp, dst, dp, src, sp, tcpState, expiresInMillis, rule);
        }
        if (srcChanged && dstChanged) {
            TraceEntry.Rule reflected = rule == null ? null : new TraceEntry.Rule(rule.kind(), rule.index(), true);
            return new SessionView(proto, src, sp, rsrc, rsp, rdst, rdp, tcpState, expiresInMillis, reflected);
        }
        return new SessionView(proto, src, sp, rsrc, rsp, dst, dp, tcpState, expiresInMillis, rule);
    }

    /** "established", "closing", "opening" for TCP; "" otherwise. */
    public String tcpStateName() {
        if (protocol != 6) {
            return "";
        }
        if ((tcpState & (TCP_FIN_ORIGINAL | TCP_FIN_REPLY | TCP_RST)) != 0) {
            return "closing";
        }
        return (tcpState & (TCP_SYN_ORIGINAL | TCP_SYN_REPLY)) == (TCP_SYN_ORIGINAL | TCP_SYN_REPLY)
                ? "established" : "opening";
    }
}
