package io.hairpin.control.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * A copy of what the hairpin CLI needs on its classpath that every user can read, so a test can
 * run it as an unprivileged user (the build's own classpath may sit under a root-only home).
 */
final class ReadableClasspath {
    private ReadableClasspath() {
    }

    /** Copies into base/cp, opens base up for reading, and returns the classpath string. */
    static String copyTo(Path base) throws IOException, URISyntaxException {
        Path cp = base.resolve("cp");
        Files.createDirectories(cp);
        List<Class<?>> markers = List.of(HairpinCli.class, io.hairpin.engine.Engine.class, io.hairpin.shim.Shim.class,
                CommandLine.class, org.yaml.snakeyaml.Yaml.class, org.agrona.concurrent.Agent.class);
        for (Class<?> c : markers) {
            Path src = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(src)) {
                try (Stream<Path> files = Files.walk(src)) {
                    for (Path f : files.toList()) {
                        Path to = cp.resolve("classes").resolve(src.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(src, cp.resolve(src.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (Stream<Path> all = Files.walk(base)) {
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        try (Stream<Path> entries = Files.list(cp)) {
            return String.join(":", entries.map(Path::toString).sorted().toList());
        }
    }
}
