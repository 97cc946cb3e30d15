package io.hairpin.control.myip;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.route.RouteTable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The public address an internal host is seen as on the Internet, read from the running rules the
 * way the data plane translates a packet the host sends to an Internet address (Nat44.outbound):
 * on the interface that packet leaves by, the first 1:1 rule for the host wins (a No-BINAT rule
 * before it excludes the host); otherwise the first outbound rule for the host's source gives a
 * pool, and paired pooling picks the pool address the host always gets. Nothing here touches
 * worker state.
 *
 * <p>"An Internet address" is a fixed well-known one (see {@link #PROBES}) that none of the
 * appliance's own networks, static routes or rule destinations names, so a rule restricted to
 * some destinations (or not to them) is judged as for the Internet at large. The interface is
 * the one the route table sends that address to (the default gateway's); when that interface
 * does not translate the host (or there is no default route), the other external interfaces are
 * asked in config order, so a host 1:1-mapped on a second uplink still gets its address there.
 */
public final class PublicAddresses {
    /** Candidate Internet addresses: public resolvers, stable and not in any special-use block. */
    static final int[] PROBES = {
        0x08080808, // 8.8.8.8
        0x01010101, // 1.1.1.1
        0x09090909, // 9.9.9.9
        0xD043DEDE, // 208.67.222.222
        0x04020202, // 4.2.2.2
        0x95707070, // 149.112.112.112
    };

    private final Snapshot snapshot;
    private final int remote;
    private final int[] egresses;

    /**
     * @param snapshot the snapshot the workers run (its compiled NAT rules and routes)
     * @param config   the engine config that snapshot was compiled from (its routes and rule destinations)
     */
    public PublicAddresses(Snapshot snapshot, EngineConfig config) {
        this.snapshot = snapshot;
        this.remote = internetAddress(snapshot, config);
        Set<Integer> order = new LinkedHashSet<>();
        int route = snapshot.routes.lookup(remote);
        if (route != RouteTable.NO_ROUTE && snapshot.routes.kind(route) != RouteTable.KIND_LOCAL) {
            order.add(snapshot.routes.egressInterface(route));
        }
        for (int i = 0; i < snapshot.interfaceCount; i++) {
            if (snapshot.external[i]) {
                order.add(i);
            }
        }
        egresses = order.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The address stand-in for "the Internet" these answers are for. */
    public int internetAddress() {
        return remote;
    }

    /** The host's public address, or empty when no rule translates it towards the Internet. */
    public OptionalInt publicAddressOf(int host) {
        NatRules nat = snapshot.nat;
        for (int egress : egresses) {
            int r = nat.binatByInternal(host, remote, egress);
            if (r >= 0) {
                return OptionalInt.of(nat.binatToExternal(r, host));
            }
            if (!snapshot.external[egress]) {
                continue; // outbound NAT only applies from an internal to an external interface
            }
            int o = nat.outbound(host, egress);
            if (o >= 0) {
                int[] pool = nat.outboundPool(o);
                return OptionalInt.of(pool[pairedPoolIndex(host, pool.length)]);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * The index of the pool address paired pooling gives a host: the same fixed hash as
     * {@link io.hairpin.engine.session.PortAllocator#addressFor}. Computed here rather than by
     * building a PortAllocator, which allocates 24 KiB per pool address (1.5 GiB for a /16 pool)
     * just to answer; PublicAddressesTest checks both agree.
     */
    static int pairedPoolIndex(int host, int poolSize) {
        if (poolSize == 1) {
            return 0;
        }
        long h = (host & 0xFFFF_FFFFL) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        h *= 0xD6E8FEB86659FD93L;
        return (int) (((h >>> 32) * poolSize) >>> 32);
    }

    /** The first probe address that none of the config's prefixes (other than a default /0) names. */
    static int internetAddress(Snapshot snapshot, EngineConfig config) {
        List<int[]> named = new ArrayList<>(); // {prefix, length}
        for (int i = 0; i < snapshot.interfaceCount; i++) {
            for (int k = 0; k < snapshot.addresses[i].length; k++) {
                named.add(new int[] {snapshot.addresses[i][k], snapshot.prefixLengths[i][k]});
            }
        }
        for (EngineConfig.StaticRoute r : config.routes()) {
            named.add(new int[] {r.prefix(), r.prefixLength()});
        }
        for (NatConfig.OneToOne r : config.nat().oneToOne()) {
            if (r.destination() != null) {
                named.add(new int[] {r.destination().prefix(), r.destination().prefixLength()});
            }
        }
        for (NatConfig.PortForward r : config.nat().portForwards()) {
            if (r.source() != null) {
                named.add(new int[] {r.source().prefix(), r.source().prefixLength()});
            }
        }
        for (int probe : PROBES) {
            boolean free = true;
            for (int[] p : named) {
                if (p[1] > 0 && ((probe ^ p[0]) & (-1 << (32 - p[1]))) == 0) {
                    free = false;
                    break;
                }
            }
            if (free) {
                return probe;
            }
        }
        return PROBES[0];
    }
}
