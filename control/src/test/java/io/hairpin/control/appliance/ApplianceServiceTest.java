package io.hairpin.control.appliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.NatSettings;
import io.hairpin.control.config.HairpinConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.control.persist.ConfigStore;
import io.hairpin.control.service.ControlService;
import io.hairpin.control.testing.TestAppliance;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.worker.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApplianceServiceTest {
    @TempDir
    static Path shared;
    static String interfaces;
    static Engine engine;
    static HairpinConfig started;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEngine() throws IOException {
        interfaces = TestAppliance.interfaces(shared);
        TestAppliance.Started s = TestAppliance.start(shared.resolve("boot.yaml"), interfaces + TestAppliance.NAT);
        engine = s.engine();
        started = s.config();
    }

    @AfterAll
    static void stopEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    /** Engine operations that record what they were asked and fail on cue. */
    static class FakeOps implements EngineOps {
        final List<EngineConfig> applied = new ArrayList<>();
        RuntimeException refuse;
        RuntimeException refuseSecond;
        long version = 100;

        @Override
        public synchronized long apply(EngineConfig config, long timeoutMillis) {
            if (applied.size() == 1 && refuseSecond != null) {
                throw refuseSecond;
            }
            if (refuse != null) {
                throw refuse;
            }
            applied.add(config);
            return ++version;
        }

        @Override
        public long sessionCount() {
            return 42;
        }

        @Override
        public List<ControlService.Session> sessions(ControlService.SessionFilter filter, int limit,
                                                         NatSettings rules) {
            return List.of();
        }

        @Override
        public int flushSessions(ControlService.SessionFilter filter) {
            return 0;
        }

        @Override
        public List<ControlService.TraceRecord> trace(int n, long timeoutMillis, NatSettings rules) {
            return List.of();
        }
    }

    private Path running() throws IOException {
        return Files.writeString(dir.resolve("hairpin.yaml"), interfaces + TestAppliance.NAT);
    }

    private ApplianceService service(FakeOps ops, Path runningFile) {
        return new ApplianceService(engine, ops, started, new ConfigStore(runningFile), "hairpin test");
    }

    @Test
    void statusShowsInterfacesWorkersSnapshotAndSessions() throws IOException {
        Path file = running();
        ControlService.Status s = service(new FakeOps(), file).status();
        assertEquals("hairpin test", s.version());
        assertEquals(ProcessHandle.current().pid(), s.pid());
        assertEquals(1, s.workers());
        assertEquals(file.toString(), s.config());
        assertEquals(engine.snapshot().version, s.snapshotVersion());
        assertEquals(42, s.sessions());
        assertEquals(List.of("wan", "lan", "lab"), s.interfaces().stream().map(ControlService.InterfaceStatus::name).toList());
        ControlService.InterfaceStatus wan = s.interfaces().get(0);
        assertEquals("external", wan.role());
        assertEquals(List.of("203.0.113.1/24"), wan.addresses());
        assertTrue(wan.device().startsWith("net_pcap_ct"), wan.device());
        assertTrue(wan.mac().matches("([0-9a-f]{2}:){5}[0-9a-f]{2}"), wan.mac());
        assertEquals(engine.ports().get(0).link().up(), wan.linkUp());
        assertEquals("internal", s.interfaces().get(1).role());
        assertNull(s.hostServices(), "no exception path, so no kernel behind the appliance's addresses");
    }

    @Test
    void hostServicesAreTheListenersOnAnyAddressAndOnTheAppliancesOwn() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN);
        // /proc/net/tcp of a little-endian machine: 0.0.0.0:22, 192.168.1.1:80, 10.9.9.9:443, 203.0.113.1:8091
        String tcp = """
                  sl  local_address rem_address   st
                   0: 00000000:0016 00000000:0000 0A
                   1: 0101A8C0:0050 00000000:0000 0A
                   2: 0909090A:01BB 00000000:0000 0A
                   3: 017100CB:1F9B 00000000:0000 0A
                """;
        java.util.function.IntPredicate own = a -> a == io.hairpin.engine.packet.Ipv4.parse("203.0.113.1")
                || a == io.hairpin.engine.packet.Ipv4.parse("192.168.1.1");
        assertEquals(List.of("*:22", "192.168.1.1:80", "203.0.113.1:8091"),
                ApplianceService.hostServices(io.hairpin.engine.KernelListeners.parse(tcp, ""), own));
        assertEquals(List.of(), ApplianceService.hostServices(io.hairpin.engine.KernelListeners.parse("", ""), own));
    }

    @Test
    void statsHaveEveryPortCounterDpdksOwnAndEveryEventByName() throws IOException {
        ControlService.Stats s = service(new FakeOps(), running()).stats();
        assertEquals(3, s.ports().size());
        String wanDevice = s.ports().keySet().iterator().next();
        assertTrue(wanDevice.startsWith("net_pcap_ct") && wanDevice.endsWith("wan") && !wanDevice.contains(","), wanDevice);
        for (var counters : s.ports().values()) {
            for (String k : Counters.PORT_NAMES) {
                assertTrue(counters.containsKey(k), k);
            }
            for (String k : ApplianceService.DPDK_STAT_NAMES) {
                assertTrue(counters.containsKey(k), k);
            }
        }
        assertEquals(1, s.workers().size());
        assertTrue(s.workers().get(0).containsKey("rx_packets"));
        assertTrue(s.workers().get(0).containsKey("drops"));
        assertEquals(List.of(Counters.EVENT_NAMES), List.copyOf(s.events().keySet()));
        assertEquals(42, s.sessions());
    }

    @Test
    void rulesAreTheCheckSummaryOfTheRunningConfig() throws IOException {
        Path file = running();
        ControlService.Rules r = service(new FakeOps(), file).rules();
        assertEquals(file.toString(), r.config());
        assertTrue(r.text().startsWith("Config:  " + file + "\n"), r.text());
        assertTrue(r.text().contains("203.0.113.64/30"), r.text());
        assertEquals(engine.snapshot().version, r.snapshotVersion());
    }

    @Test
    void publicAddressesAndCpnatLinesFollowTheRunningRules() throws IOException {
        ApplianceService s = service(new FakeOps(), running());
        assertEquals("203.0.113.20", s.publicAddressOf("192.168.1.20"));
        assertEquals("203.0.113.66", s.publicAddressOf("192.168.1.66"));
        assertEquals("203.0.113.1", s.publicAddressOf("192.168.1.50"));
        String pooled = s.publicAddressOf("10.9.3.4");
        assertTrue(pooled.startsWith("203.0.113.3") || pooled.startsWith("203.0.113.4"), pooled);
        assertNull(s.publicAddressOf("172.16.0.1"));
        assertEquals(List.of("192.168.1.20 203.0.113.20"), s.cpnat("192.168.1.20"));
        assertEquals(List.of(), s.cpnat("172.16.0.1"));
        assertEquals(List.of("192.168.1.20 203.0.113.20", "10.9.3.4 " + pooled), s.cpnat("192.168.1.20, 10.9.3.4 172.16.0.1"));
        assertEquals(List.of("192.168.1.64 203.0.113.64", "192.168.1.65 203.0.113.65", "192.168.1.66 203.0.113.66",
                "192.168.1.67 203.0.113.67"), s.cpnat("192.168.1.64/30"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.publicAddressOf("web1"));
        assertEquals("'web1' is not an IPv4 address.", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.cpnat("10.0.0.0/8"));
    }

    @Test
    void applyOfABrokenFileReportsFileLineColumnAndChangesNothing() throws IOException {
        Path file = running();
        byte[] before = Files.readAllBytes(file);
        FakeOps ops = new FakeOps();
        ApplianceService s = service(ops, file);
        Path bad = Files.writeString(dir.resolve("bad.yaml"), interfaces + """
                nat:
                  one-to-one:
                    - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/29}
                """);
        ControlService.ApplyResult r = s.apply(bad);
        assertFalse(r.applied());
        assertEquals(1, r.errors().size(), r.errors().toString());
        assertTrue(r.errors().get(0).matches(java.util.regex.Pattern.quote(bad.toString()) + ":\\d+:\\d+: .*"), r.errors().get(0));
        assertEquals(List.of(), ops.applied);
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(started.nat(), s.config().nat());

        ControlService.ApplyResult missing = s.apply(dir.resolve("nope.yaml"));
        assertEquals(List.of(dir.resolve("nope.yaml") + ": no such file"), missing.errors());
    }

    @Test
    void applyReadsOnlyFilesTheOperatorsGroupMayRead() throws IOException {
        Path file = running();
        FakeOps ops = new FakeOps();
        // "daemon" stands in for the hairpin group, which need not exist on a test machine.
        ApplianceService s = new ApplianceService(engine, ops, started, new ConfigStore(file), "t", "daemon");
        Path secret = Files.writeString(dir.resolve("secret.yaml"), interfaces + TestAppliance.NAT);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        ControlService.ApplyResult r = s.apply(secret);
        assertFalse(r.applied());
        assertEquals(List.of(secret + ": the appliance only applies a file the daemon group may read (chgrp daemon and"
                + " chmod g+r, or make it world-readable)"), r.errors());
        assertEquals(List.of(), ops.applied);

        Files.setAttribute(secret, "posix:group",
                secret.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("daemon"));
        assertTrue(s.apply(secret).applied(), "group daemon may read it");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        assertFalse(s.apply(secret).applied());
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(s.apply(secret).applied(), "everyone may read it");
        assertEquals(List.of(dir + ": not a regular file"), s.apply(dir).errors());
    }

    @Test
    void applySwapsThenPersistsTheExactBytesItValidated() throws IOException {
        Path file = running();
        FakeOps ops = new FakeOps();
        ApplianceService s = service(ops, file);
        String next = interfaces + """
                nat:
                  one-to-one:
                    - {interface: wan, external: 203.0.113.21, internal: 192.168.1.20}
                """;
        Path candidate = Files.writeString(dir.resolve("next.yaml"), next);
        ControlService.ApplyResult r = s.apply(candidate);
        assertTrue(r.applied(), r.errors().toString());
        assertEquals(101, r.snapshotVersion());
        assertEquals(1, ops.applied.size());
        assertEquals(1, ops.applied.get(0).nat().oneToOne().size());
        assertEquals(next, Files.readString(file));
        assertEquals(file, s.config().source());
        assertTrue(s.rules().text().contains("203.0.113.21"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.toString().endsWith(".tmp")).toList());
        }
    }

    @Test
    void whenTheEngineRefusesNothingIsPersisted() throws IOException {
        Path file = running();
        byte[] before = Files.readAllBytes(file);
        FakeOps ops = new FakeOps();
        ops.refuse = new IllegalArgumentException("interfaces changed: the new config needs a restart");
        ApplianceService s = service(ops, file);
        Path candidate = Files.writeString(dir.resolve("next.yaml"), interfaces);
        ControlService.ApplyResult r = s.apply(candidate);
        assertFalse(r.applied());
        assertEquals(List.of(candidate + ": interfaces changed: the new config needs a restart"), r.errors());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(started.nat(), s.config().nat());
    }

    @Test
    void whenWorkersDoNotConfirmTheSwapThePreviousRulesArePutBackAndNothingIsPersisted() throws IOException {
        Path file = running();
        byte[] before = Files.readAllBytes(file);
        FakeOps ops = new FakeOps() {
            boolean first = true;

            @Override
            public synchronized long apply(EngineConfig config, long timeoutMillis) {
                if (first) {
                    first = false;
                    applied.add(config);
                    throw new IllegalStateException("worker 0 did not pick up snapshot 7 within 5000 ms");
                }
                return super.apply(config, timeoutMillis);
            }
        };
        ApplianceService s = service(ops, file);
        Path candidate = Files.writeString(dir.resolve("next.yaml"), interfaces);
        ControlService.ApplyResult r = s.apply(candidate);
        assertFalse(r.applied());
        assertEquals(List.of(candidate + ": the engine did not confirm the new rules (worker 0 did not pick up snapshot 7"
                + " within 5000 ms).", "The new rules were taken back; the previous rules run again (snapshot 101)."),
                r.errors());
        assertEquals(2, ops.applied.size());
        assertEquals(2, ops.applied.get(1).nat().outbound().size(), "the previous rules");
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void aChangedControlSectionNeedsARestart() throws IOException {
        Path file = running();
        FakeOps ops = new FakeOps();
        ApplianceService s = service(ops, file);
        Path candidate = Files.writeString(dir.resolve("next.yaml"), interfaces + TestAppliance.NAT
                + "control: {metrics: 127.0.0.1:9100}\n");
        ControlService.ApplyResult r = s.apply(candidate);
        assertFalse(r.applied());
        assertEquals(List.of(candidate + ": control.metrics: changing the metrics endpoint (none to 127.0.0.1:9100)"
                + " requires a restart."), r.errors());
        assertEquals(List.of(), ops.applied);
    }

    /**
     * An interface may be renumbered by apply, but not away from the address the myip responder
     * listens on: its socket would stay bound to an address the appliance no longer has.
     */
    @Test
    void aRenumberingThatTakesTheMyipAddressAwayNeedsARestart() throws Exception {
        String withMyip = interfaces.replace("exception-path: false", "exception-path: true") + TestAppliance.NAT
                + "control: {myip: 192.168.1.1:80}\n";
        Path file = Files.writeString(dir.resolve("hairpin.yaml"), withMyip);
        HairpinConfig running = ConfigLoader.parseAndValidate(withMyip, file.toString()).config();
        FakeOps ops = new FakeOps();
        ApplianceService s = new ApplianceService(engine, ops, running, new ConfigStore(file), "hairpin test");

        Path wanMoved = Files.writeString(dir.resolve("wan.yaml"), withMyip.replace("203.0.113.1/24", "203.0.113.2/24"));
        assertTrue(s.apply(wanMoved).applied(), "the WAN address may move");
        Path lanMoved = Files.writeString(dir.resolve("lan.yaml"), withMyip.replace("192.168.1.1/24", "192.168.1.2/24"));
        ControlService.ApplyResult r = s.apply(lanMoved);
        assertFalse(r.applied());
        assertEquals(List.of(lanMoved + ": control.myip: 192.168.1.1:80 listens on an address this file takes away from"
                + " interface 'lan'; moving the myip endpoint requires a restart (or keep the address)"), r.errors());
        assertEquals(1, ops.applied.size(), "only the WAN move reached the engine");
    }

    @Test
    void whenPersistingFailsAfterTheSwapThePreviousRulesComeBack() throws IOException {
        // The running config's path is a non-empty directory: storing fails even for root.
        Path file = dir.resolve("hairpin.yaml");
        Files.createDirectory(file);
        Files.writeString(file.resolve("keep"), "x");
        FakeOps ops = new FakeOps();
        ApplianceService s = service(ops, file);
        Path candidate = Files.writeString(dir.resolve("next.yaml"), interfaces);
        ControlService.ApplyResult r = s.apply(candidate);
        assertFalse(r.applied());
        assertEquals(2, ops.applied.size(), "the new rules, then the previous ones");
        assertEquals(0, ops.applied.get(0).nat().oneToOne().size());
        assertEquals(EngineConfigs.from(started).nat().oneToOne(), ops.applied.get(1).nat().oneToOne());
        assertEquals(2, ops.applied.get(1).nat().outbound().size());
        assertTrue(r.errors().get(0).startsWith("Cannot store the config " + file + ": "), r.errors().toString());
        assertEquals("The new rules were taken back; the previous rules run again (snapshot 102).", r.errors().get(1));
        assertEquals(started.nat(), s.config().nat());
    }

    @Test
    void whenPuttingTheOldRulesBackFailsTooTheResultSaysSo() throws IOException {
        Path file = dir.resolve("hairpin.yaml");
        Files.createDirectory(file);
        Files.writeString(file.resolve("keep"), "x");
        FakeOps ops = new FakeOps();
        ops.refuseSecond = new IllegalStateException("workers did not confirm within 5000 ms");
        ApplianceService s = service(ops, file);
        ControlService.ApplyResult r = s.apply(Files.writeString(dir.resolve("next.yaml"), interfaces));
        assertFalse(r.applied());
        assertEquals(2, r.errors().size());
        assertTrue(r.errors().get(1).startsWith("Putting the previous rules back failed (workers did not confirm"),
                r.errors().get(1));
    }

    @Test
    void afterCloseCallsAreRefusedAndCloseWaitsForTheCallInProgress() throws Exception {
        CountDownLatch inTrace = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FakeOps ops = new FakeOps() {
            @Override
            public List<ControlService.TraceRecord> trace(int n, long timeoutMillis, NatSettings rules) {
                inTrace.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of();
            }
        };
        ApplianceService s = service(ops, running());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<ControlService.TraceRecord>> trace = pool.submit(() -> s.trace(5, 1000));
            inTrace.await();
            Future<?> closing = pool.submit(s::close);
            Thread.sleep(100);
            assertFalse(closing.isDone(), "close waits for the trace in progress");
            release.countDown();
            closing.get();
            assertEquals(List.of(), trace.get());
        } finally {
            pool.shutdownNow();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, s::stats);
        assertEquals("The appliance is stopping.", e.getMessage());
        assertThrows(IllegalStateException.class, () -> s.publicAddressOf("192.168.1.20"));
    }

    @Test
    void applyCallsAreSerialised() throws Exception {
        Path file = running();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        FakeOps ops = new FakeOps();
        EngineOps slow = new EngineOps() {
            @Override
            public long apply(EngineConfig config, long timeoutMillis) {
                if (inside.incrementAndGet() > 1) {
                    overlaps.incrementAndGet();
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inside.decrementAndGet();
                return ops.apply(config, timeoutMillis);
            }

            @Override
            public long sessionCount() {
                return 0;
            }

            @Override
            public List<ControlService.Session> sessions(ControlService.SessionFilter filter, int limit,
                                                         NatSettings rules) {
                return List.of();
            }

            @Override
            public int flushSessions(ControlService.SessionFilter filter) {
                return 0;
            }

            @Override
            public List<ControlService.TraceRecord> trace(int n, long timeoutMillis, NatSettings rules) {
                return List.of();
            }
        };
        ApplianceService s = new ApplianceService(engine, slow, started, new ConfigStore(file), "t");
        Path candidate = Files.writeString(dir.resolve("next.yaml"), interfaces + TestAppliance.NAT);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ControlService.ApplyResult>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return s.apply(candidate);
                }));
            }
            go.countDown();
            for (Future<ControlService.ApplyResult> f : results) {
                assertTrue(f.get().applied());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, overlaps.get());
        assertEquals(8, ops.applied.size());
    }
}
