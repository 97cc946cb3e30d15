package io.hairpin.control.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hairpin.control.config.ConfigLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigStoreTest {
    static final String BASE = """
            workers: 1
            exception-path: false
            interfaces:
              - {name: wan, role: external, device: "net_af_packet0,iface=hp-x0", addresses: [203.0.113.1/24], gateway: 203.0.113.254}
              - {name: lan, role: internal, device: "net_af_packet1,iface=hp-x1", addresses: [192.168.1.1/24]}
            nat:
              one-to-one:
                - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: %s}
            """;

    @TempDir
    Path dir;

    /** A valid config of about {@code size} bytes whose every line says which variant it is. */
    static byte[] bigConfig(String variant, int size) {
        StringBuilder sb = new StringBuilder(String.format(BASE, variant));
        for (int line = 0; sb.length() < size; line++) {
            sb.append("# ").append(variant).append(' ').append(line).append(' ')
                    .append(variant.repeat(Math.max(1, 96 / variant.length()))).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private List<Path> temporaries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void storesAndReadsBackAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("hairpin.yaml");
        ConfigStore store = new ConfigStore(file);
        byte[] a = bigConfig("alpha", 10_000);
        byte[] b = bigConfig("beta", 20_000);
        store.store(a);
        assertArrayEquals(a, store.read());
        store.store(b);
        assertArrayEquals(b, Files.readAllBytes(file));
        assertEquals(List.of(), temporaries());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void keepsTheOldFilesPermissionsAndReplacesTheTargetOfASymlink() throws IOException {
        Path real = dir.resolve("real.yaml");
        Files.writeString(real, "old");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-r-----"));
        Path link = Files.createSymbolicLink(dir.resolve("hairpin.yaml"), real.getFileName());
        new ConfigStore(link).store("new".getBytes(StandardCharsets.UTF_8));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(real));
        assertEquals(List.of(), temporaries());
    }

    @Test
    void removesATemporaryFileACrashLeftBehind() throws IOException {
        Path file = dir.resolve("hairpin.yaml");
        Files.writeString(dir.resolve(".hairpin.yaml.123456.tmp"), "half a config");
        Files.writeString(dir.resolve("other.tmp"), "not ours");
        new ConfigStore(file).store("x".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(dir.resolve("other.tmp")), temporaries());
    }

    @Test
    void aFailedRenameLeavesTheOldContentAndNoTemporaryFile() throws IOException {
        // The target is a non-empty directory: rename(2) must fail, even for root.
        Path file = dir.resolve("hairpin.yaml");
        Files.createDirectory(file);
        Files.writeString(file.resolve("inside"), "old");
        ConfigStoreException e = assertThrows(ConfigStoreException.class,
                () -> new ConfigStore(file).store("new".getBytes(StandardCharsets.UTF_8)));
        assertOneSentence(e.getMessage(), file);
        assertEquals("old", Files.readString(file.resolve("inside")));
        assertEquals(List.of(), temporaries());
    }

    @Test
    void aReadOnlyDirectoryLeavesTheOldFileUntouchedAndSaysWhyInOneSentence() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("etc"));
        Path file = sub.resolve("hairpin.yaml");
        byte[] old = bigConfig("old", 5_000);
        Files.write(file, old);
        Set<PosixFilePermission> was = Files.getPosixFilePermissions(sub);
        boolean immutable = false;
        try {
            Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("r-xr-xr-x"));
            if (canCreateIn(sub)) {
                // Root ignores permission bits; the immutable attribute stops root too.
                immutable = chattr("+i", sub);
                assumeTrue(immutable && !canCreateIn(sub), "cannot make a directory read-only here");
            }
            ConfigStoreException e = assertThrows(ConfigStoreException.class,
                    () -> new ConfigStore(file).store(bigConfig("new", 5_000)));
            assertOneSentence(e.getMessage(), file);
            assertTrue(e.getMessage().contains("cannot create a file in " + sub), e.getMessage());
            assertArrayEquals(old, Files.readAllBytes(file));
            try (Stream<Path> s = Files.list(sub)) {
                assertEquals(List.of(file), s.toList());
            }
        } finally {
            if (immutable) {
                chattr("-i", sub);
            }
            Files.setPosixFilePermissions(sub, was);
        }
    }

    private static boolean canCreateIn(Path d) {
        try {
            Files.delete(Files.createTempFile(d, "probe", ""));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean chattr(String flag, Path p) {
        try {
            Process proc = new ProcessBuilder("chattr", flag, p.toString()).redirectErrorStream(true).start();
            proc.getInputStream().readAllBytes();
            return proc.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void assertOneSentence(String message, Path file) {
        assertTrue(message.startsWith("Cannot store the config " + file + ": "), message);
        assertTrue(message.endsWith("."), message);
        assertEquals(1, message.lines().count(), message);
    }

    /**
     * The must-show: a process storing two large configs in turn is SIGKILLed at random moments,
     * 50 times; after every kill the file is byte for byte one of the two and loads.
     */
    @Test
    void aProcessKilledAtRandomMomentsLeavesTheOldOrTheNewFileNeverAMix() throws Exception {
        Path file = dir.resolve("hairpin.yaml");
        byte[] a = bigConfig("A", 200 * 1024);
        byte[] b = bigConfig("B", 210 * 1024);
        Path aFile = Files.write(dir.resolve("content-a"), a);
        Path bFile = Files.write(dir.resolve("content-b"), b);
        new ConfigStore(file).store(a);

        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-cp",
                codeSource(ConfigStore.class) + java.io.File.pathSeparator + codeSource(ConfigStoreCrashChild.class),
                ConfigStoreCrashChild.class.getName(), file.toString(), aFile.toString(), bFile.toString()));
        Random random = new Random();
        int kills = 50;
        int sawA = 0;
        int sawB = 0;
        int midWrite = 0;
        for (int k = 0; k < kills; k++) {
            Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine();
                assertEquals("storing", line, "the child did not start storing");
                LockSupport.parkNanos(random.nextLong(30_000_000L));
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the child did not die");
            }
            if (!temporaries().isEmpty()) {
                midWrite++;
            }
            byte[] now = Files.readAllBytes(file);
            boolean isA = Arrays.equals(a, now);
            boolean isB = Arrays.equals(b, now);
            assertTrue(isA || isB, "after kill " + k + " the file is neither (" + now.length + " bytes)");
            sawA += isA ? 1 : 0;
            sawB += isB ? 1 : 0;
            ConfigLoader.parseAndValidate(new String(now, StandardCharsets.UTF_8), file.toString());
        }
        // The kills must have hit the window the test is about, a write in progress.
        assertTrue(midWrite > 0, "no kill landed while a temporary file existed (A " + sawA + ", B " + sawB + ")");
        System.out.printf("crash test: %d kills, %d mid-write, file A %d times, B %d times%n", kills, midWrite, sawA, sawB);
        new ConfigStore(file).store(b);
        assertEquals(List.of(), temporaries());
    }

    static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
