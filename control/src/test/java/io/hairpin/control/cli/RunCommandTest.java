package io.hairpin.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hairpin.control.service.ControlService;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.testing.TestAppliance;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hairpin run as a process: the control plane's listeners start with it and stop with it. */
class RunCommandTest {
    @TempDir
    Path dir;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private Path config(String control) throws IOException {
        return Files.writeString(dir.resolve("hairpin.yaml"), TestAppliance.interfaces(dir)
                + "eal: [--no-huge, -m, \"256\", --log-level, \"*:error\", --no-telemetry]\n" + TestAppliance.NAT
                + control);
    }

    private static String classpath(Class<?> main) throws URISyntaxException {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : List.of(main, HairpinCli.class, io.hairpin.engine.Engine.class, io.hairpin.shim.Shim.class,
                picocli.CommandLine.class, org.yaml.snakeyaml.Yaml.class, org.agrona.concurrent.Agent.class)) {
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** A running hairpin: its stdout lines as they come, stderr collected. */
    record Hairpin(Process process, BlockingQueue<String> out, StringBuffer err, Thread errReader) {
        static final String EOF = "\u0000eof";
        static final Pattern RESERVATION = Pattern.compile("hairpin: CPU [0-9,]+ left to the workers \\([0-9]+ other threads moved off\\)");

        String awaitLine(String prefix) throws InterruptedException {
            List<String> skipped = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                String line = out.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line;
                }
                if (line != null) {
                    skipped.add(line);
                }
                if (EOF.equals(line)) {
                    out.add(EOF);
                    errReader.join(5000);
                    break;
                }
            }
            throw new AssertionError("no line '" + prefix + "...' in " + skipped + "; stderr: " + err);
        }

        /**
         * Its own lines on stderr but the note of the worker CPU's reservation, which it prints when
         * it moved threads: none when this JVM's affinity already left that CPU out, as once an
         * in-process appliance of an earlier test class had reserved it, so the note comes and goes
         * with the order of the test classes.
         */
        List<String> hairpinErrors() throws InterruptedException {
            errReader.join(5000);
            return err.toString().lines().filter(l -> l.startsWith("hairpin:") || l.contains("Exception"))
                    .filter(l -> !RESERVATION.matcher(l).matches()).toList();
        }
    }

    private static Hairpin run(Path cfg, String... jvmOptions) throws Exception {
        return run(HairpinCli.class, cfg, jvmOptions);
    }

    private static Hairpin run(Class<?> main, Path cfg, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", classpath(main), main.getName(), "run", "--config", cfg.toString()));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        BlockingQueue<String> out = new LinkedBlockingQueue<>();
        StringBuffer err = new StringBuffer();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
            out.add(Hairpin.EOF);
        });
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended
            }
        });
        return new Hairpin(p, out, err, errReader);
    }

    private static int exit(Process p) throws InterruptedException {
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("hairpin did not exit");
        }
        return p.exitValue();
    }

    @Test
    void runServesMetricsAndMyipAndStopsThemOnSigterm() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        int metrics = freePort();
        int myip = freePort();
        Hairpin h = run(config("control: {socket: " + dir.resolve("ctl.sock") + ", metrics: 127.0.0.1:" + metrics
                + ", myip: 127.0.0.1:" + myip + "}\n"));
        try {
            assertEquals("hairpin: control socket " + dir.resolve("ctl.sock"), h.awaitLine("hairpin: control socket"));
            assertEquals("hairpin: metrics on http://127.0.0.1:" + metrics + "/metrics", h.awaitLine("hairpin: metrics"));
            assertEquals("hairpin: myip responder on http://127.0.0.1:" + myip + "/myip", h.awaitLine("hairpin: myip"));
            h.awaitLine("hairpin: running with 1 worker(s)");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metrics + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode());
            assertTrue(scrape.body().contains("hairpin_drops_total{reason=\"bad_ip_checksum\"} 0\n"), scrape.body());
            assertTrue(scrape.body().contains("hairpin_snapshot_version 1\n"), scrape.body());
            HttpResponse<String> me = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + myip + "/myip")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("127.0.0.1\n", me.body(), "not translated: seen as itself");
            ControlClient client = new ControlClient(dir.resolve("ctl.sock"));
            ControlService.Status status = client.status();
            assertEquals(dir.resolve("hairpin.yaml").toString(), status.config());
            assertEquals(List.of("wan", "lan", "lab"),
                    status.interfaces().stream().map(ControlService.InterfaceStatus::name).toList());
            assertEquals(List.of("192.168.1.20 203.0.113.20"), client.cpnat("192.168.1.20"));

            // apply through the socket: the rules swap, the running config file is replaced.
            Path running = dir.resolve("hairpin.yaml");
            String moved = Files.readString(running).replace("external: 203.0.113.20,", "external: 203.0.113.21,");
            Path candidate = Files.writeString(dir.resolve("next.yaml"), moved);
            ControlService.ApplyResult applied = client.apply(candidate);
            assertTrue(applied.applied(), applied.errors().toString());
            assertEquals(List.of("192.168.1.20 203.0.113.21"), client.cpnat("192.168.1.20"));
            assertEquals(moved, Files.readString(running));
            assertEquals(applied.snapshotVersion(), client.status().snapshotVersion());
        } finally {
            // SIGTERM through the handle: Process.destroy() would also close our end of its stdout.
            h.process().toHandle().destroy();
        }
        // The JVM's status after SIGTERM is 128 + 15 once its shutdown hooks (our orderly stop) have run.
        assertEquals(143, exit(h.process()), h.err().toString());
        h.awaitLine("hairpin: stopped");
        assertEquals(List.of(), h.hairpinErrors());
        assertFalse(Files.exists(Path.of("/var/run/dpdk/hairpin-" + h.process().pid())), "EAL cleaned up");
        assertFalse(Files.exists(dir.resolve("ctl.sock")), "the control socket was removed");
        try (ServerSocket again = new ServerSocket(metrics, 1, InetAddress.getByName("127.0.0.1"))) {
            assertNotNull(again, "the metrics port was released");
        }
    }

    /**
     * SIGHUP applies the config file again, as {@code hairpin apply} of it does (before, the JVM
     * stopped on it): an edit is taken, a broken file is refused with its errors and the rules
     * in force stay.
     */
    @Test
    void sighupAppliesTheConfigFileAgain() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        Path cfg = config("control: {socket: " + dir.resolve("ctl.sock") + "}\n");
        Hairpin h = run(cfg);
        try {
            h.awaitLine("hairpin: running with 1 worker(s)");
            ControlClient client = new ControlClient(dir.resolve("ctl.sock"));
            assertEquals(List.of("192.168.1.20 203.0.113.20"), client.cpnat("192.168.1.20"));

            Files.writeString(cfg, Files.readString(cfg).replace("external: 203.0.113.20,", "external: 203.0.113.21,"));
            hangUp(h.process());
            assertEquals("hairpin: SIGHUP: applying " + cfg, h.awaitLine("hairpin: SIGHUP"));
            assertEquals("hairpin: " + cfg + " applied (rules version 2)", h.awaitLine("hairpin: " + cfg));
            assertEquals(List.of("192.168.1.20 203.0.113.21"), client.cpnat("192.168.1.20"));

            Files.writeString(cfg, Files.readString(cfg).replace("external: 203.0.113.21,", "external: 203.0.113.22,")
                    + "bogus: 1\n");
            hangUp(h.process());
            assertEquals("hairpin: SIGHUP: applying " + cfg, h.awaitLine("hairpin: SIGHUP"));
            Thread.sleep(500); // the refusal goes to stderr, read at the end
            assertEquals(List.of("192.168.1.20 203.0.113.21"), client.cpnat("192.168.1.20"));
            assertEquals(2, client.status().snapshotVersion());
        } finally {
            h.process().toHandle().destroy();
        }
        assertEquals(143, exit(h.process()), h.err().toString());
        assertEquals(List.of("hairpin: " + cfg + " has 1 error(s); nothing was applied."), h.hairpinErrors(),
                h.err().toString());
        assertTrue(h.err().toString().contains(cfg + ":"), h.err().toString());
    }

    private static void hangUp(Process p) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor());
    }

    /**
     * A max-sessions whose session state does not fit the Java heap: run says so in one sentence
     * with the figures before any worker runs, exits 1 and leaves nothing behind (before, worker
     * 0 died of OutOfMemoryError while the appliance went on "running" without forwarding).
     */
    @Test
    void sessionStateThatDoesNotFitIsOneSentenceExit1() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        String error = refusedToStart(c -> c.replace("nat:\n", "nat:\n  max-sessions: 100000000\n"), "-Xmx1g");
        assertTrue(error.startsWith("hairpin: nat.max-sessions 100000000 needs 17.9 GiB of session state (9.0 GiB of it"
                + " on the Java heap), but the Java heap has room for "), error);
    }

    /**
     * Runs hairpin on this class's config with {@code edit} applied, which must stop it before it
     * runs: exit 1, one hairpin line on stderr (returned), no runtime folder or control socket left.
     */
    private String refusedToStart(UnaryOperator<String> edit, String... jvmOptions) throws Exception {
        Path cfg = config("control: {socket: " + dir.resolve("ctl.sock") + "}\n");
        Files.writeString(cfg, edit.apply(Files.readString(cfg)));
        Hairpin h = run(cfg, jvmOptions);
        assertEquals(1, exit(h.process()), h.err().toString());
        Thread.sleep(100); // the readers drain
        List<String> errors = h.hairpinErrors();
        assertEquals(1, errors.size(), h.err().toString());
        assertFalse(Files.exists(Path.of("/var/run/dpdk/hairpin-" + h.process().pid())), "no runtime folder left");
        assertFalse(Files.exists(dir.resolve("ctl.sock")), "no control socket");
        return errors.get(0);
    }

    /**
     * A /16 port pool takes 1.5 GiB of heap, which worker 0 allocates when it takes the rules up:
     * with a 1 GiB heap run refuses it in one sentence before any worker runs (before, worker 0
     * died of OutOfMemoryError and the appliance went on "running").
     */
    @Test
    void portPoolsThatDoNotFitAreOneSentenceExit1() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        String error = refusedToStart(c -> c.replace("translation: 203.0.113.32/29", "translation: 10.200.0.0/16"), "-Xmx1g");
        assertTrue(error.startsWith("hairpin: the NAT port pools these rules add (655"), error);
        assertTrue(error.contains(" addresses, 24 KiB each) need 1.5 GiB of Java heap, besides 73.9 MiB for the session"
                + " state, but the Java heap has room for "), error);
    }

    /**
     * As root on a machine with no hugepages to offer, EAL fails with EACCES, which hairpin used
     * to pass on as "permission denied; run Hairpin as root", and its runtime folder stayed behind.
     * Now: what is missing and the two ways out, exit 1, no folder.
     */
    @Test
    void asRootWithoutHugepagesRunSaysSoAndLeavesNoRuntimeFolder() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        assumeTrue(noHugepagesToUse(), "this machine has hugepages free and mounted");
        String error = refusedToStart(c -> c.replace("eal: [--no-huge, -m, \"256\", ", "eal: ["));
        assertTrue(error.startsWith("hairpin: DPDK could not start: it found no hugepages to use: "), error);
        assertTrue(error.endsWith(" or run on ordinary memory with eal: [--no-huge, -m, \"512\"], about five times slower."),
                error);
    }

    /** No 2 MiB page free, or no hugetlbfs mounted: read here as the kernel reports them. */
    private static boolean noHugepagesToUse() throws IOException {
        boolean free = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                .anyMatch(l -> l.startsWith("HugePages_Free:") && !l.split("\\s+")[1].equals("0"));
        boolean mounted = Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.contains(" hugetlbfs "));
        return !(free && mounted);
    }

    /**
     * A worker whose loop ends while the appliance runs: run says which and why, stops the rest
     * in order and exits 1, for systemd's Restart=on-failure (before, it went on "running" with
     * nothing forwarding the worker's traffic, exit 0 at the next stop).
     */
    @Test
    void aWorkerThatStopsStopsTheApplianceWithExit1() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        Hairpin h = run(RunWithWorkerInterrupted.class, config("control: {socket: " + dir.resolve("ctl.sock") + "}\n"));
        h.awaitLine("hairpin: running with 1 worker(s)");
        assertEquals(1, exit(h.process()), h.err().toString());
        h.awaitLine("hairpin: stopped");
        assertEquals(List.of("hairpin: worker 0 stopped: its thread was interrupted; stopping the appliance (exit 1)"),
                h.hairpinErrors(), h.err().toString());
        assertFalse(Files.exists(Path.of("/var/run/dpdk/hairpin-" + h.process().pid())), "EAL cleaned up");
        assertFalse(Files.exists(dir.resolve("ctl.sock")), "the control socket was removed");
    }

    @Test
    void aPortInUseIsOneSentenceExit1AndTheEngineStopsCleanly() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "DPDK needs root");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String endpoint = "127.0.0.1:" + taken.getLocalPort();
            Hairpin h = run(config("control: {socket: " + dir.resolve("ctl.sock") + ", metrics: " + endpoint + "}\n"));
            assertEquals(1, exit(h.process()), h.err().toString());
            Thread.sleep(100); // the readers drain
            assertEquals(List.of("hairpin: Cannot listen for metrics on " + endpoint + ": the address is already in use."),
                    h.hairpinErrors(), h.err().toString());
            assertFalse(Files.exists(Path.of("/var/run/dpdk/hairpin-" + h.process().pid())), "EAL cleaned up");
            assertFalse(Files.exists(dir.resolve("ctl.sock")), "the control socket started first was stopped");
        }
    }
}
