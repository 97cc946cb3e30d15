package io.hairpin.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hairpin.control.socket.ControlServer;
import io.hairpin.control.socket.FakeControlService;
import io.hairpin.control.socket.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The client subcommands against a real control socket (served from a service of fixed records). */
class ClientCommandsTest {

    @TempDir
    Path dir;

    /** The classpath copy the subprocess clients run from (made once, readable by everyone). */
    @TempDir
    static Path shared;
    static String classpath;

    final FakeControlService service = new FakeControlService();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    ControlServer server;

    record Run(int exit, String out, String err) {
    }

    Path socket() {
        return dir.resolve("control.sock");
    }

    void serve(ControlServer.Settings settings) throws IOException {
        server = ControlServer.start(socket(), service, settings.withLog(log::add));
    }

    void serve() throws IOException {
        serve(ControlServer.Settings.defaults());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    Run hairpin(String... args) {
        List<String> all = new ArrayList<>(List.of("--socket", socket().toString()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = HairpinCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    static String json(Object wireResult) {
        return Json.write(Json.parse(Json.write(wireResult))) + "\n";
    }

    // ------------------------------------------------------------------ human output

    @Test
    void statusShowsTheApplianceAndAnInterfaceTable() throws IOException {
        serve();
        Run r = hairpin("status");
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                version        0.1.0
                pid            4242
                uptime         3d 04:05:06
                workers        2
                config         /etc/hairpin/hairpin.yaml
                rules          version 3
                sessions       17 of 1000000
                host services  tcp *:22, 192.168.1.1:80

                INTERFACE  ROLE      DEVICE        ADDRESSES                       MAC                LINK    SPEED
                wan        external  0000:01:00.0  203.0.113.1/24, 203.0.113.2/24  02:00:00:00:00:01  up    10 Gb/s
                lan        internal  net_tap1      192.168.1.1/24                  -                  down        -
                """, r.out());
        assertEquals("", r.err());
    }

    @Test
    void statusSaysWhyNoHostServiceIsReached() {
        assertEquals("- (exception path off)", StatusCommand.hostServices(null));
        assertEquals("none (no TCP listener)", StatusCommand.hostServices(List.of()));
        assertEquals("tcp *:22", StatusCommand.hostServices(List.of("*:22")));
    }

    @Test
    void statsShowsCountersPerPortPerWorkerPerRuleAndEvents() throws IOException {
        serve();
        Run r = hairpin("stats");
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                ports
                  COUNTER     0000:01:00.0     net_tap1
                  rx_packets          1000  12345678901
                  tx_packets           900            5
                  rx_missed              0            -
                workers
                  COUNTER  worker 0  worker 1
                  polls          10        11
                  packets        20         0
                rules
                  RULE             PACKETS  BYTES  SESSIONS  ACTIVE
                  1:1 #1 server         12   3456         0       0
                  port-forward #3        7    700         2       1
                events
                  EVENT            COUNT
                  drop.ttl             2
                  nat.session.new     17
                  rule.web-1to1       99
                sessions  17
                """, r.out());
    }

    @Test
    void rulesShowsTheRulesInForce() throws IOException {
        serve();
        Run r = hairpin("rules");
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                config /etc/hairpin/hairpin.yaml (rules version 3)

                1:1 NAT
                  EXTERNAL        INTERNAL
                  203.0.113.15    10.3.1.15
                """, r.out());
    }

    @Test
    void sessionsListsFiltersAndFlushes() throws IOException {
        serve();
        Run r = hairpin("sessions");
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                PROTO  INSIDE           OUTSIDE             REMOTE            STATE        EXPIRES  RULE
                tcp    10.3.1.15:44321  203.0.113.15:44321  198.51.100.7:443  established    7440s  1:1 #1 web
                udp    10.3.1.16:5353   203.0.113.1:61000   198.51.100.9:53   new              29s  outbound #2
                icmp   10.3.1.15:7      203.0.113.15:7      198.51.100.7      -                 5s  -
                3 session(s)
                """, r.out());
        r = hairpin("sessions", "--address", "10.3.1.15", "--protocol", "tcp", "--limit", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().endsWith("1 session(s), stopped at --limit 1; there may be more\n"), r.out());
        r = hairpin("sessions", "--flush", "--protocol", "udp");
        assertEquals(new Run(0, "flushed 2 session(s)\n", ""), r);
        r = hairpin("sessions", "--flush");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("sessions SessionFilter[address=null, protocol=0] 1000",
                "sessions SessionFilter[address=10.3.1.15, protocol=6] 1",
                "flush SessionFilter[address=null, protocol=17]",
                "flush SessionFilter[address=null, protocol=0]"), service.calls);
    }

    @Test
    void applySwapsTheRulesOrShowsWhyNot() throws IOException {
        serve();
        Path cfg = Files.writeString(dir.resolve("new.yaml"), "workers: 1\n");
        Run r = hairpin("apply", cfg.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("hairpin: " + cfg + " applied (rules version 4)\n", r.out());
        assertEquals("/etc/h.yaml:3:5: warning: 10.3.1.15 and 10.3.1.16 share 203.0.113.15\n", r.err());

        service.applyResult = FakeControlService.REJECTED;
        r = hairpin("apply", cfg.toString());
        assertEquals(2, r.exit(), "a config with errors is bad input, as for check");
        assertEquals("", r.out());
        assertEquals("""
                /etc/h.yaml:4:63: interfaces[1].addresses[0]: not an address
                /etc/h.yaml:9:1: unknown key
                hairpin: %s has 2 error(s); nothing was applied.
                """.formatted(cfg), r.err());
        assertEquals(List.of("apply " + cfg, "apply " + cfg), service.calls, "the absolute path is sent");

        r = hairpin("apply", dir.resolve("nope.yaml").toString());
        assertEquals(new Run(2, "", "hairpin: " + dir.resolve("nope.yaml") + ": no such file; nothing was applied\n"), r);
        assertEquals(2, service.calls.size(), "nothing was sent");
    }

    @Test
    void traceShowsPacketsAndTheRuleEachMatched() throws IOException {
        serve();
        Run r = hairpin("trace", "5", "--timeout", "0.5");
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                     TIME  PORT  PACKET                                        VERDICT     RULE
                +0.000000  wan   203.0.113.9:5000 > 203.0.113.15:443 tcp syn   translated  1:1 203.0.113.15 = 10.3.1.15
                +0.000250  lan   10.3.1.15:443 > 203.0.113.9:5000 tcp syn-ack  translated  1:1 203.0.113.15 = 10.3.1.15
                +0.002000  wan   198.51.100.1 > 203.0.113.1 icmp echo          local       -
                3 packet(s) of 5 before the 0.5 s timeout
                """, r.out());
        r = hairpin("trace", "2");
        assertTrue(r.out().endsWith("\n2 packet(s)\n") || r.out().endsWith("2 packet(s)\n"), r.out());
        assertEquals(List.of("trace 5 500", "trace 2 10000"), service.calls);
    }

    @Test
    void myipPrintsThePublicAddress() throws IOException {
        serve();
        assertEquals(new Run(0, "203.0.113.15\n", ""), hairpin("myip", "--host", "10.3.1.15"));
        assertEquals(new Run(0, "203.0.113.1\n", ""), hairpin("myip"));
        assertEquals(new Run(1, "", "hairpin: 10.9.9.9 is not translated by any 1:1 or outbound NAT rule\n"),
                hairpin("myip", "--host", "10.9.9.9"));
    }

    @Test
    void cpnatPrintsTheLines() throws IOException {
        serve();
        assertEquals(new Run(0, "10.3.1.15 203.0.113.15\n10.3.1.115 203.0.113.115\n", ""),
                hairpin("cpnat", "--host", "10.3.1.15"));
        assertEquals(new Run(1, "", "hairpin: no NAT rule (1:1 or outbound) translates 10.3.1.99; there are no cpnat lines for it\n"),
                hairpin("cpnat", "--host", "10.3.1.99"));
    }

    @Test
    void jsonPrintsTheRawResultOfEveryCommand() throws IOException {
        serve();
        Path cfg = Files.writeString(dir.resolve("new.yaml"), "workers: 1\n");
        assertEquals(json(io.hairpin.control.socket.Wire.status(FakeControlService.STATUS)), hairpin("status", "--json").out());
        assertEquals(json(io.hairpin.control.socket.Wire.stats(FakeControlService.STATS)), hairpin("stats", "--json").out());
        assertEquals(json(io.hairpin.control.socket.Wire.rules(FakeControlService.RULES)), hairpin("rules", "--json").out());
        assertEquals(json(io.hairpin.control.socket.Wire.sessions(FakeControlService.SESSIONS.subList(0, 2), 2)),
                hairpin("sessions", "--limit", "2", "--json").out());
        assertEquals("{\"flushed\":2}\n", hairpin("sessions", "--flush", "--json").out());
        assertEquals(json(io.hairpin.control.socket.Wire.applyResult(FakeControlService.APPLIED)),
                hairpin("apply", cfg.toString(), "--json").out());
        assertEquals(json(io.hairpin.control.socket.Wire.trace(FakeControlService.TRACE.subList(0, 1))),
                hairpin("trace", "1", "--json").out());
        assertEquals("{\"host\":\"10.3.1.15\",\"public\":\"203.0.113.15\"}\n", hairpin("myip", "--host", "10.3.1.15", "--json").out());
        assertEquals("{\"host\":null,\"public\":\"203.0.113.1\"}\n", hairpin("myip", "--json").out());
        assertEquals("{\"host\":\"10.3.1.15\",\"lines\":[\"10.3.1.15 203.0.113.15\",\"10.3.1.115 203.0.113.115\"]}\n",
                hairpin("cpnat", "--host", "10.3.1.15", "--json").out());
    }

    // ------------------------------------------------------------------ bad input: exit 2, nothing sent

    @Test
    void badInputIsExit2AndReachesNothing() throws IOException {
        serve();
        for (String[] args : List.of(new String[] {"sessions", "--protocol", "sctp"},
                new String[] {"sessions", "--address", "10.0.0.256"}, new String[] {"sessions", "--limit", "0"},
                new String[] {"sessions", "--limit", "100001"}, new String[] {"sessions", "--flush", "--limit", "5"},
                new String[] {"trace", "0"}, new String[] {"trace", "10001"}, new String[] {"trace", "5", "--timeout", "0"},
                new String[] {"trace", "x"}, new String[] {"myip", "--host", "example.com"}, new String[] {"cpnat"},
                new String[] {"cpnat", "--host", "10.1"}, new String[] {"apply"}, new String[] {"status", "extra"})) {
            Run r = hairpin(args);
            assertEquals(2, r.exit(), () -> String.join(" ", args) + ": " + r);
            assertEquals("", r.out(), () -> String.join(" ", args));
            assertTrue(!r.err().isEmpty() && !r.err().contains("Exception"), () -> String.join(" ", args) + ": " + r.err());
        }
        assertEquals(List.of(), service.calls);
        Run r = hairpin("sessions", "--protocol", "sctp");
        assertEquals("hairpin: --protocol must be tcp, udp or icmp, not 'sctp'\n", r.err());
    }

    // ------------------------------------------------------------------ the appliance absent, failing

    @Test
    void withoutTheApplianceTheClientSaysSoInOneSentence() throws IOException {
        String sentence = "hairpin: the appliance is not running (no control socket at " + socket() + ")\n";
        for (String cmd : List.of("status", "stats", "rules", "sessions", "myip")) {
            assertEquals(new Run(1, "", sentence), hairpin(cmd));
        }
        assertEquals(new Run(1, "", sentence), hairpin("trace", "1"));
        assertEquals(new Run(1, "", sentence), hairpin("cpnat", "--host", "10.3.1.15"));
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket()));
        dead.close(); // the file a killed appliance leaves: connection refused
        assertEquals(new Run(1, "", sentence), hairpin("status"));
        Path elsewhere = dir.resolve("no/such/dir/control.sock");
        StringWriter err = new StringWriter();
        CommandLine cl = HairpinCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(1, cl.execute("--socket", elsewhere.toString(), "status"));
        assertEquals("hairpin: the appliance is not running (no control socket at " + elsewhere + ")\n", err.toString());
    }

    /** {@code --socket} after the command works as before it, and wins when both are given. */
    @Test
    void theSocketMayComeAfterTheCommand() throws IOException {
        serve();
        Run before = hairpin("status");
        assertEquals(0, before.exit(), before.err());
        Path elsewhere = dir.resolve("elsewhere.sock");
        for (List<String> args : List.of(List.of("status", "--socket", socket().toString()),
                List.of("--socket", elsewhere.toString(), "status", "--socket", socket().toString()))) {
            StringWriter out = new StringWriter();
            CommandLine cl = HairpinCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            assertEquals(0, cl.execute(args.toArray(String[]::new)), args.toString());
            assertEquals(before.out(), out.toString(), args.toString());
        }
        StringWriter err = new StringWriter();
        CommandLine cl = HairpinCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(1, cl.execute("--socket", socket().toString(), "stats", "--socket", elsewhere.toString()));
        assertEquals("hairpin: the appliance is not running (no control socket at " + elsewhere + ")\n", err.toString());
    }

    /**
     * deploy/systemd/hairpin.service: {@code systemctl reload} is {@code hairpin apply} of the file
     * the service runs on, through the default socket (applySwapsTheRulesOrShowsWhyNot has what it prints).
     */
    @Test
    void theServiceUnitsReloadAppliesTheConfigItRunsOn() throws IOException {
        List<String> unit = Files.readAllLines(Path.of("../deploy/systemd/hairpin.service"));
        List<String> start = execLine(unit, "ExecStart=");
        List<String> reload = execLine(unit, "ExecReload=");
        assertEquals(List.of("/opt/hairpin/hairpin", "run", "--config"), start.subList(0, 3));
        assertEquals(List.of("/opt/hairpin/hairpin", "apply", start.get(3)), reload);
    }

    private static List<String> execLine(List<String> unit, String key) {
        List<String> lines = unit.stream().filter(l -> l.startsWith(key)).toList();
        assertEquals(1, lines.size(), key + " in " + unit);
        return List.of(lines.get(0).substring(key.length()).split(" "));
    }

    @Test
    void theDefaultSocketIsTheDocumentedOne() {
        assertEquals(Path.of("/run/hairpin/control.sock"), new HairpinCli().socket);
        StringWriter out = new StringWriter();
        CommandLine cl = HairpinCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.execute("--help");
        assertTrue(out.toString().contains("--socket=PATH"), out.toString());
        assertTrue(out.toString().contains("/run/hairpin/control.sock"), out.toString());
        for (String cmd : List.of("status", "stats", "rules", "sessions", "apply", "trace", "myip", "cpnat")) {
            assertTrue(out.toString().contains("\n  " + cmd + " "), cmd + " in " + out);
        }
    }

    @Test
    void aFailureInTheApplianceIsExit1WithItsSentence() throws IOException {
        serve();
        service.failWith = new IllegalStateException("the engine is not running");
        assertEquals(new Run(1, "", "hairpin: the engine is not running\n"), hairpin("stats"));
        assertEquals(new Run(1, "", "hairpin: the engine is not running\n"), hairpin("stats", "--json"));
    }

    // ------------------------------------------------------------------ who may use it (subprocess clients)

    /** The CLI in another JVM, under setpriv with the given credentials. */
    Run asUser(List<String> setpriv, String... args) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "changing user needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // traversable by all
        List<String> cmd = new ArrayList<>(List.of("setpriv"));
        cmd.addAll(setpriv);
        return inAProcess(cmd, args);
    }

    /** The CLI in another JVM, after the command prefix given (empty: as this user). */
    Run inAProcess(List<String> prefix, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", readableClasspath(), HairpinCli.class.getName(), "--socket", socket().toString()));
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

    static final List<String> NOBODY = List.of("--reuid=65534", "--regid=65534", "--clear-groups");

    /**
     * The binary prints all of its output before it exits: {@code rules}, whose last words are a
     * print without a line end, printed only its first line from a process (the rest stayed in the
     * writer's buffer at System.exit) while it printed all of it in tests like the ones above.
     */
    @Test
    void everyReadCommandPrintsAllOfItsOutputFromAProcess() throws Exception {
        serve();
        for (List<String> args : List.of(List.of("status"), List.of("stats"), List.of("rules"), List.of("sessions"),
                List.of("trace", "1"), List.of("myip", "--host", "10.3.1.15"), List.of("cpnat", "--host", "10.3.1.15"))) {
            Run here = hairpin(args.toArray(String[]::new));
            assertEquals(0, here.exit(), args + ": " + here.err());
            assertEquals(here, inAProcess(List.of(), args.toArray(String[]::new)), args.toString());
        }
    }

    @Test
    void nobodyIsKeptOutByTheSocketFile() throws Exception {
        serve();
        Run r = asUser(NOBODY, "status");
        assertEquals(new Run(1, "", "hairpin: permission denied on " + socket()
                + ": run as root or as a member of group hairpin\n"), r);
        assertEquals(List.of(), service.calls);
    }

    @Test
    void nobodyIsRefusedByItsCredentialsEvenWhenTheFileWouldLetItIn() throws Exception {
        serve();
        Files.setPosixFilePermissions(socket(), PosixFilePermissions.fromString("rw-rw-rw-")); // a mistake, say
        Run r = asUser(NOBODY, "status");
        assertEquals(new Run(1, "", "hairpin: permission denied on " + socket()
                + ": run as root or as a member of group hairpin\n"), r);
        assertEquals(List.of(), service.calls);
        assertTrue(log.stream().anyMatch(l -> l.equals("hairpin: control socket: refused user nobody (group nogroup):"
                + " not root and not in group hairpin")), log::toString);
    }

    @Test
    void membersOfTheGroupAreLetIn() throws Exception {
        serve(ControlServer.Settings.defaults().withGroup("nogroup")); // nobody's group stands in for hairpin
        Run r = asUser(NOBODY, "myip", "--host", "10.3.1.15");
        assertEquals(new Run(0, "203.0.113.15\n", ""), r, "running with the group as its gid");

        Files.setPosixFilePermissions(socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
        r = asUser(List.of("--reuid=65534", "--regid=1", "--clear-groups"), "myip", "--host", "10.3.1.16");
        assertEquals(new Run(0, "203.0.113.16\n", ""), r, "listed in the group by the account database (id -Gn)");

        r = asUser(List.of("--reuid=1", "--regid=1", "--clear-groups"), "myip", "--host", "10.3.1.17");
        assertEquals(1, r.exit(), "daemon is not in nogroup");
        assertTrue(r.err().startsWith("hairpin: permission denied on "), r.err());
        assertEquals(List.of("myip 10.3.1.15", "myip 10.3.1.16"), service.calls);
    }

    /** A copy of the classpath everyone can read, made once for the class. */
    private static synchronized String readableClasspath() throws IOException, URISyntaxException {
        if (classpath == null) {
            classpath = ReadableClasspath.copyTo(shared);
        }
        return classpath;
    }
}
