package io.hairpin.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The hairpin binary as an operator meets it: exit codes and the words on the terminal. */
class HairpinCliTest {
    static final String VALID = """
            workers: 1
            eal: [--no-huge, -m, "256"]
            exception-path: false
            interfaces:
              - {name: wan, role: external, device: "net_af_packet0,iface=hp-no-such-if", addresses: [203.0.113.1/24], gateway: 203.0.113.254}
              - {name: lan, role: internal, device: "net_af_packet1,iface=hp-no-such-if2", addresses: [192.168.1.1/24]}
            routes:
              - {prefix: 10.20.0.0/16, via: 192.168.1.254}
            """;

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private static Run inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = HairpinCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * {@code --help} after a command prints that command's usage, exit 0 (it was "Unknown option"
     * and exit 2 for all but bench); {@code hairpin help CMD} prints the same.
     */
    @Test
    void helpAfterEveryCommandPrintsItsUsage() {
        for (String cmd : List.of("run", "check", "lab", "status", "stats", "rules", "sessions", "apply", "trace",
                "myip", "cpnat")) {
            for (String option : List.of("--help", "-h")) {
                Run r = inProcess(cmd, option);
                assertEquals(0, r.exit(), cmd + " " + option + ": " + r.err());
                assertTrue(r.out().startsWith("Usage: hairpin " + cmd + " "), r.out());
                assertEquals("", r.err());
                assertEquals(inProcess("help", cmd).out(), r.out());
            }
        }
        Run version = inProcess("status", "--version");
        assertEquals(new Run(0, "hairpin 0.1.0\n", ""), version);
        assertEquals(version.out(), inProcess("--version").out());
    }

    @Test
    void checkPrintsTheCompiledTablesOfAValidConfig() throws IOException {
        Path cfg = Files.writeString(dir.resolve("ok.yaml"), VALID);
        Run r = inProcess("check", "--config", cfg.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("net_af_packet0,iface=hp-no-such-if"), r.out());
        assertTrue(r.out().contains("10.20.0.0/16"), r.out());
        assertTrue(r.out().endsWith(cfg + ": OK\n"), r.out());
    }

    @Test
    void checkRejectsABrokenConfigWithFileLineColumnAndExit2() throws IOException {
        Path cfg = Files.writeString(dir.resolve("bad.yaml"), """
                workers: 1
                interfaces:
                  - {name: wan, role: outside, device: net_tap0, addresses: [203.0.113.1/24]}
                  - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/33]}
                """);
        Run r = inProcess("check", "--config", cfg.toString());
        assertEquals(2, r.exit());
        List<String> lines = r.err().lines().toList();
        assertEquals(3, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith(cfg + ":3:23: interfaces[0].role: "), lines.get(0));
        assertTrue(lines.get(1).startsWith(cfg + ":4:63: interfaces[1].addresses[0]: "), lines.get(1));
        assertEquals("hairpin: " + cfg + " has 2 error(s); nothing was applied.", lines.get(2));
        assertEquals("", r.out());
    }

    @Test
    void checkShowsWarningsButPasses() throws IOException {
        Path cfg = Files.writeString(dir.resolve("warn.yaml"), """
                interfaces:
                  - {name: lan, role: internal, device: net_tap0, addresses: [192.168.1.1/24]}
                """);
        Run r = inProcess("check", "--config", cfg.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith(cfg + ":1:1: warning: "), lines.get(0));
        assertTrue(lines.get(0).contains("external"), lines.get(0));
    }

    /**
     * Rules that keep sessions: check prints what their session state takes for max-sessions, and
     * warns, still passing, when this machine could not hold it (run would refuse to start).
     * Oracle: session 44's benchmark measured these tables at a million sessions (perf/RESULTS.md:
     * 97 816 584 + 73 943 040 bytes, with 1 572 864 of host counts and 189 561 of fragments).
     */
    @Test
    void checkPrintsWhatTheSessionStateTakesAndWarnsWhenThisMachineCannotHoldIt() throws IOException {
        String napt = VALID + "nat:\n  outbound:\n    - {interface: wan, source: 192.168.1.0/24, translation: interface}\n";
        Path cfg = Files.writeString(dir.resolve("napt.yaml"), napt);
        Run r = inProcess("check", "--config", cfg.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\nSession state (worker 0): 165.5 MiB for nat.max-sessions 1000000, 73.9 MiB of it on"
                + " the Java heap; port pools 48.0 KiB for 2 addresses, on the heap too\n"), r.out());
        assertEquals("", r.err());
        assertFalse(inProcess("check", "--config", Files.writeString(dir.resolve("ok.yaml"), VALID).toString()).out()
                .contains("Session state"), "a plain router keeps none");

        assumeTrue(io.hairpin.engine.worker.NatTables.cannotHoldHere(100_000_000) != null,
                "this machine could hold 100 M sessions");
        Path big = Files.writeString(dir.resolve("big.yaml"), napt.replace("nat:\n", "nat:\n  max-sessions: 100000000\n"));
        Run b = inProcess("check", "--config", big.toString());
        assertEquals(0, b.exit(), b.err());
        assertTrue(b.err().startsWith(big + ": warning: nat.max-sessions 100000000 needs 17.9 GiB of session state (9.0 GiB"
                + " of it on the Java heap), but "), b.err());
        assertTrue(b.err().endsWith(" hairpin run would refuse to start here.\n"), b.err());
    }

    @Test
    void checkOfAMissingFileSaysSo() {
        Run r = inProcess("check", "--config", dir.resolve("nope.yaml").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("nope.yaml"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }


    private Run subprocess(List<String> prefix, String... args) throws Exception {
        String classpath = ReadableClasspath.copyTo(dir);
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", classpath, HairpinCli.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("hairpin did not exit within 60 s: " + cmd);
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** The operator-facing lines of stderr: DPDK's own log lines (EAL:, driver names) set aside. */
    private static List<String> hairpinLines(String err) {
        return err.lines().filter(l -> l.startsWith("hairpin:") || l.contains("Exception") || l.startsWith("\tat ")).toList();
    }

    @Test
    void runWithAMissingDeviceFailsWithOneSentence() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "creating DPDK devices needs root");
        Path cfg = Files.writeString(dir.resolve("missing-device.yaml"), VALID);
        Run r = subprocess(List.of(), "run", "--config", cfg.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(List.of("hairpin: Device 'net_af_packet0,iface=hp-no-such-if' could not be created: "
                + "there is no network interface 'hp-no-such-if' (in this network namespace)."), hairpinLines(r.err()));
    }

    @Test
    void runWithoutPermissionFailsWithOneSentence() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "dropping to another user needs root");
        Path cfg = Files.writeString(dir.resolve("unprivileged.yaml"), VALID.replace("hp-no-such-if", "lo"));
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        Run r = subprocess(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                "run", "--config", cfg.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(List.of("hairpin: Device 'net_af_packet0,iface=lo' could not be created: permission denied;"
                + " run Hairpin as root (raw sockets and device access need it)."), hairpinLines(r.err()));
    }
}
