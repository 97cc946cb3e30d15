package io.hairpin.control.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.service.ControlService.SessionFilter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket through real sockets in a temp dir, against a service of fixed records. */
class ControlServerTest {

    @TempDir
    Path dir;

    final FakeControlService service = new FakeControlService();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    final List<ControlServer> servers = new ArrayList<>();

    ControlServer start(ControlServer.Settings settings) throws IOException {
        ControlServer s = ControlServer.start(dir.resolve("control.sock"), service, settings.withLog(log::add));
        servers.add(s);
        return s;
    }

    ControlServer start() throws IOException {
        return start(ControlServer.Settings.defaults());
    }

    @AfterEach
    void stop() {
        servers.forEach(ControlServer::close);
    }

    /** A hand-driven connection: raw bytes out, lines in. */
    static final class Raw implements AutoCloseable {
        final SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocate(1 << 16).flip();

        Raw(Path socket) throws IOException {
            ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        }

        Raw send(String text) throws IOException {
            return send(text.getBytes(StandardCharsets.UTF_8));
        }

        Raw send(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            return this;
        }

        /** The next line, or null at end of input; fails after 5 s. */
        String line() throws Exception {
            Future<String> f = CompletableFuture.supplyAsync(() -> {
                try {
                    StringBuilder sb = new StringBuilder();
                    while (true) {
                        if (!in.hasRemaining()) {
                            in.clear();
                            int n = ch.read(in);
                            in.flip();
                            if (n < 0) {
                                return sb.isEmpty() ? null : sb.toString();
                            }
                        }
                        byte b = in.get();
                        if (b == '\n') {
                            return sb.toString();
                        }
                        sb.append((char) b);
                    }
                } catch (IOException e) {
                    return null; // reset by the server: as good as end of input here
                }
            });
            return f.get(5, TimeUnit.SECONDS);
        }

        Map<String, Object> answer() throws Exception {
            String line = line();
            assertTrue(line != null, "the server closed without answering");
            return Json.parseObject(line);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    static void assertError(Map<String, Object> answer, Object id, String code, String containing) {
        assertEquals(false, answer.get("ok"), answer::toString);
        assertEquals(id, answer.get("id"), answer::toString);
        assertEquals(code, answer.get("code"), answer::toString);
        assertTrue(((String) answer.get("error")).contains(containing), answer::toString);
        assertFalse(answer.containsKey("result"), answer::toString);
    }

    /** Until the server has let go of every client (it notices a client leaving on its own thread). */
    static void awaitNoClients(ControlServer s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (s.clients() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, s.clients(), "clients left behind");
    }

    @Test
    void everyCommandRoundTripsThroughTheSocket() throws IOException {
        ControlServer s = start();
        ControlClient c = new ControlClient(s.socket());
        assertEquals(FakeControlService.STATUS, c.status());
        assertEquals(FakeControlService.STATS, c.stats());
        assertEquals(FakeControlService.RULES, c.rules());
        assertEquals(FakeControlService.SESSIONS, c.sessions(SessionFilter.ALL, 1000));
        assertEquals(FakeControlService.SESSIONS.subList(0, 1), c.sessions(new SessionFilter("10.3.1.15", 6), 1));
        assertEquals(2, c.flushSessions(new SessionFilter("203.0.113.15", 17)));
        assertEquals(FakeControlService.APPLIED, c.apply(Path.of("/etc/hairpin/new.yaml")));
        service.applyResult = FakeControlService.REJECTED;
        assertEquals(FakeControlService.REJECTED, c.apply(Path.of("/etc/hairpin/bad.yaml")));
        assertEquals(FakeControlService.TRACE.subList(0, 2), c.trace(2, 1500));
        assertEquals("203.0.113.15", c.publicAddressOf("10.3.1.15"));
        assertNull(c.publicAddressOf("10.9.9.9"));
        assertEquals("203.0.113.1", c.publicAddressOf(null), "no host: the appliance's own external address");
        assertEquals(List.of("10.3.1.15 203.0.113.15", "10.3.1.115 203.0.113.115"), c.cpnat("10.3.1.15"));
        assertEquals(List.of(), c.cpnat("10.3.1.99"));
        assertEquals(List.of("status", "stats", "rules",
                "sessions SessionFilter[address=null, protocol=0] 1000",
                "sessions SessionFilter[address=10.3.1.15, protocol=6] 1",
                "flush SessionFilter[address=203.0.113.15, protocol=17]",
                "apply /etc/hairpin/new.yaml", "apply /etc/hairpin/bad.yaml", "trace 2 1500",
                "myip 10.3.1.15", "myip 10.9.9.9", "status", "cpnat 10.3.1.15", "cpnat 10.3.1.99"), service.calls);
    }

    @Test
    void theWireShapesAreAsDocumented() throws Exception {
        ControlServer s = start();
        try (Raw r = new Raw(s.socket())) {
            r.send("{\"id\":1,\"cmd\":\"rules\"}\n");
            assertEquals("{\"id\":1,\"ok\":true,\"result\":{\"config\":\"/etc/hairpin/hairpin.yaml\",\"snapshotVersion\":3,"
                    + "\"text\":\"1:1 NAT\\n  EXTERNAL        INTERNAL\\n  203.0.113.15    10.3.1.15\\n\"}}", r.line());
            r.send("{\"id\":\"two\",\"cmd\":\"flush\",\"protocol\":\"udp\"}\r\n");
            assertEquals("{\"id\":\"two\",\"ok\":true,\"result\":{\"flushed\":2}}", r.line());
            r.send("{\"cmd\":\"myip\",\"host\":\"10.3.1.7\"}\n");
            assertEquals("{\"id\":null,\"ok\":true,\"result\":{\"host\":\"10.3.1.7\",\"public\":\"203.0.113.7\"}}", r.line());
            r.send("{\"id\":4,\"cmd\":\"sessions\",\"limit\":1}\n");
            assertEquals("{\"id\":4,\"ok\":true,\"result\":{\"sessions\":[{\"protocol\":\"tcp\",\"inside\":\"10.3.1.15:44321\","
                    + "\"outside\":\"203.0.113.15:44321\",\"remote\":\"198.51.100.7:443\",\"state\":\"established\","
                    + "\"expiresInSeconds\":7440,\"rule\":\"1:1 #1 web\"}],\"limit\":1}}", r.line());
            r.send("{\"id\":5,\"cmd\":\"trace\",\"n\":1,\"timeout\":0.25}\n");
            assertEquals("{\"id\":5,\"ok\":true,\"result\":{\"packets\":[{\"timestampNanos\":1000000000,\"port\":\"wan\","
                    + "\"summary\":\"203.0.113.9:5000 > 203.0.113.15:443 tcp syn\",\"verdict\":\"translated\","
                    + "\"rule\":\"1:1 203.0.113.15 = 10.3.1.15\"}]}}", r.line());
        }
        assertEquals("trace 1 250", service.calls.get(service.calls.size() - 1));
    }

    @Test
    void theSocketFileIsMode0660OwnedByRootAndGroupHairpinOrRootWithAWarning() throws IOException {
        ControlServer s = start();
        PosixFileAttributes a = Files.readAttributes(s.socket(), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertTrue(a.isOther(), "a socket");
        assertEquals("rw-rw----", PosixFilePermissions.toString(a.permissions()));
        var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        if ("root".equals(System.getProperty("user.name"))) {
            assertEquals(lookup.lookupPrincipalByName("0"), a.owner());
        }
        GroupPrincipal hairpin;
        try {
            hairpin = lookup.lookupPrincipalByGroupName("hairpin");
        } catch (UserPrincipalNotFoundException e) {
            hairpin = null;
        }
        if (hairpin != null) {
            assertEquals(hairpin, a.group());
            assertEquals(List.of(), log);
        } else {
            assertEquals(lookup.lookupPrincipalByGroupName("0"), a.group());
            assertEquals(1, log.size(), log::toString);
            assertTrue(log.get(0).startsWith("hairpin: warning: group hairpin does not exist"), log.get(0));
        }
    }

    @Test
    void anotherGroupGetsTheSocketFile() throws IOException {
        ControlServer s = start(ControlServer.Settings.defaults().withGroup("nogroup"));
        assertEquals("nogroup", Files.readAttributes(s.socket(), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .group().getName());
        assertEquals(List.of(), log);
    }

    @Test
    void startCreatesTheDirectoryAndStopRemovesTheSocketFile() throws IOException {
        Path socket = dir.resolve("run/hairpin/control.sock");
        ControlServer s = ControlServer.start(socket, service, ControlServer.Settings.defaults().withLog(log::add));
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals(FakeControlService.STATUS, new ControlClient(socket).status());
        s.close();
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket file is removed");
        ControlException e = assertThrows(ControlException.class, () -> new ControlClient(socket).status());
        assertEquals(ControlException.Kind.NOT_RUNNING, e.kind());
        s.close(); // twice is fine
    }

    @Test
    void aStaleSocketFileIsReplaced() throws IOException {
        Path socket = dir.resolve("control.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket));
        dead.close(); // what a killed appliance leaves: the file, with nothing behind it
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        ControlServer s = start();
        assertEquals(FakeControlService.RULES, new ControlClient(s.socket()).rules());
        assertEquals("hairpin: removed a stale control socket at " + socket, log.get(0));
    }

    @Test
    void aLiveServerIsNotTakenOver() throws IOException {
        ControlServer first = start();
        IOException e = assertThrows(IOException.class, this::start);
        assertEquals("another hairpin is already serving the control socket at " + first.socket()
                + "; stop it first or set control.socket to another path", e.getMessage());
        assertEquals(FakeControlService.RULES, new ControlClient(first.socket()).rules(), "the first one still serves");
    }

    @Test
    void somethingElseAtThePathIsLeftAlone() throws IOException {
        Path socket = Files.writeString(dir.resolve("control.sock"), "precious");
        IOException e = assertThrows(IOException.class, this::start);
        assertEquals(socket + " exists and is not a socket; remove it or set control.socket to another path",
                e.getMessage());
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void aPathTooLongForASocketIsRefusedWithOneSentence() {
        Path socket = dir.resolve("x".repeat(120) + ".sock");
        IOException e = assertThrows(IOException.class,
                () -> ControlServer.start(socket, service, ControlServer.Settings.defaults().withLog(log::add)));
        assertTrue(e.getMessage().startsWith("cannot listen on the control socket at " + socket + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void garbageGetsAnErrorAnswerAndTheConnectionGoesOn() throws Exception {
        ControlServer s = start();
        try (Raw r = new Raw(s.socket())) {
            r.send("hello\n");
            assertError(r.answer(), null, "bad-request", "invalid JSON at offset 0");
            r.send("{\"id\":1,\"cmd\":\"status\"\n");
            assertError(r.answer(), null, "bad-request", "invalid JSON");
            r.send("[1,2]\n");
            assertError(r.answer(), null, "bad-request", "expected a JSON object, got an array");
            r.send("{\"id\":2}\n");
            assertError(r.answer(), 2L, "bad-request", "the request has no \"cmd\"");
            r.send("{\"id\":3,\"cmd\":42}\n");
            assertError(r.answer(), 3L, "bad-request", "cmd must be a string, not a number");
            r.send("{\"id\":4,\"cmd\":\"reboot\"}\n");
            assertError(r.answer(), 4L, "bad-request", "unknown cmd \"reboot\"; the commands are status, stats,");
            r.send("{\"id\":5,\"cmd\":\"sessions\",\"limt\":5}\n");
            assertError(r.answer(), 5L, "bad-request", "unknown field \"limt\" for sessions");
            r.send("{\"id\":6,\"cmd\":\"sessions\",\"limit\":\"5\"}\n");
            assertError(r.answer(), 6L, "bad-request", "limit must be an integer from 1 to 100000, not a string");
            r.send("{\"id\":7,\"cmd\":\"sessions\",\"limit\":0}\n");
            assertError(r.answer(), 7L, "bad-request", "limit must be an integer from 1 to 100000, not 0");
            r.send("{\"id\":8,\"cmd\":\"sessions\",\"protocol\":\"sctp\"}\n");
            assertError(r.answer(), 8L, "bad-request", "protocol must be tcp, udp or icmp");
            r.send("{\"id\":9,\"cmd\":\"flush\",\"address\":\"10.0.0.256\"}\n");
            assertError(r.answer(), 9L, "bad-request", "address must be an IPv4 address");
            r.send("{\"id\":10,\"cmd\":\"apply\",\"path\":\"relative.yaml\"}\n");
            assertError(r.answer(), 10L, "bad-request", "path must be an absolute file name");
            r.send("{\"id\":11,\"cmd\":\"apply\"}\n");
            assertError(r.answer(), 11L, "bad-request", "apply needs \"path\"");
            r.send("{\"id\":12,\"cmd\":\"trace\"}\n");
            assertError(r.answer(), 12L, "bad-request", "trace needs \"n\"");
            r.send("{\"id\":13,\"cmd\":\"trace\",\"n\":1,\"timeout\":-1}\n");
            assertError(r.answer(), 13L, "bad-request", "timeout must be a number of seconds above 0");
            r.send("{\"id\":14,\"cmd\":\"cpnat\"}\n");
            assertError(r.answer(), 14L, "bad-request", "cpnat needs \"host\"");
            r.send(new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', '}', '\n'});
            assertError(r.answer(), null, "bad-request", "the request is not valid UTF-8");
            r.send("\u0000\u0001\u0002\n");
            assertError(r.answer(), null, "bad-request", "invalid JSON");
            r.send("[".repeat(10_000) + "\n");
            assertError(r.answer(), null, "bad-request", "nesting deeper than 64 levels");
            r.send("\n   \r\n"); // blank lines are skipped, not answered
            r.send("{\"id\":15,\"cmd\":\"status\"}\n");
            Map<String, Object> ok = r.answer();
            assertEquals(15L, ok.get("id"));
            assertEquals(true, ok.get("ok"));
        }
        assertEquals(List.of("status"), service.calls, "no bad request reached the service");
    }

    @Test
    void anOverlongLineIsAnErrorAndClosesThatConnectionOnly() throws Exception {
        ControlServer s = start(ControlServer.Settings.defaults().withMaxLineBytes(1024));
        try (Raw r = new Raw(s.socket())) {
            String request = "{\"id\":1,\"cmd\":\"status\"}";
            r.send(request + " ".repeat(1024 - request.length()) + "\n"); // exactly the limit: fine
            assertEquals(true, r.answer().get("ok"));
            r.send("{\"id\":2,\"cmd\":\"status\",\"pad\":\"" + "x".repeat(5000) + "\"}\n");
            assertError(r.answer(), null, "too-long", "the request line is longer than 1024 bytes; closing the connection");
            assertNull(r.line(), "closed after");
        }
        assertEquals(FakeControlService.STATUS, new ControlClient(s.socket()).status());
    }

    @Test
    void aClientThatLeavesMidRequestIsCleanedUpAndOthersAreServed() throws Exception {
        ControlServer s = start();
        try (Raw other = new Raw(s.socket())) {
            for (int i = 0; i < 20; i++) {
                try (Raw r = new Raw(s.socket())) {
                    r.send("{\"id\":1,\"cmd\":\"sta");
                }
            }
            other.send("{\"id\":1,\"cmd\":\"stats\"}\n");
            assertEquals(true, other.answer().get("ok"));
        }
        // one that leaves while its answer is being made
        service.traceMillis = 200;
        try (Raw r = new Raw(s.socket())) {
            r.send("{\"id\":1,\"cmd\":\"trace\",\"n\":3}\n");
            Thread.sleep(50);
        }
        awaitNoClients(s);
        Thread.sleep(250);
        assertEquals(List.of("stats", "trace 3 10000"), service.calls, "no half request was acted on");
        assertEquals(FakeControlService.RULES, new ControlClient(s.socket()).rules());
    }

    @Test
    void aClientThatSendsNothingOrTooSlowlyIsTimedOut() throws Exception {
        ControlServer s = start(ControlServer.Settings.defaults().withIdleTimeout(Duration.ofMillis(300)));
        try (Raw r = new Raw(s.socket())) {
            long t0 = System.nanoTime();
            assertError(r.answer(), null, "timeout", "no whole request line within 0.3 s; closing the connection");
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(250));
            assertNull(r.line());
        }
        try (Raw r = new Raw(s.socket())) { // dribbling a byte now and then does not keep a connection
            for (int i = 0; i < 4; i++) {
                try {
                    r.send("{");
                } catch (IOException closed) {
                    break; // the server gave up on us mid-dribble (the 4th byte comes after 0.3 s): what we expect
                }
                Thread.sleep(100);
            }
            assertError(r.answer(), null, "timeout", "no whole request line");
        }
        service.traceMillis = 600; // the service taking longer than the timeout is not the client's fault
        try (Raw r = new Raw(s.socket())) {
            r.send("{\"id\":1,\"cmd\":\"trace\",\"n\":1}\n");
            assertEquals(true, r.answer().get("ok"));
        }
        awaitNoClients(s);
    }

    @Test
    void manyConcurrentClientsAreAllServed() throws Exception {
        ControlServer s = start(ControlServer.Settings.defaults().withMaxClients(256));
        int threads = 48;
        int calls = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int k = t;
            results.add(pool.submit(() -> {
                go.await();
                ControlClient c = new ControlClient(s.socket());
                int ok = 0;
                for (int i = 0; i < calls; i++) {
                    switch ((k + i) % 3) {
                        case 0 -> ok += c.status().equals(FakeControlService.STATUS) ? 1 : 0;
                        case 1 -> ok += c.sessions(SessionFilter.ALL, 2).size() == 2 ? 1 : 0;
                        default -> ok += "203.0.113.15".equals(c.publicAddressOf("10.3.1.15")) ? 1 : 0;
                    }
                }
                return ok;
            }));
        }
        go.countDown();
        int total = 0;
        for (Future<Integer> f : results) {
            total += f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(threads * calls, total);
        awaitNoClients(s);
    }

    @Test
    void asManyClientsAsTheLimitAreServedAtOnce() throws Exception {
        ControlServer s = start(); // the default limit, 32
        List<Raw> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 32; i++) {
                clients.add(new Raw(s.socket()));
            }
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < clients.size(); i++) {
                    clients.get(i).send("{\"id\":" + (i * 10 + round) + ",\"cmd\":\"stats\"}\n");
                }
                for (int i = 0; i < clients.size(); i++) {
                    Map<String, Object> a = clients.get(i).answer();
                    assertEquals(true, a.get("ok"), a::toString);
                    assertEquals((long) (i * 10 + round), a.get("id"));
                }
            }
            assertEquals(32, s.clients());
        } finally {
            for (Raw r : clients) {
                r.close();
            }
        }
        awaitNoClients(s);
    }

    @Test
    void beyondMaxClientsTheNextIsToldBusy() throws Exception {
        ControlServer s = start(ControlServer.Settings.defaults().withMaxClients(2));
        try (Raw a = new Raw(s.socket()); Raw b = new Raw(s.socket())) {
            a.send("{\"id\":1,\"cmd\":\"status\"}\n");
            assertEquals(true, a.answer().get("ok"));
            b.send("{\"id\":1,\"cmd\":\"status\"}\n");
            assertEquals(true, b.answer().get("ok"));
            try (Raw c = new Raw(s.socket())) {
                assertError(c.answer(), null, "busy", "the control socket is serving 2 clients already; try again");
                assertNull(c.line());
            }
            ControlException e = assertThrows(ControlException.class, () -> new ControlClient(s.socket()).status());
            assertEquals(ControlException.Kind.FAILED, e.kind());
        }
        awaitNoClients(s);
        assertEquals(FakeControlService.STATUS, new ControlClient(s.socket()).status(), "slots come back");
    }

    @Test
    void aServiceThatThrowsGivesAnErrorAnswer() throws Exception {
        ControlServer s = start();
        ControlClient c = new ControlClient(s.socket());
        service.failWith = new IllegalStateException("the engine is not running\nsince 12:00");
        ControlException e = assertThrows(ControlException.class, c::stats);
        assertEquals(ControlException.Kind.FAILED, e.kind());
        assertEquals("the engine is not running; since 12:00", e.getMessage());
        service.failWith = new NullPointerException();
        assertEquals("NullPointerException", assertThrows(ControlException.class, c::rules).getMessage());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("hairpin: control socket: stats failed: ")), log::toString);
        service.failWith = null;
        assertEquals(FakeControlService.STATS, c.stats(), "and it goes on serving");
    }

    @Test
    void stoppingDropsConnectedClients() throws Exception {
        ControlServer s = start();
        try (Raw r = new Raw(s.socket())) {
            r.send("{\"id\":1,\"cmd\":\"status\"}\n");
            assertEquals(true, r.answer().get("ok"));
            s.close();
            assertNull(r.line());
        }
        assertFalse(Files.exists(s.socket(), LinkOption.NOFOLLOW_LINKS));
    }
}
