package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the C reference of every scenario for a moment on 4 KiB pages ({@link CReferenceCheck},
 * in a JVM of its own), through the same rig and verifying mirror as the engine, and checks what
 * came out: the mirror found nothing mistranslated (the scenarios that rotate or cross flows
 * check every packet's addresses and ports), every checksum in the rings is right, no packet was
 * lost or dropped, in the NAT scenarios every packet forwarded was translated, with the sessions
 * the scenario implies, and every frame left in the rings carries addresses and ports that side of
 * the topology allows (exact pairs where the mirror only swaps and so checks nothing). Says
 * nothing about speed.
 */
class CReferenceTest {
    static final String[] SCENARIOS = {"forward", "binat:1", "binat:1000", "pfwd", "napt-established:1000",
            "napt-established:20000", "napt-established:20000:4096", "napt-cps:udp", "napt-cps:tcp", "hairpin:napt", "hairpin:binat", "imix",
            "napt-cps:udp@1.6"};
    private static final Map<String, Map<String, String>> RESULTS = new HashMap<>();
    private static String output;

    @BeforeAll
    static void runTheCheck() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--enable-native-access") || a.startsWith("--add-exports") || a.startsWith("-XX:+Use")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CReferenceCheck.class.getName());
        cmd.addAll(List.of(SCENARIOS));
        Path log = Files.createTempFile("cref-check", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        output = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        assertTrue(done, "the check did not finish in 5 minutes: " + output);
        assertEquals(0, p.exitValue(), "the check failed: " + output);
        for (String line : output.lines().toList()) {
            if (!line.startsWith("check ")) {
                continue;
            }
            String[] parts = line.split(" ");
            Map<String, String> fields = new HashMap<>();
            for (int i = 2; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                fields.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
            RESULTS.put(parts[1], fields);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"forward", "binat:1", "binat:1000", "pfwd", "napt-established:1000",
            "napt-established:20000", "napt-established:20000:4096", "napt-cps:udp", "napt-cps:tcp", "hairpin:napt", "hairpin:binat", "imix",
            "napt-cps:udp@1.6"})
    void translatesEveryPacketAsTheMirrorExpects(String token) {
        Map<String, String> r = RESULTS.get(token);
        assertNotNull(r, "no result for " + token + ": " + output);
        String what = token + ": " + r;
        assertEquals(null, r.get("unsupported"), "the C reference covers " + what);
        assertTrue(Long.parseLong(r.get("packets")) > 0, "packets forwarded: " + what);
        assertEquals("0", r.get("mistranslated"), "mistranslated: " + what);
        assertEquals("0", r.get("bad_checksums"), "bad checksums: " + what);
        assertEquals("0", r.get("lost"), "lost: " + what);
        assertEquals("0", r.get("drops"), "drops: " + what);
        assertEquals("0", r.get("drops_before_window"), "drops while opening and warming up: " + what);
        if (!token.equals("forward")) {
            assertEquals(r.get("packets"), r.get("translated"), "every packet translated: " + what);
        }
        assertTrue(Long.parseLong(r.get("frames")) > 0, "frames inspected in the rings: " + what);
        assertEquals("0", r.get("unexpected"), "frames with addresses the topology does not allow there: " + what);
        if (token.startsWith("napt-established")) {
            assertEquals(r.get("open_sessions"), r.get("sessions"), "one session per flow: " + what);
        }
        if (token.equals("pfwd") || token.equals("hairpin:napt")) {
            assertEquals(r.get("in_flight"), r.get("sessions"), "one session per flow in flight: " + what);
        }
        if (token.endsWith("@1.6")) {
            // 1.6 s of new flows with a 1 s timeout: sessions expired, their ports went back to the
            // pools and were handed out again, with nothing dropped (drops is 0 above)
            assertTrue(Long.parseLong(r.get("expired")) > 0, "sessions expired: " + what);
        }
        if (token.startsWith("binat") || token.equals("hairpin:binat") || token.equals("forward")
                || token.equals("imix")) {
            assertEquals("0", r.get("sessions"), "stateless: " + what);
        }
    }
}
