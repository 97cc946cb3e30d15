package io.hairpin.control.appliance;

import io.hairpin.control.config.Cidr;
import io.hairpin.control.config.ConfigError;
import io.hairpin.control.config.ConfigException;
import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.ConfigSummary;
import io.hairpin.control.config.ControlConfig;
import io.hairpin.control.config.HairpinConfig;
import io.hairpin.control.config.InterfaceConfig;
import io.hairpin.control.config.LoadedConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.control.myip.PublicAddresses;
import io.hairpin.control.persist.ConfigStore;
import io.hairpin.control.persist.ConfigStoreException;
import io.hairpin.control.service.ControlService;
import io.hairpin.control.socket.ControlServer;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.KernelListeners;
import io.hairpin.engine.RuleCounts;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.Worker;
import io.hairpin.shim.EthPort;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * The running appliance as the control socket, the metrics endpoint and the myip responder see
 * it: reads go to the engine's counters and current snapshot (any thread, no locks), {@link #apply}
 * validates a file, swaps the engine's rules and persists the file as the running config, one
 * apply at a time.
 */
public final class ApplianceService implements ControlService, AutoCloseable {
    /** How long apply waits for every worker to pick up new rules. */
    static final long APPLY_TIMEOUT_MILLIS = 5_000;
    /** At most this many addresses in one cpnat query (a /20). */
    static final int CPNAT_MAX_ADDRESSES = 4096;

    /** The DPDK port statistics, named as DPDK's rte_eth_stats fields. */
    static final String[] DPDK_STAT_NAMES = {"dpdk_ipackets", "dpdk_opackets", "dpdk_ibytes", "dpdk_obytes",
        "dpdk_imissed", "dpdk_ierrors", "dpdk_oerrors", "dpdk_rx_nombuf"};

    private final Engine engine;
    private final EngineOps ops;
    private final ConfigStore store;
    private final String version;
    private final String operatorGroup;
    private final long startNanos = System.nanoTime();
    private final ReentrantLock applyLock = new ReentrantLock();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile Running running;
    private volatile Cache cache;

    /** The config in force and what the engine was given for it. */
    private record Running(HairpinConfig config, EngineConfig engineConfig) {
    }

    /** Public-address answers for one snapshot. */
    private record Cache(Snapshot snapshot, PublicAddresses addresses) {
    }

    /**
     * @param engine  the started engine
     * @param config  the config it was started with
     * @param store   where the running config lives (the file {@code hairpin run --config} named)
     * @param version the program's version, for status
     */
    public ApplianceService(Engine engine, HairpinConfig config, ConfigStore store, String version) {
        this(engine, EngineOps.of(engine), config, store, version);
    }

    ApplianceService(Engine engine, EngineOps ops, HairpinConfig config, ConfigStore store, String version) {
        this(engine, ops, config, store, version, ControlServer.GROUP);
    }

    /** @param operatorGroup the group whose members may use the control socket besides root */
    ApplianceService(Engine engine, EngineOps ops, HairpinConfig config, ConfigStore store, String version,
                     String operatorGroup) {
        this.operatorGroup = Objects.requireNonNull(operatorGroup, "operatorGroup");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.ops = Objects.requireNonNull(ops, "ops");
        this.store = Objects.requireNonNull(store, "store");
        this.version = Objects.requireNonNull(version, "version");
        this.running = new Running(withSource(config, store.path()), EngineConfigs.from(config));
    }

    private static HairpinConfig withSource(HairpinConfig c, Path source) {
        return new HairpinConfig(c.workers(), c.eal(), c.interfaces(), c.routes(), c.nat(), c.control(),
                c.exceptionPath(), source, c.locations());
    }

    /** The config in force. */
    public HairpinConfig config() {
        return running.config();
    }

    /**
     * Waits for the calls in progress (a trace waits for its packets, an apply for its swap) and
     * refuses new ones: after this the engine may be closed under the listeners still running.
     */
    @Override
    public void close() {
        closed = true;
        lifecycle.writeLock().lock();
        lifecycle.writeLock().unlock();
    }

    /** Runs a call unless the appliance is stopping; close() waits for it. */
    private <T> T guarded(Supplier<T> call) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("The appliance is stopping.");
            }
            return call.get();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Status status() {
        return guarded(this::statusNow);
    }

    private Status statusNow() {
        Snapshot s = engine.snapshot();
        HairpinConfig c = running.config();
        List<InterfaceStatus> interfaces = new ArrayList<>();
        for (int i = 0; i < c.interfaces().size(); i++) {
            InterfaceConfig itf = c.interfaces().get(i);
            EthPort.LinkStatus link = engine.ports().get(s.port[i]).link();
            interfaces.add(new InterfaceStatus(itf.name(), itf.role().configName(), itf.device(),
                    itf.addresses().stream().map(Cidr::toString).toList(), Ethernet.formatMac(s.mac[i]), link.up(),
                    link.speedMbps()));
        }
        return new Status(version, ProcessHandle.current().pid(), (System.nanoTime() - startNanos) / 1_000_000_000L,
                engine.workers().size(), store.path().toString(), s.version, interfaces, ops.sessionCount(),
                engine.snapshots().natCapacity(),
                engine.config().exceptionPath() ? hostServices(engine.kernelListeners().table(), s::isOwnAddress) : null);
    }

    /**
     * The kernel's TCP listeners the exception path reaches: those on any address ("*:22") and
     * those on one of the appliance's own addresses ("192.168.1.1:80"), in that order.
     */
    static List<String> hostServices(KernelListeners.Table table, IntPredicate ownAddress) {
        List<String> services = new ArrayList<>();
        for (KernelListeners.Listener l : table.listeners()) {
            if (l.address() == 0) {
                services.add("*:" + l.port());
            } else if (ownAddress.test(l.address())) {
                services.add(io.hairpin.engine.packet.Ipv4.format(l.address()) + ":" + l.port());
            }
        }
        return services;
    }

    @Override
    public Stats stats() {
        return guarded(this::statsNow);
    }

    private Stats statsNow() {
        List<EthPort> ports = engine.ports();
        Map<String, Map<String, Long>> byPort = new LinkedHashMap<>();
        for (int p = 0; p < ports.size(); p++) {
            Map<String, Long> m = new LinkedHashMap<>();
            for (int k = 0; k < Counters.PORT_STRIDE; k++) {
                m.put(Counters.PORT_NAMES[k], engine.portCounter(p, k));
            }
            EthPort.PortStats d = ports.get(p).stats();
            long[] dpdk = {d.rxPackets(), d.txPackets(), d.rxBytes(), d.txBytes(), d.rxMissed(), d.rxErrors(),
                d.txErrors(), d.rxNoMbuf()};
            for (int k = 0; k < dpdk.length; k++) {
                m.put(DPDK_STAT_NAMES[k], dpdk[k]);
            }
            byPort.put(EthPort.deviceName(ports.get(p).device()), m);
        }
        List<Map<String, Long>> workers = new ArrayList<>();
        for (Worker w : engine.workers()) {
            Counters c = w.counters();
            Map<String, Long> m = new LinkedHashMap<>();
            for (int k = 0; k < Counters.PORT_STRIDE; k++) {
                long sum = 0;
                for (int p = 0; p < c.ports(); p++) {
                    sum += c.port(p, k);
                }
                m.put(Counters.PORT_NAMES[k], sum);
            }
            long drops = 0;
            for (int e = 0; e < Counters.DROP_REASONS; e++) {
                drops += c.event(e);
            }
            m.put("drops", drops);
            m.put("nat_translated", c.event(Counters.NAT_TRANSLATED));
            m.put("handed_off", c.event(Counters.HANDED_OFF));
            workers.add(m);
        }
        Map<String, Long> events = new LinkedHashMap<>();
        for (int e = 0; e < Counters.EVENT_COUNT; e++) {
            events.put(Counters.EVENT_NAMES[e], engine.eventCounter(e));
        }
        return new Stats(byPort, workers, events, ops.sessionCount(), ruleStats());
    }

    /** The counts of the rules in force; none while an apply is swapping them (a later read has them). */
    private List<ControlService.RuleStats> ruleStats() {
        Running r = running;
        RuleCounts counts = engine.ruleCounts();
        return counts.nat().equals(r.engineConfig().nat()) ? EngineOps.ruleStats(counts, r.config().nat()) : List.of();
    }

    @Override
    public Rules rules() {
        return guarded(() -> new Rules(store.path().toString(), engine.snapshot().version,
                ConfigSummary.render(running.config())));
    }

    @Override
    public List<Session> sessions(SessionFilter filter, int limit) {
        return guarded(() -> ops.sessions(filter == null ? SessionFilter.ALL : filter, limit, running.config().nat()));
    }

    @Override
    public int flushSessions(SessionFilter filter) {
        return guarded(() -> ops.flushSessions(filter == null ? SessionFilter.ALL : filter));
    }

    @Override
    public List<TraceRecord> trace(int n, long timeoutMillis) {
        return guarded(() -> ops.trace(n, timeoutMillis, running.config().nat()));
    }

    // ---------------------------------------------------------------- public addresses

    private PublicAddresses publicAddresses() {
        Snapshot s = engine.snapshot();
        Cache c = cache;
        if (c == null || c.snapshot() != s) {
            c = new Cache(s, new PublicAddresses(s, running.engineConfig()));
            cache = c;
        }
        return c.addresses();
    }

    /**
     * @throws IllegalArgumentException when host is not an IPv4 address
     */
    @Override
    public String publicAddressOf(String host) {
        OptionalInt pub = publicAddressOf(parseHost(host));
        return pub.isPresent() ? io.hairpin.control.config.Ipv4.format(pub.getAsInt()) : null;
    }

    /** The public address of a host given as an int, or empty when it is not translated. */
    public OptionalInt publicAddressOf(int host) {
        return guarded(() -> publicAddresses().publicAddressOf(host));
    }

    /**
     * cPanel's cpnat lines, "local public", one per translated address of host. The host may be
     * one address, several separated by commas or spaces, or a prefix (all its addresses, at most
     * {@value #CPNAT_MAX_ADDRESSES}); addresses no rule translates give no line.
     *
     * @throws IllegalArgumentException when host is not understood
     */
    @Override
    public List<String> cpnat(String host) {
        PublicAddresses addresses = guarded(this::publicAddresses);
        List<Integer> locals = new ArrayList<>();
        for (String part : Objects.requireNonNull(host, "host").trim().split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.contains("/")) {
                Cidr cidr;
                try {
                    cidr = Cidr.parse(part);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'" + part + "' is not an IPv4 address or prefix.");
                }
                long count = 1L << (32 - cidr.prefixLength());
                if (locals.size() + count > CPNAT_MAX_ADDRESSES) {
                    throw new IllegalArgumentException("Too many addresses: cpnat answers for at most "
                            + CPNAT_MAX_ADDRESSES + " at once.");
                }
                for (long k = 0; k < count; k++) {
                    locals.add((int) (cidr.network() + k));
                }
            } else {
                locals.add(parseHost(part));
            }
            if (locals.size() > CPNAT_MAX_ADDRESSES) {
                throw new IllegalArgumentException("Too many addresses: cpnat answers for at most "
                        + CPNAT_MAX_ADDRESSES + " at once.");
            }
        }
        if (locals.isEmpty()) {
            throw new IllegalArgumentException("No host address given.");
        }
        List<String> lines = new ArrayList<>();
        for (int local : locals.stream().distinct().toList()) {
            OptionalInt pub = addresses.publicAddressOf(local);
            if (pub.isPresent()) {
                lines.add(io.hairpin.control.config.Ipv4.format(local) + " "
                        + io.hairpin.control.config.Ipv4.format(pub.getAsInt()));
            }
        }
        return lines;
    }

    private static int parseHost(String host) {
        String h = host == null ? "" : host.trim();
        if (!io.hairpin.control.config.Ipv4.isValid(h)) {
            throw new IllegalArgumentException("'" + host + "' is not an IPv4 address.");
        }
        return io.hairpin.control.config.Ipv4.parse(h);
    }

    // ---------------------------------------------------------------- apply

    /**
     * Reads the file once, validates exactly those bytes, swaps the engine's rules, then stores the
     * bytes as the running config. Any error before the swap changes nothing; the engine refusing
     * (a change that needs a restart) changes nothing; the swap failing otherwise (a worker not
     * confirming in time) or the store failing after it puts the previous rules back, so the
     * running rules and the file on disk agree.
     */
    @Override
    public ApplyResult apply(Path config) {
        applyLock.lock();
        try {
            return guarded(() -> applyLocked(config));
        } finally {
            applyLock.unlock();
        }
    }

    private ApplyResult applyLocked(Path file) {
        Running before = running;
        long current = engine.snapshot().version;
        String name = file.toString();
        byte[] bytes;
        String text;
        try {
            Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            String unreadable = unreadableByOperators(file);
            if (unreadable != null) {
                return refused(current, name + ": " + unreadable);
            }
            bytes = Files.readAllBytes(file);
            if (!Objects.equals(key, Files.readAttributes(file, BasicFileAttributes.class).fileKey())) {
                return refused(current, name + ": the file was replaced while it was read; apply it again");
            }
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            return refused(current, name + ": no such file");
        } catch (AccessDeniedException e) {
            return refused(current, name + ": permission denied");
        } catch (CharacterCodingException e) {
            return refused(current, name + ": the file is not valid UTF-8 text");
        } catch (IOException e) {
            return refused(current, name + ": cannot read the file: " + e.getMessage());
        }
        LoadedConfig loaded;
        try {
            loaded = ConfigLoader.parseAndValidate(text, name);
        } catch (ConfigException e) {
            return new ApplyResult(false, current, render(e.errors()), render(e.warnings()));
        }
        List<String> warnings = render(loaded.warnings());
        HairpinConfig next = withSource(loaded.config(), store.path());
        String controlChange = controlChange(before.config().control(), next.control());
        if (controlChange == null) {
            controlChange = listenerAddressGone(before.config(), next);
        }
        if (controlChange != null) {
            return new ApplyResult(false, current, List.of(name + ": " + controlChange), warnings);
        }
        EngineConfig nextEngine = EngineConfigs.from(next);
        long swapped;
        try {
            swapped = ops.apply(nextEngine, APPLY_TIMEOUT_MILLIS);
        } catch (IllegalArgumentException e) {
            return new ApplyResult(false, current, List.of(name + ": " + e.getMessage()), warnings);
        } catch (RuntimeException e) {
            // E.g. a worker did not confirm in time: the new rules may be published already.
            return rollBack(before, name + ": the engine did not confirm the new rules (" + message(e) + ").",
                    warnings);
        }
        try {
            store.store(bytes);
        } catch (ConfigStoreException e) {
            return rollBack(before, e.getMessage(), warnings);
        }
        running = new Running(next, nextEngine);
        return new ApplyResult(true, swapped, List.of(), warnings);
    }

    /**
     * The swap did not complete, or the store failed after it: the engine goes back to the rules
     * the file on disk still holds.
     */
    private ApplyResult rollBack(Running before, String failure, List<String> warnings) {
        List<String> errors = new ArrayList<>();
        errors.add(failure);
        try {
            long restored = ops.apply(before.engineConfig(), APPLY_TIMEOUT_MILLIS);
            errors.add("The new rules were taken back; the previous rules run again (snapshot " + restored + ").");
            return new ApplyResult(false, restored, errors, warnings);
        } catch (RuntimeException e) {
            errors.add("Putting the previous rules back failed (" + message(e) + "): the new rules run but are not"
                    + " persisted; restarting would run " + store.path() + ".");
            return new ApplyResult(false, engine.snapshot().version, errors, warnings);
        }
    }

    /**
     * Why the operators may not have apply read this file, or null when they may. The appliance
     * runs as root and its errors quote the file, so it only reads what the operators' group (or
     * everyone) may read anyway; without that group only root can reach the control socket and
     * anything goes.
     */
    private String unreadableByOperators(Path file) throws IOException {
        GroupPrincipal group;
        try {
            group = file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(operatorGroup);
        } catch (UserPrincipalNotFoundException e) {
            return null;
        }
        PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
        if (!a.isRegularFile()) {
            return "not a regular file";
        }
        Set<PosixFilePermission> p = a.permissions();
        if (p.contains(PosixFilePermission.OTHERS_READ)
                || (p.contains(PosixFilePermission.GROUP_READ) && a.group().equals(group))) {
            return null;
        }
        return "the appliance only applies a file the " + operatorGroup + " group may read (chgrp " + operatorGroup
                + " and chmod g+r, or make it world-readable)";
    }

    /** Why a change of the control section cannot be applied live, or null when it did not change. */
    private static String controlChange(ControlConfig was, ControlConfig now) {
        if (!Objects.equals(was.socket(), now.socket())) {
            return "control.socket: changing the control socket (" + was.socket() + " to " + now.socket()
                    + ") requires a restart.";
        }
        if (!Objects.equals(was.myip(), now.myip())) {
            return "control.myip: changing the myip responder (" + orNone(was.myip()) + " to " + orNone(now.myip())
                    + ") requires a restart.";
        }
        if (!Objects.equals(was.metrics(), now.metrics())) {
            return "control.metrics: changing the metrics endpoint (" + orNone(was.metrics()) + " to "
                    + orNone(now.metrics()) + ") requires a restart.";
        }
        return null;
    }

    /**
     * Why next cannot be applied because it takes away the interface address the myip responder
     * or the metrics endpoint listens on (the socket would stay bound and hear nothing), or null.
     */
    private static String listenerAddressGone(HairpinConfig was, HairpinConfig now) {
        String myip = endpointAddressGone("myip", now.control().myip(), was, now);
        return myip != null ? myip : endpointAddressGone("metrics", now.control().metrics(), was, now);
    }

    private static String endpointAddressGone(String key, String endpoint, HairpinConfig was, HairpinConfig now) {
        if (endpoint == null) {
            return null;
        }
        int address = ControlConfig.addressOf(endpoint);
        InterfaceConfig had = InterfaceConfig.withAddress(was.interfaces(), address);
        if (had == null || InterfaceConfig.withAddress(now.interfaces(), address) != null) {
            return null;
        }
        return "control." + key + ": " + endpoint + " listens on an address this file takes away from interface '"
                + had.name() + "'; moving the " + key + " endpoint requires a restart (or keep the address)";
    }

    private static String orNone(String s) {
        return s == null ? "none" : s;
    }

    private static ApplyResult refused(long version, String error) {
        return new ApplyResult(false, version, List.of(error), List.of());
    }

    private static List<String> render(List<ConfigError> errors) {
        return errors.stream().map(ConfigError::render).toList();
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
