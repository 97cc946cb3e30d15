package io.hairpin.perf;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.neighbor.NeighborTable;
import io.hairpin.engine.session.PortAllocator;
import io.hairpin.engine.worker.SnapshotHolder;
import io.hairpin.engine.worker.Worker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One scenario's world: the engine configuration (interfaces, routes, NAT rules), the neighbours
 * the worker knows, where the in-flight packets enter, the flows they carry and how the
 * {@link Mirror} treats each port. The rig (rings, ports, pool) is shared by all scenarios.
 *
 * <h2>The NAT topology (every scenario but forward)</h2>
 * <pre>
 *   Internet side                         wan (port 0)                 lan (port 1)        inside
 *   servers 192.0.2.16-31, clients   ── 203.0.113.1/24, external ── 10.0.0.1/16 ── hosts 10.0.0.2+h
 *   198.19.0.x, all via the gateway      default route via                           servers 10.0.1.10,
 *   203.0.113.254                        203.0.113.254                                       10.0.1.80
 * </pre>
 * Anti-spoofing is on for both interfaces, as in forward. The gateway and every inside host used
 * are pre-resolved neighbours. NAT public addresses: 1:1 198.51.0.1+i, NAPT pools 198.18.0.1+i.
 */
final class Setup {
    static final int WAN = Rig.WAN;
    static final int LAN = Rig.LAN;
    static final int WAN_ADDRESS = Rig.ip(203, 0, 113, 1);
    static final int GATEWAY = Rig.ip(203, 0, 113, 254);
    static final int LAN_ADDRESS = Rig.ip(10, 0, 0, 1);
    static final int INSIDE = Rig.ip(10, 0, 0, 0);
    static final int HOST_BASE = Rig.ip(10, 0, 0, 2);
    static final int SERVER_BASE = Rig.ip(192, 0, 2, 16);
    static final int SERVERS = 16;
    /** napt-established's most remote addresses (192.0.2.16 on, all behind the gateway). */
    static final int MAX_REMOTES = 1 << 16;
    static final int BINAT_BASE = Rig.ip(198, 51, 0, 1);
    static final int POOL_BASE = Rig.ip(198, 18, 0, 1);
    static final int INTERNET_CLIENTS = Rig.ip(198, 19, 0, 1);
    static final int PFWD_SERVER = Rig.ip(10, 0, 1, 80);
    static final int HAIRPIN_SERVER = Rig.ip(10, 0, 1, 10);
    static final int HAIRPIN_PUBLIC = Rig.ip(198, 51, 0, 10);
    static final int HAIRPIN_CLIENT_BASE = Rig.ip(198, 51, 1, 1);
    /** rule-swap: rule set A's public addresses (B's are {@link #SWAP_B_BASE} + h). */
    static final int SWAP_A_BASE = BINAT_BASE;
    static final int SWAP_B_BASE = Rig.ip(198, 51, 2, 1);
    static final int SWAP_HOSTS = 16;
    /** UDP ports a NAPT pool address has for internal ports ≥ 1024 (1024..65535), per worker. */
    static final int HIGH_PORTS = 65535 - 1024 + 1;
    /**
     * napt-cps: sessions live ≈ 1.1 s (the timeout and up to a wheel tick), and before the first
     * expires the engine makes up to ≈ 4 M/s on a quiet host, so 2^22 could fill; 2^23 holds
     * 2 s at that rate.
     */
    static final int CPS_MAX_SESSIONS = 1 << 23;
    static final int CPS_TIMEOUT_S = 1;
    static final int CPS_POOL = 256;
    static final int CPS_HOSTS = 1 << 14;

    final String scenario;
    final String variant;
    final EngineConfig config;
    final int[] neighborIp;
    final long[] neighborMac;
    /** The port whose RX ring the in-flight packets start in. */
    final int startPort;
    final Mirror.Mode[] modes;
    /** A fresh walk for each run (the walk is stateful); null for forward. */
    final Supplier<Flows> flows;
    /** Sessions the packets must have opened before the warm-up starts (0: none to wait for). */
    final int openSessions;
    /** Switch the walk to its scattered order once the sessions are open. */
    final boolean scatter;
    final int poolBase;
    final int poolCount;
    /** Figures describing the setup, for the JSON line. */
    final Map<String, Object> describe = new LinkedHashMap<>();
    /** The wire size of each in-flight frame (--pkt-size, or the IMIX). */
    FrameSizes sizes = FrameSizes.fixed(Frames.MIN_WIRE_SIZE);
    /** rule-swap: the rule set alternated with config, and each set's public address per host (else null). */
    RuleSets ruleSets;
    /** rule-swap:napt: the rule set alternated with config, the same rules (else null). */
    EngineConfig swapTo;

    /** rule-swap's two rule sets; config is A. */
    record RuleSets(EngineConfig b, int[] publicA, int[] publicB) {
    }

    private Setup(String scenario, String variant, EngineConfig config, List<Integer> neighbors, int startPort,
                  Mirror.Mode wanMode, Mirror.Mode lanMode, Supplier<Flows> flows, int openSessions, boolean scatter,
                  int poolBase, int poolCount) {
        this.scenario = scenario;
        this.variant = variant;
        this.config = config;
        this.neighborIp = neighbors.stream().mapToInt(Integer::intValue).toArray();
        this.neighborMac = new long[neighborIp.length];
        for (int i = 0; i < neighborIp.length; i++) {
            neighborMac[i] = Flows.mac(neighborIp[i]);
        }
        this.startPort = startPort;
        this.modes = new Mirror.Mode[] {wanMode, lanMode};
        this.flows = flows;
        this.openSessions = openSessions;
        this.scatter = scatter;
        this.poolBase = poolBase;
        this.poolCount = poolCount;
    }

    String label() {
        return variant.isEmpty() ? scenario : scenario + ":" + variant;
    }

    int maxSessions() {
        return config.nat().maxSessions();
    }

    boolean nat() {
        return !config.nat().oneToOne().isEmpty() || !config.nat().portForwards().isEmpty()
                || !config.nat().outbound().isEmpty();
    }

    /** Each engine device's MAC, as Snapshot.compile takes them. */
    static Map<String, Long> macs(Rig rig) {
        return Map.of(Rig.DEVICES[WAN], rig.portMac[WAN], Rig.DEVICES[LAN], rig.portMac[LAN]);
    }

    /** Where the worker finds its snapshot: config compiled as version 1. */
    SnapshotHolder newHolder(Rig rig) {
        Snapshot snapshot = Snapshot.compile(1, config, macs(rig));
        if (snapshot.port[0] != WAN || snapshot.port[1] != LAN) {
            throw new IllegalStateException("engine port order differs from the rig's");
        }
        return new SnapshotHolder(snapshot, 1);
    }

    Worker newWorker(Rig rig) {
        return newWorker(rig, newHolder(rig));
    }

    Worker newWorker(Rig rig, SnapshotHolder holder) {
        NeighborTable neighbors = new NeighborTable(4 * neighborIp.length + 64, Rig.REACHABLE_NANOS);
        long now = System.nanoTime();
        for (int i = 0; i < neighborIp.length; i++) {
            if (!neighbors.learn(neighborIp[i], neighborMac[i], now)) {
                throw new IllegalStateException("neighbour table full");
            }
        }
        short[] txPortId = {rig.ports[WAN].id(), rig.ports[LAN].id(), -1, -1};
        return new Worker(0, holder, neighbors, rig.pool.segment(), txPortId, 2, -1);
    }

    /** rule-swap's control thread for a worker reading holder (null for every other scenario). */
    SnapshotSwapper swapper(Rig rig, SnapshotHolder holder, int workerCpu) {
        EngineConfig b = ruleSets != null ? ruleSets.b() : swapTo;
        return b == null ? null : new SnapshotSwapper(holder, config, b, macs(rig), SnapshotSwapper.controlCpu(workerCpu));
    }

    Mirror mirror(Rig rig, Flows walk, boolean verify) {
        Mirror m = new Mirror(rig.tx, rig.rx, modes, walk, rig.portMac, verify, poolBase, poolCount);
        if (verify && ruleSets != null) {
            m.verifySwaps(new SwapVerifier(walk, ruleSets.publicA(), ruleSets.publicB()));
        }
        return m;
    }

    /** Sets the frame size of every in-flight frame (TCP SYNs carry no payload: 64 only). */
    Setup wireSize(int bytes) {
        Flows w = flows.get();
        if (w != null && w.proto == Frames.PROTO_TCP && bytes != Frames.MIN_WIRE_SIZE) {
            throw new IllegalArgumentException(label() + " sends TCP SYNs, which are 64-byte frames only");
        }
        sizes = FrameSizes.fixed(bytes);
        return this;
    }

    /** Writes in-flight frame k, as it arrives at startPort; walk is this run's flows (null: forward's frames). */
    void writeFrame(long m, int k, Flows walk, long[] portMac) {
        int wireSize = sizes.of(k);
        if (walk == null) {
            int c = k % Rig.CLIENTS;
            int s = (k / Rig.CLIENTS) % Rig.SERVERS;
            Frames.writeUdp(m, wireSize, portMac[LAN], Rig.clientMac(c), Rig.clientIp(c), Rig.serverIp(s), 10_000 + k,
                    s == 0 ? 53 : 443 + s, k);
            return;
        }
        int g = walk.next();
        int client = walk.clientIp(g);
        long srcMac = startPort == WAN ? Flows.mac(GATEWAY) : Flows.mac(client);
        Frames.writeFlow(m, wireSize, walk.proto, portMac[startPort], srcMac, client, walk.serverIp(g),
                walk.clientPort(g), walk.serverPort(g), g);
    }

    // ---- the scenarios ------------------------------------------------------------------------

    /** forward: the first benchmark's world, unchanged (two connected /24s, no NAT rules). */
    static Setup forward() {
        var wan = new EngineConfig.Interface("wan", true, Rig.DEVICES[WAN], 0,
                List.of(new EngineConfig.Address(Rig.WAN_ADDRESS, 24)), 0, 1500, true);
        var lan = new EngineConfig.Interface("lan", false, Rig.DEVICES[LAN], 0,
                List.of(new EngineConfig.Address(Rig.LAN_ADDRESS, 24)), 0, 1500, true);
        EngineConfig config = new EngineConfig(1, List.of(), List.of(wan, lan), List.of(), false);
        List<Integer> neighbors = new ArrayList<>();
        for (int i = 0; i < Rig.CLIENTS; i++) {
            neighbors.add(Rig.clientIp(i));
        }
        for (int j = 0; j < Rig.SERVERS; j++) {
            neighbors.add(Rig.serverIp(j));
        }
        Setup s = new Setup("forward", "", config, neighbors, LAN, Mirror.Mode.SWAP, Mirror.Mode.SWAP, () -> null, 0,
                false, 0, 0);
        // forward's neighbours use Rig's MACs
        for (int i = 0; i < Rig.CLIENTS; i++) {
            s.neighborMac[i] = Rig.clientMac(i);
        }
        for (int j = 0; j < Rig.SERVERS; j++) {
            s.neighborMac[Rig.CLIENTS + j] = Rig.serverMac(j);
        }
        return s;
    }

    private static EngineConfig natConfig(NatConfig nat) {
        var wan = new EngineConfig.Interface("wan", true, Rig.DEVICES[WAN], 0,
                List.of(new EngineConfig.Address(WAN_ADDRESS, 24)), GATEWAY, 1500, true);
        var lan = new EngineConfig.Interface("lan", false, Rig.DEVICES[LAN], 0,
                List.of(new EngineConfig.Address(LAN_ADDRESS, 16)), 0, 1500, true);
        return new EngineConfig(1, List.of(), List.of(wan, lan), List.of(), false, nat);
    }

    private static NatConfig.OneToOne oneToOne(int external, int internal) {
        return new NatConfig.OneToOne(WAN, external, internal, 32, false, NatConfig.Destination.ANY,
                NatConfig.Reflection.DEFAULT, null, false, null, "");
    }

    private static NatConfig nat(NatConfig.Timeouts timeouts, int maxSessions, List<NatConfig.OneToOne> oneToOne,
                                 List<NatConfig.PortForward> forwards, List<NatConfig.Outbound> outbound) {
        return nat(NatConfig.Filtering.ADDRESS_DEPENDENT, timeouts, maxSessions, oneToOne, forwards, outbound);
    }

    private static NatConfig nat(NatConfig.Filtering filtering, NatConfig.Timeouts timeouts, int maxSessions,
                                 List<NatConfig.OneToOne> oneToOne, List<NatConfig.PortForward> forwards,
                                 List<NatConfig.Outbound> outbound) {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, filtering, timeouts, maxSessions, 0, oneToOne,
                forwards, outbound);
    }

    private static List<Integer> insideHosts(int hosts) {
        List<Integer> l = new ArrayList<>(List.of(GATEWAY));
        for (int h = 0; h < hosts; h++) {
            l.add(HOST_BASE + h);
        }
        return l;
    }

    private static int[] pool(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = POOL_BASE + i;
        }
        return p;
    }

    private static int flowHosts(int inFlight, int max) {
        return Integer.highestOneBit(Math.max(1, Math.min(max, inFlight)));
    }

    /**
     * binat: R single-address 1:1 rules on wan, 198.51.0.1+i ↔ 10.0.0.2+i. Host i's UDP to an
     * Internet server is translated out (SNAT), the mirror answers, and the answer is translated in
     * (DNAT). With 1 rule the in-flight packets are that host's flows (plain swap); with more, the
     * LAN mirror rotates every packet to the next host in a scattered walk over all R hosts.
     */
    static Setup binat(int rules, int inFlight) {
        List<NatConfig.OneToOne> list = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            list.add(oneToOne(BINAT_BASE + i, HOST_BASE + i));
        }
        NatConfig nat = nat(NatConfig.Timeouts.DEFAULTS, NatConfig.none().maxSessions(), list, List.of(), List.of());
        Setup s;
        if (rules == 1) {
            s = new Setup("binat", "1", natConfig(nat), insideHosts(1), LAN, Mirror.Mode.SWAP, Mirror.Mode.SWAP,
                    () -> new Flows(inFlight, 1, HOST_BASE, 1024, SERVER_BASE, SERVERS, 443, Frames.PROTO_UDP), 0,
                    false, 0, 0);
        } else {
            s = new Setup("binat", Integer.toString(rules), natConfig(nat), insideHosts(rules), LAN, Mirror.Mode.SWAP,
                    Mirror.Mode.ROTATE,
                    () -> new Flows(rules, rules, HOST_BASE, 40_000, SERVER_BASE, SERVERS, 443, Frames.PROTO_UDP), 0,
                    true, 0, 0);
        }
        s.describe.put("rules", rules);
        s.describe.put("client_hosts", rules);
        return s;
    }

    /**
     * imix: binat:1 (one 1:1 rule, that host's flows, mirror SWAP on both ports) with the simple
     * IMIX of frame sizes instead of one size: 28 × 64, 16 × 570, 4 × 1518 bytes per 48 frames.
     */
    static Setup imix(int inFlight) {
        NatConfig nat = nat(NatConfig.Timeouts.DEFAULTS, NatConfig.none().maxSessions(),
                List.of(oneToOne(BINAT_BASE, HOST_BASE)), List.of(), List.of());
        Setup s = new Setup("imix", "", natConfig(nat), insideHosts(1), LAN, Mirror.Mode.SWAP, Mirror.Mode.SWAP,
                () -> new Flows(inFlight, 1, HOST_BASE, 1024, SERVER_BASE, SERVERS, 443, Frames.PROTO_UDP), 0,
                false, 0, 0);
        s.sizes = FrameSizes.imix();
        s.describe.put("rules", 1);
        s.describe.put("client_hosts", 1);
        s.describe.put("world", "binat:1");
        s.describe.put("frame_sizes", s.sizes.mix());
        s.describe.put("mean_frame_bytes_in_flight", Bench.round(s.sizes.mean(inFlight), 2));
        return s;
    }

    /**
     * rule-swap: 1:1 NAT of 16 inside hosts (10.0.0.2+h) while a control thread swaps the rule
     * set 10 times a second (SnapshotSwapper). Set A maps host h to 198.51.0.1+h, set B to
     * 198.51.2.1+h; each set also lists the other's mappings after its own, so outbound the host
     * gets its set's address (the first rule wins) and inbound a reply to either address finds
     * the host under both sets. That is what makes zero loss a fair demand: with disjoint sets a
     * reply in flight to the address just retired would rightly not be translated. The mirror
     * swaps on both ports and a {@link SwapVerifier} checks every frame against A and B.
     */
    static Setup ruleSwap(int inFlight) {
        int hosts = flowHosts(inFlight, SWAP_HOSTS);
        int[] publicA = new int[hosts];
        int[] publicB = new int[hosts];
        List<NatConfig.OneToOne> rulesA = new ArrayList<>();
        List<NatConfig.OneToOne> rulesB = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            publicA[h] = SWAP_A_BASE + h;
            publicB[h] = SWAP_B_BASE + h;
            rulesA.add(oneToOne(publicA[h], HOST_BASE + h));
            rulesB.add(oneToOne(publicB[h], HOST_BASE + h));
        }
        List<NatConfig.OneToOne> setA = new ArrayList<>(rulesA);
        setA.addAll(rulesB);
        List<NatConfig.OneToOne> setB = new ArrayList<>(rulesB);
        setB.addAll(rulesA);
        int max = NatConfig.none().maxSessions();
        EngineConfig a = natConfig(nat(NatConfig.Timeouts.DEFAULTS, max, setA, List.of(), List.of()));
        EngineConfig b = natConfig(nat(NatConfig.Timeouts.DEFAULTS, max, setB, List.of(), List.of()));
        Setup s = new Setup("rule-swap", "", a, insideHosts(hosts), LAN, Mirror.Mode.SWAP, Mirror.Mode.SWAP,
                () -> new Flows(inFlight, hosts, HOST_BASE, 1024, SERVER_BASE, SERVERS, 443, Frames.PROTO_UDP), 0,
                false, 0, 0);
        s.ruleSets = new RuleSets(b, publicA, publicB);
        s.describe.put("rules", setA.size());
        s.describe.put("client_hosts", hosts);
        s.describe.put("swaps_per_s_target", SnapshotSwapper.SWAPS_PER_SECOND);
        return s;
    }

    /**
     * pfwd: UDP to wan 203.0.113.1:8080 is forwarded to 10.0.1.80:80. The in-flight packets are
     * the flows of Internet clients (198.19.0.1+h, 64 hosts); each opens its session on its first
     * pass, then the server's replies and the clients' next packets take the session fast path.
     */
    static Setup pfwd(int inFlight) {
        var rule = new NatConfig.PortForward(WAN, NatConfig.PROTO_TCP | NatConfig.PROTO_UDP, WAN_ADDRESS, 8080, 8080,
                PFWD_SERVER, 80, NatConfig.Destination.ANY, NatConfig.Reflection.DEFAULT, null, "");
        NatConfig nat = nat(NatConfig.Timeouts.DEFAULTS, NatConfig.none().maxSessions(), List.of(), List.of(rule),
                List.of());
        int hosts = flowHosts(inFlight, 64);
        Setup s = new Setup("pfwd", "", natConfig(nat), List.of(GATEWAY, PFWD_SERVER), WAN, Mirror.Mode.SWAP,
                Mirror.Mode.SWAP,
                () -> new Flows(inFlight, hosts, INTERNET_CLIENTS, 20_000, WAN_ADDRESS, 1, 8080, Frames.PROTO_UDP),
                inFlight, false, 0, 0);
        s.describe.put("rules", 1);
        s.describe.put("client_hosts", hosts);
        return s;
    }

    /** Hosts for N NAPT flows: a power of two, about 256 ports each, 16..16384 hosts. */
    static int naptHosts(int n) {
        return Math.min(Integer.highestOneBit(Math.max(16, n / 256)), Math.min(1 << 14, Integer.highestOneBit(n)));
    }

    /** Pool addresses for N NAPT sessions: a power of two with ≈ 32768 ports in use per address at most on average. */
    static int naptPool(long n) {
        int a = 1;
        while ((long) a * 32_768 < n) {
            a <<= 1;
        }
        return a;
    }

    /** napt-established's variant: N, and ":REMOTES" unless it is the matrix's 16. */
    static String naptEstablishedVariant(int n, int remotes) {
        return remotes == SERVERS ? Integer.toString(n) : n + ":" + remotes;
    }

    /** {@link #naptEstablished(int, int)} of a variant {@link #naptEstablishedVariant} made. */
    static Setup naptEstablished(String variant) {
        int c = variant.indexOf(':');
        return c < 0 ? naptEstablished(Integer.parseInt(variant), SERVERS)
                : naptEstablished(Integer.parseInt(variant.substring(0, c)), Integer.parseInt(variant.substring(c + 1)));
    }

    /**
     * napt-established: N outbound NAPT sessions (UDP, 10.0.0.0/16 → a pool on wan, one mapping
     * each), opened by the packets themselves before the warm-up (each flow's first packet goes
     * through the worker's slow path), then traffic over all N: the LAN mirror rotates every
     * packet to the next flow of a scattered walk, so each session is used once per N packets
     * leaving the LAN side, in an order unrelated to the order the sessions were created in.
     * UDP timeout 3600 s so that nothing expires during the run; max-sessions = N. The flows'
     * remote ends are {@code remotes} addresses behind the gateway (the matrix's 16, or as many as
     * a busy edge sees: {@link Flows#serverIp}).
     */
    static Setup naptEstablished(int n, int remotes) {
        return naptEstablished("napt-established", naptEstablishedVariant(n, remotes), n, remotes);
    }

    /**
     * rule-swap:napt: napt-established over n sessions while a control thread publishes a new
     * snapshot of the same rules 10 times a second (SnapshotSwapper). The sessions stay, so every
     * packet must still leave translated by its own session: what it checks is the worker's
     * change of snapshot under a big table's traffic (bursts received under one snapshot and
     * processed when the next has come), not a change of rules.
     */
    static Setup ruleSwapNapt(int n) {
        Setup s = naptEstablished("rule-swap", "napt:" + n, n, SERVERS);
        s.swapTo = s.config;
        s.describe.put("swaps_per_s_target", SnapshotSwapper.SWAPS_PER_SECOND);
        return s;
    }

    private static Setup naptEstablished(String scenario, String variant, int n, int remotes) {
        int hosts = naptHosts(n);
        int poolSize = naptPool(n);
        int[] pool = pool(poolSize);
        checkPortBudget(pool, hosts, (n + hosts - 1) / hosts);
        var rule = new NatConfig.Outbound(WAN, INSIDE, 16, pool, false, "");
        NatConfig nat = nat(new NatConfig.Timeouts(3600, 7440, 3600, 60), n, List.of(), List.of(), List.of(rule));
        Setup s = new Setup(scenario, variant, natConfig(nat), insideHosts(hosts), LAN,
                Mirror.Mode.SWAP, Mirror.Mode.ROTATE,
                () -> new Flows(n, hosts, HOST_BASE, 1024, SERVER_BASE, remotes, 443, Frames.PROTO_UDP), n, true,
                POOL_BASE, poolSize);
        s.describe.put("rules", 1);
        s.describe.put("client_hosts", hosts);
        s.describe.put("pool_addresses", poolSize);
        s.describe.put("remote_addresses", remotes);
        s.describe.put("udp_timeout_s", 3600);
        return s;
    }

    /** Fails early when paired pooling would put more ports on one pool address than it has. */
    private static void checkPortBudget(int[] pool, int hosts, int portsPerHost) {
        PortAllocator a = new PortAllocator(pool, 1, 0, false, 1);
        long[] load = new long[pool.length];
        for (int h = 0; h < hosts; h++) {
            load[a.addressFor(HOST_BASE + h)] += portsPerHost;
        }
        for (int i = 0; i < load.length; i++) {
            if (load[i] > HIGH_PORTS) {
                throw new IllegalStateException("pool address " + i + " would need " + load[i] + " ports");
            }
        }
    }

    /**
     * napt-cps: every packet through the worker opens a new outbound NAPT session. The LAN side
     * sends client(g) → server for g = 0, 1, 2, … (16384 hosts × ports 1024..65535, so no tuple
     * comes back within 10^9 flows); the WAN mirror takes each translated packet and re-injects it
     * into the LAN port as the next new flow (CROSS), so there is no reply direction. Sessions
     * expire after 1 s (UDP, or TCP transitory for SYN) and the table holds 2^23. Filtering is the
     * product's default, address-dependent, or with {@code apdf} address-and-port-dependent (as
     * pf and Linux conntrack filter).
     */
    static Setup naptCps(int proto, boolean apdf, int maxSessions) {
        int[] pool = pool(CPS_POOL);
        var rule = new NatConfig.Outbound(WAN, INSIDE, 16, pool, false, "");
        int t = CPS_TIMEOUT_S;
        NatConfig.Filtering filtering = apdf ? NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT
                : NatConfig.Filtering.ADDRESS_DEPENDENT;
        NatConfig nat = nat(filtering, new NatConfig.Timeouts(t, t, t, t), maxSessions, List.of(), List.of(), List.of(rule));
        int n = CPS_HOSTS * HIGH_PORTS;
        String variant = (proto == Frames.PROTO_TCP ? "tcp" : "udp") + (apdf ? "-apdf" : "");
        Setup s = new Setup("napt-cps", variant, natConfig(nat), List.of(GATEWAY), LAN,
                Mirror.Mode.CROSS, Mirror.Mode.SWAP,
                () -> new Flows(n, CPS_HOSTS, HOST_BASE, 1024, SERVER_BASE, SERVERS, proto == Frames.PROTO_TCP ? 443 : 53,
                        proto),
                0, false, POOL_BASE, CPS_POOL);
        s.describe.put("rules", 1);
        s.describe.put("client_hosts", CPS_HOSTS);
        s.describe.put("pool_addresses", CPS_POOL);
        s.describe.put("session_timeout_s", t);
        s.describe.put("filtering", filtering.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        return s;
    }

    /**
     * hairpin: inside clients (10.0.0.2+h, 64 hosts) reach the server 10.0.1.10 through its 1:1
     * public address 198.51.0.10:80 (reflection, mapped source). napt: the clients have an
     * outbound NAPT rule, so each flow gets a mapping and a session on its first pass and the
     * server sees the client's NAPT identity; binat: the clients have 1:1 rules too
     * (198.51.1.1+h), so both directions are stateless. Everything stays on the LAN port.
     */
    static Setup hairpin(String variant, int inFlight) {
        int hosts = flowHosts(inFlight, 64);
        List<NatConfig.OneToOne> oneToOne = new ArrayList<>(List.of(oneToOne(HAIRPIN_PUBLIC, HAIRPIN_SERVER)));
        List<NatConfig.Outbound> outbound = new ArrayList<>();
        boolean napt = variant.equals("napt");
        if (napt) {
            outbound.add(new NatConfig.Outbound(WAN, INSIDE, 16, pool(1), false, ""));
        } else {
            for (int h = 0; h < hosts; h++) {
                oneToOne.add(oneToOne(HAIRPIN_CLIENT_BASE + h, HOST_BASE + h));
            }
        }
        NatConfig nat = nat(NatConfig.Timeouts.DEFAULTS, NatConfig.none().maxSessions(), oneToOne, List.of(),
                outbound);
        List<Integer> neighbors = insideHosts(hosts);
        neighbors.add(HAIRPIN_SERVER);
        Setup s = new Setup("hairpin", variant, natConfig(nat), neighbors, LAN, Mirror.Mode.SWAP, Mirror.Mode.SWAP,
                () -> new Flows(inFlight, hosts, HOST_BASE, 1024, HAIRPIN_PUBLIC, 1, 80, Frames.PROTO_UDP),
                napt ? inFlight : 0, false, 0, 0);
        s.describe.put("rules", oneToOne.size() + outbound.size());
        s.describe.put("client_hosts", hosts);
        return s;
    }
}
