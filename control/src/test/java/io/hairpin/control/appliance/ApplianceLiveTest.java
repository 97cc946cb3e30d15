package io.hairpin.control.appliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.persist.ConfigStore;
import io.hairpin.control.service.ControlService;
import io.hairpin.control.testing.TestAppliance;
import io.hairpin.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ApplianceService over a real engine (net_pcap, no traffic): apply, sessions and trace really run. */
class ApplianceLiveTest {
    static final String MOVED = TestAppliance.NAT.replace("external: 203.0.113.20,", "external: 203.0.113.21,");

    @TempDir
    Path dir;
    String interfaces;
    Path file;
    Engine engine;
    ApplianceService service;

    @BeforeEach
    void start() throws IOException {
        interfaces = TestAppliance.interfaces(dir);
        file = dir.resolve("hairpin.yaml");
        TestAppliance.Started s = TestAppliance.start(file, interfaces + TestAppliance.NAT);
        engine = s.engine();
        service = new ApplianceService(engine, s.config(), new ConfigStore(file), "hairpin test");
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void applySwapsTheRunningRulesAndPersistsTheFile() throws IOException {
        long before = engine.snapshot().version;
        assertEquals("203.0.113.20", service.publicAddressOf("192.168.1.20"));
        Path candidate = Files.writeString(dir.resolve("next.yaml"), interfaces + MOVED);
        ControlService.ApplyResult r = service.apply(candidate);
        assertTrue(r.applied(), r.errors().toString());
        assertTrue(r.snapshotVersion() > before);
        assertEquals(r.snapshotVersion(), engine.snapshot().version);
        assertEquals("203.0.113.21", service.publicAddressOf("192.168.1.20"));
        assertEquals(List.of("192.168.1.20 203.0.113.21"), service.cpnat("192.168.1.20"));
        assertEquals(interfaces + MOVED, Files.readString(file));
        assertTrue(service.rules().text().contains("203.0.113.21"));
        assertEquals(r.snapshotVersion(), service.status().snapshotVersion());
    }

    private List<String> ruleLabels() {
        return service.stats().rules().stream().map(r -> r.label() + " " + r.packets() + "/" + r.bytes() + "/"
                + r.sessions()).toList();
    }

    /**
     * Stats list the rules in force by the numbers {@code hairpin rules} gives them, disabled ones
     * counted in the numbering but not listed, before and after an apply. (What they count is
     * checked on traffic in the engine's RuleCountersTest.)
     */
    @Test
    void statsListTheRulesInForceByTheirNumbers() throws IOException {
        assertEquals(List.of("1:1 #1 web 0/0/0", "1:1 #2 0/0/0", "outbound #1 0/0/0", "outbound #2 0/0/0"),
                ruleLabels());
        String next = TestAppliance.NAT.replace("description: web}", "description: web, disabled: true}")
                .replace("  outbound:\n", """
                          port-forwards:
                            - {interface: wan, protocol: tcp, external: "203.0.113.1:443", internal: "192.168.1.30:443", \
                        description: tls}
                          outbound:
                        """);
        ControlService.ApplyResult r = service.apply(Files.writeString(dir.resolve("next.yaml"), interfaces + next));
        assertTrue(r.applied(), r.errors().toString());
        assertEquals(List.of("1:1 #2 0/0/0", "port-forward #1 tls 0/0/0", "outbound #1 0/0/0", "outbound #2 0/0/0"),
                ruleLabels());
    }

    @Test
    void aChangeThatNeedsARestartIsRefusedAndNothingIsPersisted() throws IOException {
        byte[] was = Files.readAllBytes(file);
        long before = engine.snapshot().version;
        Path candidate = Files.writeString(dir.resolve("next.yaml"),
                interfaces.replace("workers: 1", "workers: 2") + MOVED);
        ControlService.ApplyResult r = service.apply(candidate);
        assertFalse(r.applied());
        assertEquals(1, r.errors().size(), r.errors().toString());
        assertTrue(r.errors().get(0).startsWith(candidate + ": changing workers requires a restart"), r.errors().get(0));
        assertEquals(before, engine.snapshot().version);
        assertArrayEquals(was, Files.readAllBytes(file));
        assertEquals("203.0.113.20", service.publicAddressOf("192.168.1.20"));
    }

    /**
     * The session state is sized for the max-sessions the appliance started with (the default
     * million here): status says so, and a config raising it is refused as needing a restart,
     * nothing applied or persisted; one lowering it applies, and status keeps the size built.
     */
    @Test
    void statusShowsWhatTheSessionStateWasBuiltForAndAnApplyCannotRaiseIt() throws IOException {
        assertEquals(1_000_000, service.status().sessionCapacity());
        byte[] was = Files.readAllBytes(file);
        long before = engine.snapshot().version;
        Path raised = Files.writeString(dir.resolve("raised.yaml"),
                interfaces + TestAppliance.NAT.replace("nat:\n", "nat:\n  max-sessions: 2000000\n"));
        ControlService.ApplyResult r = service.apply(raised);
        assertFalse(r.applied());
        assertEquals(List.of(raised + ": raising nat.max-sessions to 2000000 requires a restart: the session state was"
                + " built for 1000000"), r.errors());
        assertEquals(before, engine.snapshot().version);
        assertArrayEquals(was, Files.readAllBytes(file));

        Path lowered = Files.writeString(dir.resolve("lowered.yaml"),
                interfaces + TestAppliance.NAT.replace("nat:\n", "nat:\n  max-sessions: 1000\n"));
        assertTrue(service.apply(lowered).applied());
        assertEquals(1_000_000, service.status().sessionCapacity(), "the size built holds");
    }

    @Test
    void whenTheFileCannotBeStoredTheEngineRunsThePreviousRulesAgain() throws IOException {
        Path occupied = dir.resolve("occupied.yaml");
        Files.createDirectory(occupied);
        Files.writeString(occupied.resolve("keep"), "x");
        ApplianceService s = new ApplianceService(engine, service.config(), new ConfigStore(occupied), "t");
        long before = engine.snapshot().version;
        ControlService.ApplyResult r = s.apply(Files.writeString(dir.resolve("next.yaml"), interfaces + MOVED));
        assertFalse(r.applied());
        assertEquals(2, r.errors().size(), r.errors().toString());
        assertTrue(r.errors().get(0).startsWith("Cannot store the config " + occupied), r.errors().get(0));
        assertEquals(before + 2, engine.snapshot().version, "swapped, then swapped back");
        assertEquals(engine.snapshot().version, r.snapshotVersion());
        assertEquals("203.0.113.20", s.publicAddressOf("192.168.1.20"));
        assertEquals("203.0.113.20", service.publicAddressOf("192.168.1.20"));
    }

    @Test
    void sessionsFlushAndTraceOnAnIdleEngine() {
        assertEquals(List.of(), service.sessions(ControlService.SessionFilter.ALL, 100));
        assertEquals(List.of(), service.sessions(new ControlService.SessionFilter("192.168.1.20", 6), 100));
        assertEquals(0, service.flushSessions(ControlService.SessionFilter.ALL));
        assertEquals(0, service.status().sessions());
        long t0 = System.nanoTime();
        assertEquals(List.of(), service.trace(3, 100));
        assertTrue(System.nanoTime() - t0 >= 90_000_000L, "trace waits for its timeout");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> service.sessions(new ControlService.SessionFilter("web1", 0), 10));
        assertEquals("'web1' is not an IPv4 address.", e.getMessage());
    }
}
