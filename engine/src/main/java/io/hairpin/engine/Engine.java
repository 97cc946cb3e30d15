package io.hairpin.engine;

import io.hairpin.engine.neighbor.NeighborTable;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.route.PrefixMap;
import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.NatTables;
import io.hairpin.engine.worker.SessionChannel;
import io.hairpin.engine.worker.SnapshotHolder;
import io.hairpin.engine.worker.Tracer;
import io.hairpin.engine.worker.Worker;
import io.hairpin.shim.DpdkException;
import io.hairpin.shim.Eal;
import io.hairpin.shim.EthPort;
import io.hairpin.shim.Mempool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;

/**
 * Set-up and tear-down of the data plane, DPDK l3fwd style: initialise EAL, create the pool,
 * open and start every port (and the exception-path TAPs), compile the first snapshot, then
 * start one worker thread per configured core. The workers' loops do nothing else.
 */
public final class Engine implements AutoCloseable {
    static final int RX_DESCRIPTORS = 1024;
    static final int TX_DESCRIPTORS = 1024;
    static final long NEIGHBOR_REACHABLE_NANOS = 300_000_000_000L;
    static final long NEIGHBOR_GRACE_NANOS = 5_000_000_000L;
    static final int HANDOFF_CAPACITY = 4096;
    /** How long a session request may wait for worker 0. */
    static final long SESSION_REQUEST_TIMEOUT_NANOS = 2_000_000_000L;
    /** How often the kernel's TCP listeners are read: a new host service is reached within this. */
    static final long LISTENER_REFRESH_MILLIS = 200;
    /** How long start waits for the workers' threads to come up and pin themselves. */
    static final long WORKER_START_NANOS = 5_000_000_000L;

    /** The running config: the one started with, then the last one applied. */
    private volatile EngineConfig config;
    /** The MAC address of each device, as found (or set) at start. */
    private final Map<String, Long> macs;
    private final SessionChannel sessionChannel;
    private final Object applyLock = new Object();
    /** The NAT rules' counter ids (set by start, then changed under applyLock). */
    private RuleCounterIds ruleIds;
    private final Object traceLock = new Object();
    private long traceGeneration;
    /** NAT address prefixes (address, length) of the rule sets replaced so far (several workers only). */
    private final List<long[]> retiredNat = new ArrayList<>();
    /** The largest MTU each device's port and the mbufs were set up for at start. */
    private final Map<String, Integer> portMtu;
    private final Mempool pool;
    private final List<EthPort> ports;
    private final List<EthPort> taps;
    private final List<String> tapNames;
    private final SnapshotHolder snapshots;
    private final NeighborTable neighbors;
    private final List<Worker> workers;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AtomicLong versions = new AtomicLong(1);
    private KernelInterfaceGuard kernelGuard;
    private final KernelListeners kernelListeners;
    /** Keeps kernelListeners current while the exception path runs (null without it). */
    private AutoCloseable listenerWatch;
    private CpuReservation cpuReservation;
    private volatile boolean closed;
    private final CompletableFuture<String> workerStopped = new CompletableFuture<>();

    private Engine(EngineConfig config, Map<String, Long> macs, SessionChannel sessionChannel, Mempool pool,
                   List<EthPort> ports, List<EthPort> taps, List<String> tapNames, SnapshotHolder snapshots,
                   NeighborTable neighbors, List<Worker> workers, KernelListeners kernelListeners) {
        this.config = config;
        this.kernelListeners = kernelListeners;
        this.macs = Map.copyOf(macs);
        this.sessionChannel = sessionChannel;
        Map<String, Integer> mtus = new HashMap<>();
        for (EngineConfig.Interface i : config.interfaces()) {
            mtus.merge(i.device(), Math.max(1500, i.mtu()), Math::max);
        }
        this.portMtu = Map.copyOf(mtus);
        this.pool = pool;
        this.ports = ports;
        this.taps = taps;
        this.tapNames = tapNames;
        this.snapshots = snapshots;
        this.neighbors = neighbors;
        this.workers = workers;
    }

    /** The EAL arguments for a config: its own plus safe defaults it did not set. */
    public static List<String> ealArguments(EngineConfig config) {
        List<String> args = new ArrayList<>(config.eal());
        List<String> pci = Snapshot.devicesOf(config).stream().filter(d -> !EthPort.isVirtual(d)).toList();
        if (pci.isEmpty()) {
            if (!args.contains("--no-pci")) {
                args.add("--no-pci"); // otherwise EAL probes and takes the machine's own NICs
            }
        } else {
            for (String dev : pci) {
                args.add("-a");
                args.add(dev);
            }
        }
        if (args.stream().noneMatch(a -> a.startsWith("--file-prefix"))) {
            args.add("--file-prefix");
            args.add("hairpin-" + ProcessHandle.current().pid());
        }
        if (args.stream().noneMatch(a -> a.equals("-l") || a.equals("-c") || a.startsWith("--lcores"))) {
            args.add("-l");
            args.add("0");
        }
        return args;
    }

    /**
     * Starts the data plane; any failure releases what was set up and throws a {@link DpdkException},
     * or a {@link NatTables.DoesNotFit} when the rules keep session state that does not fit.
     */
    public static Engine start(EngineConfig config) {
        if (!Eal.isInitialized()) {
            Eal.init(ealArguments(config));
        }
        List<String> devices = Snapshot.devicesOf(config);
        int maxMtu = config.interfaces().stream().mapToInt(EngineConfig.Interface::mtu).max().orElse(1500);
        int dataRoom = Math.max(2048, maxMtu + Ethernet.HEADER_LEN + 2 * Ethernet.VLAN_TAG_LEN) + 128;
        int mbufs = Math.max(8191, 2 * (devices.size() + config.interfaces().size()) * config.workers()
                * (RX_DESCRIPTORS + TX_DESCRIPTORS) - 1);
        Mempool pool = Mempool.create("hp_pool_" + System.nanoTime() % 100000, mbufs, 256, dataRoom);
        List<EthPort> ports = new ArrayList<>();
        List<EthPort> taps = new ArrayList<>();
        List<String> tapNames = new ArrayList<>();
        KernelInterfaceGuard guard = new KernelInterfaceGuard();
        try {
            Map<String, Long> macs = new HashMap<>();
            for (String dev : devices) {
                EthPort port = EthPort.open(dev);
                // Only once the device exists and is ours: a failed open says why in one sentence.
                String kernelIface = KernelInterfaceGuard.kernelInterface(dev);
                if (kernelIface != null) {
                    guard.guard(kernelIface);
                }
                ports.add(port);
                int[] max = port.maxQueues();
                if (max[0] < config.workers() || max[1] < config.workers()) {
                    throw new DpdkException("Device '" + dev + "' offers " + max[0] + " RX and " + max[1]
                            + " TX queues, but workers: " + config.workers() + " needs one of each per worker"
                            + " (for net_af_packet add qpairs=" + config.workers() + ", for net_af_xdp queue_count="
                            + config.workers() + ").");
                }
                port.configure(config.workers(), config.workers(), RX_DESCRIPTORS, TX_DESCRIPTORS, pool);
                int mtu = config.interfaces().stream().filter(i -> i.device().equals(dev))
                        .mapToInt(EngineConfig.Interface::mtu).max().orElse(1500);
                if (mtu > 1500 && !port.setMtu(mtu)) {
                    throw new DpdkException("Device '" + dev + "' does not accept MTU " + mtu + ".");
                }
                long wantedMac = config.interfaces().stream().filter(i -> i.device().equals(dev))
                        .mapToLong(EngineConfig.Interface::mac).filter(m -> m != 0).findFirst().orElse(0);
                // Ports run promiscuous, so a driver that cannot change its address (net_pcap)
                // still receives frames sent to the configured one: the data plane filters on it.
                boolean macSet = wantedMac != 0 && port.setMac(wantedMac);
                port.start();
                port.promiscuous(true);
                macs.put(dev, wantedMac != 0 && !macSet ? wantedMac : port.mac());
            }
            RuleCounterIds ids = new RuleCounterIds();
            RuleCounterIds.Plan plan = ids.plan(config.nat());
            ids.commit(plan, id -> RuleCounts.Rule.ZERO); // nothing counted yet
            Snapshot first = Snapshot.compile(1, config, macs, null, plan.ids());
            checkNatPools(null, first, config, 0);
            if (config.exceptionPath()) {
                for (int i = 0; i < config.interfaces().size(); i++) {
                    EngineConfig.Interface ifc = config.interfaces().get(i);
                    String tapName = tapName(ifc.name());
                    EthPort tap = EthPort.open("net_tap_" + ifc.name() + ",iface=" + tapName);
                    taps.add(tap);
                    tapNames.add(tapName);
                    tap.configure(config.workers(), config.workers(), 512, 512, pool);
                    tap.start();
                    configureKernelSide(tapName, ifc, first.mac[i], config);
                }
            }
            short[] txPortId = new short[ports.size() + config.interfaces().size()];
            for (int p = 0; p < ports.size(); p++) {
                txPortId[p] = ports.get(p).id();
            }
            for (int i = 0; i < config.interfaces().size(); i++) {
                txPortId[ports.size() + i] = taps.isEmpty() ? -1 : taps.get(i).id();
            }
            SnapshotHolder holder = new SnapshotHolder(first, config.workers());
            NeighborTable neighbors = new NeighborTable(65536, NEIGHBOR_REACHABLE_NANOS);
            SessionChannel channel = new SessionChannel();
            KernelListeners listeners = new KernelListeners(); // none without the exception path: no kernel behind it
            List<Worker> workers = new ArrayList<>();
            int cpus = Cpus.online(); // this thread's affinity is EAL's main lcore by now
            for (int w = 0; w < config.workers(); w++) {
                int cpu = cpus > 1 ? (1 + w) % cpus : -1;
                workers.add(new Worker(w, holder, neighbors, pool.segment(), txPortId, ports.size(), cpu, channel,
                        listeners));
            }
            if (workers.size() > 1) {
                Worker.connect(workers.toArray(new Worker[0]), HANDOFF_CAPACITY);
            }
            Engine engine = new Engine(config, macs, channel, pool, ports, taps, tapNames, holder, neighbors, workers,
                    listeners);
            engine.kernelGuard = guard;
            engine.ruleIds = ids;
            if (config.exceptionPath()) {
                // started before the workers' CPUs are reserved, so the reservation moves it off them too
                engine.listenerWatch = listeners.watch(LISTENER_REFRESH_MILLIS);
            }
            for (Worker w : workers) {
                w.whenStopped(cause -> engine.workerStopped(w.id(), cause));
                AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), w::onError, null, w);
                engine.runners.add(runner);
                AgentRunner.startOnThread(runner);
            }
            engine.reserveWorkerCpus();
            return engine;
        } catch (RuntimeException e) {
            taps.forEach(EthPort::close);
            ports.forEach(EthPort::close);
            pool.free();
            guard.close();
            throw e;
        }
    }

    /**
     * Once every pinned worker has started, moves the process's other threads off the workers'
     * CPUs (see {@link CpuReservation}); with as many workers as CPUs nothing is left to move to.
     */
    private void reserveWorkerCpus() {
        int[] cpus = workers.stream().mapToInt(Worker::cpu).filter(c -> c >= 0).distinct().toArray();
        if (cpus.length == 0) {
            return;
        }
        long deadline = System.nanoTime() + WORKER_START_NANOS;
        while (workers.stream().anyMatch(w -> w.tid() == 0)) {
            if (System.nanoTime() - deadline > 0) {
                System.err.println("hairpin: warning: a worker has not started within "
                        + WORKER_START_NANOS / 1_000_000_000L + " s; other threads may share the workers' CPUs.");
                return;
            }
            LockSupport.parkNanos(100_000);
        }
        cpuReservation = CpuReservation.reserve(cpus, workers.stream().map(Worker::tid).collect(Collectors.toSet()));
        if (cpuReservation.movedThreads() > 0) {
            System.err.println("hairpin: CPU " + Arrays.stream(cpus).mapToObj(Integer::toString)
                    .collect(Collectors.joining(",")) + " left to the workers (" + cpuReservation.movedThreads()
                    + " other threads moved off)");
        }
    }

    /** On the worker's thread, once its loop has ended: unless the engine is closing, the appliance has failed. */
    private void workerStopped(int id, Error cause) {
        if (!closed) {
            workerStopped.complete("worker " + id + " stopped: "
                    + (cause == null ? "its thread was interrupted" : cause.toString()));
        }
    }

    /**
     * Completes, with what happened, when a worker's loop ends while the engine runs (an
     * {@link Error} out of it, or an interrupt). The rest of the engine goes on, but the traffic
     * that worker owns is no longer forwarded, so the appliance should stop and be restarted;
     * it never completes once {@link #close} has begun.
     */
    public CompletableFuture<String> workerStopped() {
        return workerStopped.copy();
    }

    /** Kernel interface names are at most 15 characters. */
    static String tapName(String interfaceName) {
        String n = "hp" + interfaceName;
        return n.length() > 15 ? n.substring(0, 15) : n;
    }

    /** Gives the TAP the interface's MAC, MTU and addresses, so host services answer as the appliance. */
    private static void configureKernelSide(String tap, EngineConfig.Interface ifc, long mac, EngineConfig config) {
        try {
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf", tap, "disable_ipv6"), "1");
        } catch (IOException e) {
            // IPv6 may be disabled or absent in this kernel: nothing to turn off then.
        }
        ip("link", "set", "dev", tap, "address", Ethernet.formatMac(mac), "mtu", Integer.toString(ifc.mtu()), "up");
        for (EngineConfig.Address a : ifc.addresses()) {
            ip("addr", "replace", cidr(a), "dev", tap);
        }
        if (ifc.gateway() != 0) {
            ip(defaultRoute("replace", ifc.gateway(), tap));
        }
    }

    private static void ip(String... args) {
        String failed = ipCommand(args);
        if (failed != null) {
            throw new DpdkException("Setting up the exception path failed: " + failed);
        }
    }

    /** A removal that the kernel may have made already (a route that went with its subnet's address). */
    private static void ipIfPresent(String... args) {
        ipCommand(args);
    }

    /** Runs {@code ip args}: null when it succeeded, else the command and what it said. */
    private static String ipCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : "'" + String.join(" ", cmd) + "': " + out;
        } catch (IOException e) {
            throw new DpdkException("Setting up the exception path needs the 'ip' command (iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DpdkException("Interrupted while setting up the exception path.", e);
        }
    }

    public Snapshot snapshot() {
        return snapshots.current();
    }

    // ---- the control plane's calls ----------------------------------------------------------

    /**
     * Swaps the running rules while traffic flows (RCU): compiles {@code next} into a new
     * snapshot, publishes it, and waits until every worker runs it. Only NAT rules, static routes
     * and each interface's addresses, MTU (up to what its port was started with), anti-spoofing
     * and gateway may differ from the running config. Sessions created under the old rules keep their
     * translation until they expire or are flushed. Calls are serialised.
     *
     * @return the new snapshot's version
     * @throws IllegalArgumentException when next changes what needs a restart (the message names
     *         each difference), does not compile, or is the first to keep session state and that
     *         does not fit ({@link NatTables.DoesNotFit}); the running rules are then untouched
     * @throws IllegalStateException    when a worker has not picked the new rules up within
     *         timeoutMillis (they are published and apply as soon as it does)
     */
    public long apply(EngineConfig next, long timeoutMillis) {
        Objects.requireNonNull(next, "next");
        synchronized (applyLock) {
            if (closed) {
                throw new IllegalStateException("the engine is stopped");
            }
            EngineConfig running = config;
            String refusal = cannotApply(running, next, portMtu, snapshots.natCapacity());
            if (refusal != null) {
                throw new IllegalArgumentException(refusal);
            }
            long version = versions.incrementAndGet();
            PrefixMap retired = null;
            List<long[]> nowRetired = new ArrayList<>(retiredNat);
            if (running.workers() > 1) {
                nowRetired.addAll(natPrefixes(running.nat()));
                nowRetired.addAll(addressesGone(running, next));
                retired = prefixMap(nowRetired);
            }
            RuleCounterIds.Plan plan = ruleIds.plan(next.nat());
            Snapshot compiled = Snapshot.compile(version, next, macs, retired, plan.ids());
            // the first rules to keep session state have it built here, on this thread, and the
            // port pools the rules add must fit beside it: a refusal leaves the running rules as
            // they were
            checkNatPools(running, compiled, next, snapshots.natCapacity());
            snapshots.prepare(compiled);
            retiredNat.clear();
            retiredNat.addAll(nowRetired);
            if (running.exceptionPath()) {
                updateKernelSide(running, next);
            }
            ruleIds.commit(plan, this::ruleTotals);
            snapshots.publish(compiled);
            config = next;
            awaitAcknowledged(version, timeoutMillis);
            return version;
        }
    }

    private void awaitAcknowledged(long version, long timeoutMillis) {
        long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
        int spins = 0;
        while (!snapshots.allAcknowledged(version)) {
            if (System.nanoTime() - deadline > 0) {
                StringBuilder late = new StringBuilder();
                for (int w = 0; w < snapshots.workers(); w++) {
                    long v = snapshots.acknowledged(w);
                    if (v < version) {
                        late.append(late.isEmpty() ? "" : ", ").append("worker ").append(w)
                                .append(" (still on version ").append(v).append(")");
                    }
                }
                throw new IllegalStateException("snapshot version " + version + " was not acknowledged within "
                        + timeoutMillis + " ms by " + late + "; it is published and takes effect when the worker"
                        + " picks it up");
            }
            if (++spins < 1000) {
                Thread.onSpinWait();
            } else {
                try {
                    Thread.sleep(0, 50_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the workers to acknowledge version "
                            + version, e);
                }
            }
        }
    }

    /**
     * Why next cannot be applied to a running engine, or null: one sentence per difference that
     * needs a restart (a max-sessions above the capacity of the session state already built,
     * {@code natCapacity}, 0 when none is, among them), and a rule set with more NAT pools than
     * can live at once.
     */
    static String cannotApply(EngineConfig running, EngineConfig next, Map<String, Integer> portMtu, int natCapacity) {
        List<String> out = new ArrayList<>();
        if (natCapacity > 0 && NatTables.capacityFor(next.nat().maxSessions()) > natCapacity) {
            out.add("raising nat.max-sessions to " + next.nat().maxSessions() + " requires a restart: the session"
                    + " state was built for " + natCapacity);
        }
        java.util.Set<List<Integer>> pools = natPools(next);
        if (pools.size() > Worker.MAX_NAT_POOLS) {
            out.add("the rules use " + pools.size() + " distinct NAT pools (counting each interface's address);"
                    + " at most " + Worker.MAX_NAT_POOLS + " can be in use at once");
        }
        if (running.workers() != next.workers()) {
            out.add("changing workers requires a restart: " + running.workers() + " -> " + next.workers());
        }
        if (!running.eal().equals(next.eal())) {
            out.add("changing eal requires a restart: " + running.eal() + " -> " + next.eal());
        }
        if (running.exceptionPath() != next.exceptionPath()) {
            out.add("changing exception-path requires a restart: " + running.exceptionPath() + " -> "
                    + next.exceptionPath());
        }
        List<String> names = running.interfaces().stream().map(EngineConfig.Interface::name).toList();
        List<String> nextNames = next.interfaces().stream().map(EngineConfig.Interface::name).toList();
        if (!names.equals(nextNames)) {
            out.add("changing interfaces requires a restart: " + names + " -> " + nextNames);
        } else {
            List<String> diffs = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                EngineConfig.Interface a = running.interfaces().get(i);
                EngineConfig.Interface b = next.interfaces().get(i);
                String n = a.name();
                if (!a.device().equals(b.device())) {
                    diffs.add(n + " device " + a.device() + " -> " + b.device());
                }
                if (a.vlan() != b.vlan()) {
                    diffs.add(n + " vlan " + vlanText(a.vlan()) + " -> " + vlanText(b.vlan()));
                }
                if (a.external() != b.external()) {
                    diffs.add(n + " role " + roleText(a.external()) + " -> " + roleText(b.external()));
                }
                if (a.mac() != b.mac()) {
                    diffs.add(n + " mac " + macText(a.mac()) + " -> " + macText(b.mac()));
                }
            }
            if (!diffs.isEmpty()) {
                out.add("changing interfaces requires a restart: " + String.join("; ", diffs));
            }
            for (EngineConfig.Interface b : next.interfaces()) {
                Integer max = portMtu.get(b.device());
                if (max != null && b.mtu() > max) {
                    out.add("raising the mtu of " + b.name() + " to " + b.mtu() + " requires a restart: its port and"
                            + " buffers were set up for " + max);
                }
            }
        }
        return out.isEmpty() ? null : String.join("; ", out);
    }

    /**
     * The address lists worker 0 builds a NAT port pool for, once it keeps session state: each
     * outbound rule's pool, and each interface's first address.
     */
    public static java.util.Set<List<Integer>> natPools(EngineConfig c) {
        java.util.Set<List<Integer>> pools = new java.util.HashSet<>();
        for (NatConfig.Outbound o : c.nat().outbound()) {
            if (o.pool().length > 0) { // an empty pool is the interface's address
                pools.add(Arrays.stream(o.pool()).boxed().toList());
            }
        }
        for (EngineConfig.Interface i : c.interfaces()) {
            if (!i.addresses().isEmpty()) {
                pools.add(List.of(i.addresses().get(0).address()));
            }
        }
        return pools;
    }

    /**
     * Refuses rules whose NAT port pools, the ones not in {@code running} (null at start: all),
     * would not fit the Java heap besides the session state they are the first to need: worker 0
     * builds the pools when it takes the rules up, where running out of heap would stop it.
     *
     * @throws NatTables.DoesNotFit when they would not fit; nothing changed
     */
    private static void checkNatPools(EngineConfig running, Snapshot next, EngineConfig nextConfig, int natCapacity) {
        boolean tablesNow = natCapacity == 0 && NatTables.needed(next.nat);
        if (natCapacity == 0 && !tablesNow) {
            return; // pools come with the session state
        }
        java.util.Set<List<Integer>> added = natPools(nextConfig);
        if (running != null) {
            added.removeAll(natPools(running));
        }
        String refusal = NatTables.cannotHoldHere(next.nat.maxSessions, tablesNow, NatTables.Pools.of(added));
        if (refusal != null) {
            throw new NatTables.DoesNotFit(refusal, null);
        }
    }

    private static String vlanText(int vlan) {
        return vlan == 0 ? "untagged" : Integer.toString(vlan);
    }

    private static String roleText(boolean external) {
        return external ? "external" : "internal";
    }

    private static String macText(long mac) {
        return mac == 0 ? "(the device's own)" : Ethernet.formatMac(mac);
    }

    /** The public addresses a NAT config translates to, as (address, prefix length) pairs. */
    static List<long[]> natPrefixes(NatConfig nat) {
        List<long[]> out = new ArrayList<>();
        for (NatConfig.Outbound o : nat.outbound()) {
            for (int a : o.pool()) {
                out.add(new long[] {a, 32});
            }
        }
        for (NatConfig.PortForward f : nat.portForwards()) {
            out.add(new long[] {f.external(), 32});
        }
        for (NatConfig.OneToOne b : nat.oneToOne()) {
            if (!b.noBinat()) {
                int len = b.prefixLength();
                int mask = len == 0 ? 0 : -1 << (32 - len);
                out.add(new long[] {b.external() & mask, len});
            }
        }
        return out;
    }

    /**
     * The interface addresses running has and next does not, as /32s: sessions that outbound
     * NAT made on an interface's old address keep it until they expire.
     */
    static List<long[]> addressesGone(EngineConfig running, EngineConfig next) {
        Set<Integer> kept = new HashSet<>();
        for (EngineConfig.Interface i : next.interfaces()) {
            i.addresses().forEach(a -> kept.add(a.address()));
        }
        List<long[]> out = new ArrayList<>();
        for (EngineConfig.Interface i : running.interfaces()) {
            for (EngineConfig.Address a : i.addresses()) {
                if (!kept.contains(a.address())) {
                    out.add(new long[] {a.address(), 32});
                }
            }
        }
        return out;
    }

    private static PrefixMap prefixMap(List<long[]> prefixes) {
        if (prefixes.isEmpty()) {
            return null;
        }
        PrefixMap.Builder b = new PrefixMap.Builder();
        for (long[] p : prefixes) {
            b.paint((int) p[0], (int) p[1], 0);
        }
        return b.build();
    }

    /**
     * The exception path's kernel side follows address, MTU and gateway changes. When an
     * {@code ip} command fails, what it had changed is put back as far as it goes, and the
     * failure is thrown.
     */
    private void updateKernelSide(EngineConfig running, EngineConfig next) {
        try {
            changeKernelSide(running, next);
        } catch (DpdkException e) {
            try {
                changeKernelSide(next, running);
            } catch (DpdkException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private void changeKernelSide(EngineConfig running, EngineConfig next) {
        for (int i = 0; i < next.interfaces().size() && i < tapNames.size(); i++) {
            EngineConfig.Interface a = running.interfaces().get(i);
            EngineConfig.Interface b = next.interfaces().get(i);
            String tap = tapNames.get(i);
            if (a.mtu() != b.mtu()) {
                ip("link", "set", "dev", tap, "mtu", Integer.toString(b.mtu()));
            }
            boolean renumbered = !a.addresses().equals(b.addresses());
            if (renumbered) {
                // old ones first: taking a subnet's primary address away takes its secondaries along
                for (EngineConfig.Address old : a.addresses()) {
                    if (!b.addresses().contains(old)) {
                        ipIfPresent("addr", "del", cidr(old), "dev", tap);
                    }
                }
                for (EngineConfig.Address now : b.addresses()) {
                    ip("addr", "replace", cidr(now), "dev", tap);
                }
            }
            if (b.gateway() != 0 && (renumbered || a.gateway() != b.gateway())) {
                // the kernel drops a route whose gateway's subnet went with an address
                ip(defaultRoute("replace", b.gateway(), tap));
            } else if (b.gateway() == 0 && a.gateway() != 0) {
                ipIfPresent(defaultRoute("del", a.gateway(), tap));
            }
        }
    }

    /** {@code ip route VERB} of the TAP's default route; a high metric leaves a management interface's own in charge. */
    private static String[] defaultRoute(String verb, int gateway, String tap) {
        return new String[] {"route", verb, "default", "via", Ipv4.format(gateway), "dev", tap, "metric", "1000"};
    }

    private static String cidr(EngineConfig.Address a) {
        return Ipv4.format(a.address()) + "/" + a.prefixLength();
    }

    /**
     * NAT sessions held by worker 0 matching a filter, at most limit; address 0 = any (else
     * inside, outside or remote address), protocol 0 = any. Served by worker 0 in its
     * housekeeping, {@link SessionChannel#MAX_RESULTS} at a time; waits up to 2 s for each.
     */
    public List<SessionView> sessions(int address, int protocol, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        if (limit == 0) {
            return List.of();
        }
        checkRunning();
        List<SessionView> out = new ArrayList<>();
        // in requests of at most MAX_RESULTS, each going on from where the one before stopped
        int from = 0;
        while (from >= 0 && out.size() < limit) {
            SessionChannel.Listing l;
            try {
                l = sessionChannel.list(address, protocol, Math.min(limit - out.size(), SessionChannel.MAX_RESULTS),
                        from, SESSION_REQUEST_TIMEOUT_NANOS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the session list", e);
            }
            long[] d = l.data();
            for (int i = 0; i < l.count(); i++) {
                int b = i * SessionChannel.FIELDS;
                long left = Math.max(0, d[b + 4] - l.now()) / 1_000_000L;
                out.add(SessionView.of(d[b], d[b + 1], d[b + 2], d[b + 3], (int) (d[b + 5] >>> 32), left,
                        ruleIds.rule((int) d[b + 5])));
            }
            from = l.next();
        }
        return out;
    }

    /**
     * Removes the NAT sessions matching a filter (as {@link #sessions}), releasing their mappings
     * and ports; returns how many were removed.
     */
    public int flushSessions(int address, int protocol) {
        checkRunning();
        try {
            return sessionChannel.flush(address, protocol, SESSION_REQUEST_TIMEOUT_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the flush", e);
        }
    }

    /** Worker 0's NAT session count as of its last housekeeping round (at most about a millisecond old). */
    public long sessionCount() {
        return sessionChannel.sessionCount();
    }

    /**
     * Traces the next n packets (1..{@link Tracer#CAPACITY}) the workers take from the ports:
     * where each came in, what it was, and what became of it. Returns when n were traced or
     * timeoutMillis passed (then with fewer), in the order they were taken. Calls are serialised.
     */
    public List<TraceEntry> trace(int n, long timeoutMillis) {
        if (n < 1 || n > Tracer.CAPACITY) {
            throw new IllegalArgumentException("trace shows 1.." + Tracer.CAPACITY + " packets, not " + n);
        }
        checkRunning();
        synchronized (traceLock) {
            long generation = ++traceGeneration;
            long armedAt = System.nanoTime();
            List<TraceEntry> out = new ArrayList<>();
            try {
                for (Worker w : workers) {
                    w.tracer().arm(generation, n);
                }
                long deadline = armedAt + Math.max(0, timeoutMillis) * 1_000_000L;
                while (traced(generation) < n && System.nanoTime() - deadline < 0) {
                    Thread.sleep(1);
                }
                Snapshot snap = snapshots.current();
                NatConfig nat = config.nat();
                for (Worker w : workers) {
                    Tracer t = w.tracer();
                    if (t.acknowledged() != generation) {
                        continue;
                    }
                    int count = t.recorded();
                    long[] e = t.copy(count);
                    for (int i = 0; i < count; i++) {
                        out.add(TraceFormat.entry(e, i * Tracer.STRIDE, w.id(), armedAt, snap, nat));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while tracing", e);
            } finally {
                long off = ++traceGeneration;
                for (Worker w : workers) {
                    w.tracer().arm(off, 0);
                }
            }
            out.sort(Comparator.comparingLong(TraceEntry::nanos)); // stable: each worker's own order is kept
            return out.size() > n ? List.copyOf(out.subList(0, n)) : out;
        }
    }

    private long traced(long generation) {
        long sum = 0;
        for (Worker w : workers) {
            Tracer t = w.tracer();
            if (t.acknowledged() == generation) {
                sum += t.recorded();
            }
        }
        return sum;
    }

    private void checkRunning() {
        if (closed) {
            throw new IllegalStateException("the engine is stopped");
        }
    }

    public SnapshotHolder snapshots() {
        return snapshots;
    }

    public long nextSnapshotVersion() {
        return versions.incrementAndGet();
    }

    /** The TCP ports the kernel behind the exception path listens on, as last read. */
    public KernelListeners kernelListeners() {
        return kernelListeners;
    }

    public NeighborTable neighbors() {
        return neighbors;
    }

    public List<Worker> workers() {
        return workers;
    }

    public EngineConfig config() {
        return config;
    }

    public List<EthPort> ports() {
        return ports;
    }

    public List<String> tapNames() {
        return tapNames;
    }

    /** Sum of one port counter over all workers. */
    public long portCounter(int port, int counter) {
        long sum = 0;
        for (Worker w : workers) {
            sum += w.counters().port(port, counter);
        }
        return sum;
    }

    /** Sum of one event counter over all workers. */
    public long eventCounter(int event) {
        long sum = 0;
        for (Worker w : workers) {
            sum += w.counters().event(event);
        }
        return sum;
    }

    /** What each NAT rule in force has done (see {@link RuleCounts}). */
    public RuleCounts ruleCounts() {
        return ruleIds.counts(this::ruleTotals);
    }

    /** The counts of counter id {@code id}, summed over the workers. */
    private RuleCounts.Rule ruleTotals(int id) {
        RuleCounts.Rule t = RuleCounts.Rule.ZERO;
        for (Worker w : workers) {
            t = t.plus(w.ruleCounters().counts(id));
        }
        return t;
    }

    /** All non-zero event counters, summed over workers, by name. */
    public Map<String, Long> events() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (int e = 0; e < Counters.EVENT_COUNT; e++) {
            long v = eventCounter(e);
            if (v != 0) {
                out.put(Counters.EVENT_NAMES[e], v);
            }
        }
        return out;
    }

    /** Stops the workers (each finishes its loop, sends what it holds), then the ports. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        runners.forEach(AgentRunner::close);
        if (listenerWatch != null) {
            try {
                listenerWatch.close();
            } catch (Exception e) {
                Thread.currentThread().interrupt(); // only an interrupted join throws
            }
        }
        if (cpuReservation != null) {
            cpuReservation.close();
        }
        taps.forEach(EthPort::close);
        ports.forEach(EthPort::close);
        pool.free();
        kernelGuard.close();
    }
}
