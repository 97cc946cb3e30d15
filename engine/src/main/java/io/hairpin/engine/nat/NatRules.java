package io.hairpin.engine.nat;

import io.hairpin.engine.packet.ChecksumDelta;
import io.hairpin.engine.route.PrefixMap;
import java.util.List;

/**
 * The NAT rules compiled for the data plane: parallel primitive arrays per rule kind, prefix
 * maps for the 1:1 lookups, per-rule checksum deltas, and the addresses the appliance answers
 * ARP for. Lookups used per packet touch only arrays; the scans over port forwards and outbound
 * rules run only on the slow path (a packet that opens a session).
 */
public final class NatRules {
    public static final NatRules NONE = compile(NatConfig.none(), new int[0]);

    // globals
    public final boolean hasRules;
    public final NatConfig.Filtering filtering;
    public final long udpTimeoutNanos;
    public final long tcpEstablishedNanos;
    public final long tcpTransitoryNanos;
    public final long icmpTimeoutNanos;
    public final int maxSessions;
    public final int maxSessionsPerHost;

    // 1:1 (BINAT and No-BINAT), list order
    public final int binatCount;
    final int[] bIface;
    final int[] bExternal;
    final int[] bInternal;
    final int[] bMask;
    final boolean[] bNoBinat;
    final NatConfig.Destination[] bDestination;
    final boolean[] bReflect;
    final boolean[] bReflectInterface;
    final boolean[] bProxyArp;
    final boolean[] bInboundAny;
    final int[][] bInbound; // per rule: protocol, low, high triples
    /** Checksum delta of the address change internal → external (outbound); inbound is its complement. */
    final int[] bDeltaOut;
    private final int[] bCounter;
    private final PrefixMap binatByExternal;
    private final PrefixMap binatByInternal;

    // port forwards, list order
    public final int forwardCount;
    final int[] fIface;
    final int[] fProtocols;
    final int[] fExternal;
    final int[] fPortLow;
    final int[] fPortHigh;
    final int[] fInternal;
    final int[] fInternalPortLow;
    final NatConfig.Destination[] fSource;
    final boolean[] fReflect;
    final boolean[] fReflectInterface;
    private final int[] fCounter;

    // outbound NAPT, list order
    public final int outboundCount;
    final int[] oIface;
    final int[] oSource;
    final int[] oMask;
    final int[][] oPool;
    final boolean[] oStaticPort;
    private final int[] oCounter;

    /** Public addresses NAT owns, painted with (interface + 1) << 1 | proxyArp bit. */
    private final PrefixMap natAddresses;
    /** Per interface, the proxy-ARP addresses to announce at start (at most ANNOUNCE_LIMIT each). */
    private final int[][] announce;
    static final int ANNOUNCE_LIMIT = 256;

    private NatRules(NatConfig c, int interfaceCount, int[] firstAddressOfInterface, RuleIds ids) {
        if (ids.oneToOne().length != c.oneToOne().size() || ids.portForwards().length != c.portForwards().size()
                || ids.outbound().length != c.outbound().size()) {
            throw new IllegalArgumentException("counter ids for another rule set");
        }
        bCounter = ids.oneToOne().clone();
        fCounter = ids.portForwards().clone();
        oCounter = ids.outbound().clone();
        filtering = c.filtering();
        udpTimeoutNanos = c.timeouts().udp() * 1_000_000_000L;
        tcpEstablishedNanos = c.timeouts().tcpEstablished() * 1_000_000_000L;
        tcpTransitoryNanos = c.timeouts().tcpTransitory() * 1_000_000_000L;
        icmpTimeoutNanos = c.timeouts().icmp() * 1_000_000_000L;
        maxSessions = c.maxSessions();
        maxSessionsPerHost = c.maxSessionsPerHost();
        hasRules = !c.oneToOne().isEmpty() || !c.portForwards().isEmpty() || !c.outbound().isEmpty();

        List<NatConfig.OneToOne> b = c.oneToOne();
        binatCount = b.size();
        bIface = new int[binatCount];
        bExternal = new int[binatCount];
        bInternal = new int[binatCount];
        bMask = new int[binatCount];
        bNoBinat = new boolean[binatCount];
        bDestination = new NatConfig.Destination[binatCount];
        bReflect = new boolean[binatCount];
        bReflectInterface = new boolean[binatCount];
        bProxyArp = new boolean[binatCount];
        bInboundAny = new boolean[binatCount];
        bInbound = new int[binatCount][];
        bDeltaOut = new int[binatCount];
        PrefixMap.Builder byExternal = new PrefixMap.Builder();
        PrefixMap.Builder byInternal = new PrefixMap.Builder();
        PrefixMap.Builder owned = new PrefixMap.Builder();
        for (int i = binatCount - 1; i >= 0; i--) {
            NatConfig.OneToOne r = b.get(i);
            int mask = mask(r.prefixLength());
            bIface[i] = r.iface();
            bExternal[i] = r.external() & mask;
            bInternal[i] = r.internal() & mask;
            bMask[i] = mask;
            bNoBinat[i] = r.noBinat();
            bDestination[i] = r.destination() == null ? NatConfig.Destination.ANY : r.destination();
            bReflect[i] = resolve(r.reflection(), c.reflection());
            bReflectInterface[i] = (r.reflectionSource() != null ? r.reflectionSource() : c.reflectionSource())
                    == NatConfig.ReflectionSource.INTERFACE;
            bProxyArp[i] = r.proxyArp();
            bInboundAny[i] = r.inbound() == null;
            if (r.inbound() != null) {
                int[] allow = new int[r.inbound().size() * 3];
                for (int k = 0; k < r.inbound().size(); k++) {
                    NatConfig.InboundAllow a = r.inbound().get(k);
                    allow[3 * k] = a.protocol();
                    allow[3 * k + 1] = a.portLow();
                    allow[3 * k + 2] = a.portHigh();
                }
                bInbound[i] = allow;
            }
            byInternal.paint(bInternal[i], r.prefixLength(), i);
            if (!r.noBinat()) {
                bDeltaOut[i] = ChecksumDelta.delta32(bInternal[i], bExternal[i]);
                byExternal.paint(bExternal[i], r.prefixLength(), i);
            }
        }
        binatByExternal = byExternal.build();
        binatByInternal = byInternal.build();

        List<NatConfig.PortForward> f = c.portForwards();
        forwardCount = f.size();
        fIface = new int[forwardCount];
        fProtocols = new int[forwardCount];
        fExternal = new int[forwardCount];
        fPortLow = new int[forwardCount];
        fPortHigh = new int[forwardCount];
        fInternal = new int[forwardCount];
        fInternalPortLow = new int[forwardCount];
        fSource = new NatConfig.Destination[forwardCount];
        fReflect = new boolean[forwardCount];
        fReflectInterface = new boolean[forwardCount];
        for (int i = 0; i < forwardCount; i++) {
            NatConfig.PortForward r = f.get(i);
            fIface[i] = r.iface();
            fProtocols[i] = r.protocols();
            fExternal[i] = r.external();
            fPortLow[i] = r.externalPortLow();
            fPortHigh[i] = r.externalPortHigh();
            fInternal[i] = r.internal();
            fInternalPortLow[i] = r.internalPortLow();
            fSource[i] = r.source() == null ? NatConfig.Destination.ANY : r.source();
            fReflect[i] = resolve(r.reflection(), c.reflection());
            fReflectInterface[i] = (r.reflectionSource() != null ? r.reflectionSource() : c.reflectionSource())
                    == NatConfig.ReflectionSource.INTERFACE;
        }

        List<NatConfig.Outbound> o = c.outbound();
        outboundCount = o.size();
        oIface = new int[outboundCount];
        oSource = new int[outboundCount];
        oMask = new int[outboundCount];
        oPool = new int[outboundCount][];
        oStaticPort = new boolean[outboundCount];
        for (int i = 0; i < outboundCount; i++) {
            NatConfig.Outbound r = o.get(i);
            oIface[i] = r.iface();
            oMask[i] = mask(r.sourcePrefixLength());
            oSource[i] = r.sourcePrefix() & oMask[i];
            oPool[i] = r.pool().length > 0 ? r.pool() : new int[] {firstAddressOfInterface[r.iface()]};
            oStaticPort[i] = r.staticPort();
        }

        // Painted last-wins: pools first, then forwards, then 1:1 (whose proxy-arp setting counts).
        for (int i = outboundCount - 1; i >= 0; i--) {
            for (int a : oPool[i]) {
                owned.paint(a, 32, ((oIface[i] + 1) << 1) | 1);
            }
        }
        for (int i = forwardCount - 1; i >= 0; i--) {
            owned.paint(fExternal[i], 32, ((fIface[i] + 1) << 1) | 1);
        }
        for (int i = binatCount - 1; i >= 0; i--) {
            if (!bNoBinat[i]) {
                owned.paint(bExternal[i], Integer.bitCount(bMask[i]), ((bIface[i] + 1) << 1) | (bProxyArp[i] ? 1 : 0));
            }
        }
        natAddresses = owned.build();
        announce = new int[interfaceCount][];
        for (int i = 0; i < interfaceCount; i++) {
            java.util.LinkedHashSet<Integer> addrs = new java.util.LinkedHashSet<>();
            for (int r = 0; r < binatCount && addrs.size() < ANNOUNCE_LIMIT; r++) {
                if (bIface[r] == i && !bNoBinat[r] && bProxyArp[r]) {
                    long size = 1L << (32 - Integer.bitCount(bMask[r]));
                    for (long h = 0; h < size && addrs.size() < ANNOUNCE_LIMIT; h++) {
                        addrs.add((int) (bExternal[r] + h));
                    }
                }
            }
            for (int r = 0; r < forwardCount && addrs.size() < ANNOUNCE_LIMIT; r++) {
                if (fIface[r] == i) {
                    addrs.add(fExternal[r]);
                }
            }
            for (int r = 0; r < outboundCount; r++) {
                for (int k = 0; oIface[r] == i && k < oPool[r].length && addrs.size() < ANNOUNCE_LIMIT; k++) {
                    addrs.add(oPool[r][k]);
                }
            }
            addrs.remove(firstAddressOfInterface[i]);
            announce[i] = addrs.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The public addresses NAT answers ARP for on an interface, to announce at start (gratuitous ARP). */
    public int[] announcedAddresses(int iface) {
        return announce[iface];
    }

    private static boolean resolve(NatConfig.Reflection rule, boolean global) {
        return switch (rule) {
            case ENABLE -> true;
            case DISABLE -> false;
            case DEFAULT -> global;
        };
    }

    static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /**
     * @param firstAddressOfInterface each interface's first address (the "interface" translation)
     */
    public static NatRules compile(NatConfig config, int[] firstAddressOfInterface) {
        return compile(config, firstAddressOfInterface, RuleIds.sequential(config));
    }

    /** @param ids the rules' counter ids */
    public static NatRules compile(NatConfig config, int[] firstAddressOfInterface, RuleIds ids) {
        return new NatRules(config, firstAddressOfInterface.length, firstAddressOfInterface, ids);
    }

    /**
     * True when these rules keep per-flow state (port forwards, outbound NAPT, a restricted
     * inbound list, reflection through an interface address); plain 1:1 is stateless. (A 1:1 rule
     * reflecting in mapped mode may keep state too, see {@link #binatReflects()}.)
     */
    public boolean needsSessions() {
        if (forwardCount > 0 || outboundCount > 0) {
            return true;
        }
        for (int i = 0; i < binatCount; i++) {
            if (!bNoBinat[i] && (!bInboundAny[i] || (bReflect[i] && bReflectInterface[i]))) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a 1:1 rule reflects. In mapped mode too, a client with no 1:1 or NAPT identity of
     * its own falls back to the address of the interface facing the server, which takes a port and
     * so a session, on the worker that owns the session state. That case is rare, so it does not
     * make {@link #needsSessions()} true (which would hand every packet to a 1:1 address to that
     * worker); it only makes that worker keep the state.
     */
    public boolean binatReflects() {
        for (int i = 0; i < binatCount; i++) {
            if (!bNoBinat[i] && bReflect[i]) {
                return true;
            }
        }
        return false;
    }

    // ---- 1:1 --------------------------------------------------------------------------------

    /** The 1:1 rule whose external range holds dst and whose destination restriction admits remote, or -1. */
    public int binatByExternal(int dst, int remote) {
        int r = binatByExternal.get(dst);
        return r >= 0 && bDestination[r].matches(remote) ? r : -1;
    }

    /**
     * The 1:1 rule translating internal address src towards remote when leaving egress, or -1: the
     * first rule in list order whose internal range holds src and whose destination admits remote;
     * a No-BINAT rule found first excludes the address.
     */
    public int binatByInternal(int src, int remote, int egress) {
        int r = binatByInternal.get(src);
        if (r < 0) {
            return -1;
        }
        for (; r < binatCount; r++) {
            if ((src & bMask[r]) != bInternal[r] || !bDestination[r].matches(remote)) {
                continue;
            }
            if (bNoBinat[r]) {
                return -1;
            }
            if (bIface[r] == egress) {
                return r;
            }
        }
        return -1;
    }

    public int binatToExternal(int r, int internal) {
        return bExternal[r] | (internal & ~bMask[r]);
    }

    public int binatToInternal(int r, int external) {
        return bInternal[r] | (external & ~bMask[r]);
    }

    /** Checksum delta for internal → external; the inbound delta is {@link #binatDeltaIn}. */
    public int binatDeltaOut(int r) {
        return bDeltaOut[r];
    }

    public int binatDeltaIn(int r) {
        return ~bDeltaOut[r] & 0xffff;
    }

    public int binatInterface(int r) {
        return bIface[r];
    }

    public boolean binatReflects(int r) {
        return bReflect[r];
    }

    public boolean binatReflectsFromInterface(int r) {
        return bReflectInterface[r];
    }

    /** May unsolicited inbound traffic of this protocol and destination port reach the 1:1 host? */
    public boolean binatAdmits(int r, int protocol, int port) {
        if (bInboundAny[r]) {
            return true;
        }
        int[] allow = bInbound[r];
        for (int k = 0; k < allow.length; k += 3) {
            if ((allow[k] == 0 || allow[k] == protocol) && port >= allow[k + 1] && port <= allow[k + 2]) {
                return true;
            }
        }
        return false;
    }

    public boolean binatAdmitsAll(int r) {
        return bInboundAny[r];
    }

    /** The counter id of 1:1 rule r (see {@link RuleIds}). */
    public int binatCounter(int r) {
        return bCounter[r];
    }

    // ---- port forwards ----------------------------------------------------------------------

    /** The first port forward for dst:port of protocol (Ipv4.PROTO_TCP / PROTO_UDP) that admits src, or -1. */
    public int portForward(int dst, int protocol, int port, int src) {
        int bit = protocol == 6 ? NatConfig.PROTO_TCP : protocol == 17 ? NatConfig.PROTO_UDP : 0;
        for (int i = 0; i < forwardCount; i++) {
            if (fExternal[i] == dst && (fProtocols[i] & bit) != 0 && port >= fPortLow[i] && port <= fPortHigh[i]
                    && fSource[i].matches(src)) {
                return i;
            }
        }
        return -1;
    }

    /** True when some port forward listens on dst (any port): traffic to it is NAT's, not the kernel's. */
    public boolean isForwardAddress(int dst) {
        for (int i = 0; i < forwardCount; i++) {
            if (fExternal[i] == dst) {
                return true;
            }
        }
        return false;
    }

    public int forwardInternal(int r) {
        return fInternal[r];
    }

    public int forwardInternalPort(int r, int externalPort) {
        return fInternalPortLow[r] + (externalPort - fPortLow[r]);
    }

    public int forwardInterface(int r) {
        return fIface[r];
    }

    public boolean forwardReflects(int r) {
        return fReflect[r];
    }

    public boolean forwardReflectsFromInterface(int r) {
        return fReflectInterface[r];
    }

    public int forwardCounter(int r) {
        return fCounter[r];
    }

    // ---- outbound ---------------------------------------------------------------------------

    /** The first outbound rule for src leaving egress, or -1. */
    public int outbound(int src, int egress) {
        for (int i = 0; i < outboundCount; i++) {
            if (oIface[i] == egress && (src & oMask[i]) == oSource[i]) {
                return i;
            }
        }
        return -1;
    }

    /** The first outbound rule for source src on any interface, or -1 (a guess before routing). */
    public int outboundFrom(int src) {
        for (int i = 0; i < outboundCount; i++) {
            if ((src & oMask[i]) == oSource[i]) {
                return i;
            }
        }
        return -1;
    }

    public int[] outboundPool(int r) {
        return oPool[r];
    }

    public boolean outboundStaticPort(int r) {
        return oStaticPort[r];
    }

    public int outboundInterface(int r) {
        return oIface[r];
    }

    public int outboundCounter(int r) {
        return oCounter[r];
    }

    // ---- addresses --------------------------------------------------------------------------

    /** The interface a NAT public address belongs to, or -1 when addr is not one. */
    public int natAddressInterface(int addr) {
        int v = natAddresses.get(addr);
        return v < 0 ? -1 : (v >>> 1) - 1;
    }

    /** The interface on which the appliance answers ARP for addr on NAT's behalf, or -1. */
    public int proxyArpInterface(int addr) {
        int v = natAddresses.get(addr);
        return v < 0 || (v & 1) == 0 ? -1 : (v >>> 1) - 1;
    }
}
