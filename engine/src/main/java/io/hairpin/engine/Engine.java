package io.hairpin.engine;

import io.hairpin.engine.neighbor.NeighborTable;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.SnapshotHolder;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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

    private final EngineConfig config;
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
    private boolean closed;

    private Engine(EngineConfig config, Mempool pool, List<EthPort> ports, List<EthPort> taps, List<String> tapNames,
                   SnapshotHolder snapshots, NeighborTable neighbors, List<Worker> workers) {
        this.config = config;
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

    /** Starts the data plane; any failure releases what was set up and throws a {@link DpdkException}. */
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
                String kernelIface = KernelInterfaceGuard.afPacketInterface(dev);
                if (kernelIface != null) {
                    guard.guard(kernelIface);
                }
                ports.add(port);
                int[] max = port.maxQueues();
                if (max[0] < config.workers() || max[1] < config.workers()) {
                    throw new DpdkException("Device '" + dev + "' offers " + max[0] + " RX and " + max[1]
                            + " TX queues, but workers: " + config.workers() + " needs one of each per worker"
                            + " (for net_af_packet add qpairs=" + config.workers() + ").");
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
            Snapshot first = Snapshot.compile(1, config, macs);
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
            List<Worker> workers = new ArrayList<>();
            int cpus = Runtime.getRuntime().availableProcessors();
            for (int w = 0; w < config.workers(); w++) {
                int cpu = cpus > 1 ? (1 + w) % cpus : -1;
                workers.add(new Worker(w, holder, neighbors, pool.segment(), txPortId, ports.size(), cpu));
            }
            if (workers.size() > 1) {
                Worker.connect(workers.toArray(new Worker[0]), HANDOFF_CAPACITY);
            }
            Engine engine = new Engine(config, pool, ports, taps, tapNames, holder, neighbors, workers);
            engine.kernelGuard = guard;
            for (Worker w : workers) {
                AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Engine::workerFailed, null, w);
                engine.runners.add(runner);
                AgentRunner.startOnThread(runner);
            }
            return engine;
        } catch (RuntimeException e) {
            taps.forEach(EthPort::close);
            ports.forEach(EthPort::close);
            pool.free();
            guard.close();
            throw e;
        }
    }

    private static void workerFailed(Throwable t) {
        System.err.println("hairpin: worker error: " + t);
        t.printStackTrace();
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
            ip("addr", "replace", Ipv4.format(a.address()) + "/" + a.prefixLength(), "dev", tap);
        }
        if (ifc.gateway() != 0) {
            // A high metric leaves a management interface's own default route in charge.
            ip("route", "replace", "default", "via", Ipv4.format(ifc.gateway()), "dev", tap, "metric", "1000");
        }
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw new DpdkException("Setting up the exception path failed: '" + String.join(" ", cmd) + "': " + out);
            }
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

    public SnapshotHolder snapshots() {
        return snapshots;
    }

    public long nextSnapshotVersion() {
        return versions.incrementAndGet();
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
        taps.forEach(EthPort::close);
        ports.forEach(EthPort::close);
        pool.free();
        kernelGuard.close();
    }
}
