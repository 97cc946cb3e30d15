package io.hairpin.perf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.shim.DpdkException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.security.SecureRandom;

/**
 * The C reference of a scenario (perf/src/main/c/hairpin_perfref.c): the engine's per-packet work
 * for that scenario written as a plain C DPDK loop, on the rig's two ring ports and mempool, set
 * up from the same {@link Setup} (interfaces, routes, neighbours, NAT rules, timeouts). One
 * {@link #doWork()} is one downcall, one iteration over both ports like the engine's worker.
 */
final class CReference implements Dut, AutoCloseable {
    /** The C side's counters, in its order (the drops from NOT_IPV4 on). */
    static final String[] COUNTERS = {"rx", "forwarded", "translated", "sessions_created", "sessions_expired",
            "tx_full", "not_ipv4", "not_for_us", "bad_header", "bad_checksum", "martian", "spoofed", "no_route", "local",
            "ttl", "mtu", "unsupported", "no_mapping", "sessions_full", "ports_exhausted", "untranslated",
            "no_neighbor"};
    static final int RX = 0;
    static final int FORWARDED = 1;
    static final int TRANSLATED = 2;
    static final int SESSIONS_CREATED = 3;
    static final int SESSIONS_EXPIRED = 4;
    static final int TX_FULL = 5;
    static final int FIRST_DROP = 6;
    /** The most addresses a NAPT pool of the C side may have (its MAX_POOL_ADDRESSES). */
    static final int MAX_POOL_ADDRESSES = 4096;

    private final MemorySegment ctx;
    private boolean closed;

    CReference(Setup s, Rig rig) {
        String why = unsupported(s);
        if (why != null) {
            throw new IllegalArgumentException("no C reference for " + s.label() + ": " + why);
        }
        EngineConfig config = s.config;
        NatConfig nat = config.nat();
        boolean rules = s.nat();
        int pfwdEntries = 0;
        for (NatConfig.PortForward f : nat.portForwards()) {
            pfwdEntries += 2 * (f.externalPortHigh() - f.externalPortLow() + 1);
        }
        int poolAddresses = 0;
        for (NatConfig.Outbound o : nat.outbound()) {
            poolAddresses += Math.max(1, o.pool().length);
        }
        // sizes every rule table, and the public addresses' (1:1, forwards, pools, the interfaces')
        int maxRules = nat.oneToOne().size() + pfwdEntries + poolAddresses + 16;
        SecureRandom random = new SecureRandom();
        ctx = call(Native.CREATE, rig.ports[Rig.WAN].id(), rig.ports[Rig.LAN].id(), rig.portMac[Rig.WAN],
                rig.portMac[Rig.LAN], rules ? nat.maxSessions() : 16, s.neighborIp.length + 16, maxRules,
                random.nextLong());
        if (ctx.address() == 0) {
            throw new DpdkException("hp_ref_create failed (memory or LPM)");
        }
        try {
            configure(s, random);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Why the C reference cannot run a setup (null: it can). */
    static String unsupported(Setup s) {
        if (s.ruleSets != null || s.swapTo != null) {
            return "rule sets swapped under load are the engine's own (snapshots)";
        }
        EngineConfig c = s.config;
        if (c.interfaces().size() != 2 || !c.routes().isEmpty()) {
            return "two interfaces and no static routes only";
        }
        for (int i = 0; i < 2; i++) {
            EngineConfig.Interface f = c.interfaces().get(i);
            if (f.vlan() != 0 || !f.device().equals(Rig.DEVICES[i]) || f.mac() != 0) {
                return "interface " + f.name() + " is not the rig's untagged port " + i;
            }
        }
        NatConfig nat = c.nat();
        if (nat.maxSessionsPerHost() != 0 || nat.reflectionSource() != NatConfig.ReflectionSource.MAPPED) {
            return "per-host session limits and interface-mode reflection are not implemented";
        }
        for (NatConfig.OneToOne r : nat.oneToOne()) {
            if (r.prefixLength() != 32 || r.noBinat() || r.inbound() != null || !isAny(r.destination())
                    || (r.reflectionSource() != null && r.reflectionSource() != NatConfig.ReflectionSource.MAPPED)) {
                return "1:1 rules of one address, no restrictions, only";
            }
        }
        for (NatConfig.PortForward f : nat.portForwards()) {
            if (!isAny(f.source()) || f.externalPortHigh() - f.externalPortLow() > 1024) {
                return "port forwards without source restriction, ranges up to 1025 ports, only";
            }
        }
        if (nat.outbound().size() > 8) {
            return "at most 8 outbound rules";
        }
        for (NatConfig.Outbound o : nat.outbound()) {
            if (o.staticPort() || o.pool().length > MAX_POOL_ADDRESSES) {
                return "outbound rules without static-port, pools up to " + MAX_POOL_ADDRESSES + " addresses, only";
            }
        }
        return null;
    }

    private static boolean isAny(NatConfig.Destination d) {
        return d == null || (d.prefixLength() == 0 && !d.invert());
    }

    private void configure(Setup s, SecureRandom random) {
        EngineConfig config = s.config;
        NatConfig nat = config.nat();
        for (int i = 0; i < 2; i++) {
            EngineConfig.Interface f = config.interfaces().get(i);
            call(Native.INTERFACE, ctx, i, f.external() ? 1 : 0, f.antiSpoofing() ? 1 : 0, f.mtu());
            for (EngineConfig.Address a : f.addresses()) {
                int mask = a.prefixLength() == 0 ? 0 : -1 << (32 - a.prefixLength());
                check(call(Native.ROUTE, ctx, a.address() & mask, a.prefixLength(), i, 0, 0), "route");
                check(call(Native.ROUTE, ctx, a.address(), 32, i, 0, 1), "local address");
            }
            if (f.gateway() != 0) {
                check(call(Native.ROUTE, ctx, 0, 0, i, f.gateway(), 0), "default route");
            }
        }
        for (int n = 0; n < s.neighborIp.length; n++) {
            check(call(Native.NEIGHBOR, ctx, s.neighborIp[n], s.neighborMac[n]), "neighbour");
        }
        NatConfig.Timeouts t = nat.timeouts();
        call(Native.TIMEOUTS, ctx, t.udp(), t.tcpEstablished(), t.tcpTransitory(), 1);
        for (NatConfig.OneToOne r : nat.oneToOne()) {
            boolean reflect = r.reflection() == NatConfig.Reflection.ENABLE
                    || (r.reflection() == NatConfig.Reflection.DEFAULT && nat.reflection());
            check(call(Native.BINAT, ctx, r.iface(), r.external(), r.internal(), reflect ? 1 : 0), "1:1 rule");
        }
        for (NatConfig.PortForward f : nat.portForwards()) {
            check(call(Native.PFWD, ctx, f.iface(), f.protocols(), f.external(), f.externalPortLow(),
                    f.externalPortHigh(), f.internal(), f.internalPortLow()), "port forward");
        }
        try (Arena arena = Arena.ofConfined()) {
            for (NatConfig.Outbound o : nat.outbound()) {
                int[] pool = o.pool().length > 0 ? o.pool()
                        : new int[] {config.interfaces().get(o.iface()).addresses().get(0).address()};
                MemorySegment addrs = arena.allocateFrom(JAVA_INT, pool);
                check(call(Native.OUTBOUND, ctx, o.iface(), o.sourcePrefix(), o.sourcePrefixLength(), addrs, pool.length,
                        random.nextLong()), "outbound rule");
            }
        }
    }

    @Override
    public int doWork() {
        try {
            return (int) Native.POLL.invokeExact(ctx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int sessions() {
        try {
            return (int) Native.SESSIONS.invokeExact(ctx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long counter(int i) {
        try {
            return (long) Native.COUNTER.invokeExact(ctx, i);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long forwarded() {
        return counter(FORWARDED);
    }

    long[] counters() {
        long[] c = new long[COUNTERS.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = counter(i);
        }
        return c;
    }

    /** Drops (every drop reason and TX full) between two readings of {@link #counters()}. */
    static long drops(long[] from, long[] to) {
        long d = to[TX_FULL] - from[TX_FULL];
        for (int i = FIRST_DROP; i < to.length; i++) {
            d += to[i] - from[i];
        }
        return d;
    }

    /** The drop counters that moved, "name=count,..." ("" when none). */
    static String dropDetail(long[] from, long[] to) {
        StringBuilder sb = new StringBuilder();
        for (int i = TX_FULL; i < to.length; i++) {
            if (i != TX_FULL && i < FIRST_DROP) {
                continue;
            }
            if (to[i] != from[i]) {
                sb.append(sb.isEmpty() ? "" : ",").append(COUNTERS[i]).append('=').append(to[i] - from[i]);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            call(Native.DESTROY, ctx);
        }
    }

    private static void check(Object result, String what) {
        if (result instanceof Integer i && i != 0) {
            throw new IllegalStateException("the C reference refused a " + what + " (" + i + ")");
        }
    }

    /** Configuration calls (not on the hot path): a varargs invocation is fine here. */
    private static <T> T call(MethodHandle h, Object... args) {
        try {
            @SuppressWarnings("unchecked")
            T r = (T) h.invokeWithArguments(args);
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** The downcalls; the per-iteration ones are critical (short, no upcalls), as the shim's bursts. */
    private static final class Native {
        static final MethodHandle CREATE = bind("hp_ref_create", FunctionDescriptor.of(ADDRESS, JAVA_SHORT, JAVA_SHORT,
                JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), false);
        static final MethodHandle INTERFACE = bind("hp_ref_interface",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), false);
        static final MethodHandle ROUTE = bind("hp_ref_route",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), false);
        static final MethodHandle NEIGHBOR = bind("hp_ref_neighbor",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), false);
        static final MethodHandle TIMEOUTS = bind("hp_ref_timeouts",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), false);
        static final MethodHandle BINAT = bind("hp_ref_binat",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), false);
        static final MethodHandle PFWD = bind("hp_ref_pfwd", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), false);
        static final MethodHandle OUTBOUND = bind("hp_ref_outbound", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), false);
        static final MethodHandle DESTROY = bind("hp_ref_destroy", FunctionDescriptor.ofVoid(ADDRESS), false);
        static final MethodHandle POLL = bind("hp_ref_poll", FunctionDescriptor.of(JAVA_INT, ADDRESS), true);
        static final MethodHandle SESSIONS = bind("hp_ref_sessions", FunctionDescriptor.of(JAVA_INT, ADDRESS), true);
        static final MethodHandle COUNTER = bind("hp_ref_counter", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT),
                true);

        private static MethodHandle bind(String name, FunctionDescriptor desc, boolean critical) {
            MemorySegment addr = PerfRefLibrary.lookup().find(name)
                    .orElseThrow(() -> new DpdkException("the C reference lacks " + name));
            return critical
                    ? Linker.nativeLinker().downcallHandle(addr, desc, Linker.Option.critical(false))
                    : Linker.nativeLinker().downcallHandle(addr, desc);
        }
    }
}
