package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.worker.NatTables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Randomly broken copies of the configs the repository ships (lines dropped, repeated, swapped or
 * shifted, characters lost, values replaced by hostile ones): whatever the file, what
 * `hairpin check` runs either accepts it and compiles its rules, or refuses it with errors that
 * each name a line and column inside the file. Nothing else may come out of it: no other
 * exception, no error without a place. {@code -Dhairpin.config.mutations=N} sets how many files
 * (file i is made from seed i).
 */
final class MutatedConfigsTest {
    private static final String FILE = "broken.yaml";
    private static final Pattern PLACED = Pattern.compile("(?s)broken\\.yaml:(\\d+):(\\d+): .+");
    private static final Pattern SCALAR = Pattern.compile("(: |\\[|, )([^,\\]\\}\\[\\{#]+)");
    private static final String[] VALUES = {"-1", "0", "1", "65535", "65536", "4294967296", "99999999999999999999",
            "abc", "''", "~", "null", "[]", "{}", "1.5", "1e9", "0x10", "2147483648", "300.1.1.1", "10.0.0.0/33",
            "10.0.0.1/24", "0.0.0.0/0", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:80-79", "1.2.3.4:1-65535",
            "203.0.113.20-203.0.113.25", "tcp", "udp", "icmp", "any", "wan", "lan", "true", "enable", "disable",
            "[a, b]", "{a: 1}", "\"\\x00\"", "!!binary AAAA", "&a x", "*a"};

    @Test
    void aBrokenConfigIsAcceptedOrRefusedWithPlacedErrorsNeverAnythingElse() throws IOException {
        List<String> shipped = shippedConfigs();
        int files = Integer.getInteger("hairpin.config.mutations", 3000);
        int accepted = 0;
        int refused = 0;
        for (int seed = 0; seed < files; seed++) {
            Random random = new Random(seed);
            String text = mutate(shipped.get(random.nextInt(shipped.size())), random);
            try {
                check(text);
                accepted++;
            } catch (ConfigException e) {
                assertTrue(!e.errors().isEmpty(), "seed " + seed + ": refused without an error");
                String[] lines = text.split("\n", -1);
                for (ConfigError error : e.errors()) {
                    assertPlaced(error.render(), lines, seed);
                }
                refused++;
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + ": " + e + " for\n" + text, e);
            }
        }
        assertEquals(files, accepted + refused);
        assertTrue(refused > files / 2 && accepted > files / 100,
                "the mutations should break most files and leave some usable: " + accepted + " accepted, " + refused + " refused");
    }

    /** What {@code hairpin check} does with a file: load, validate, compile the rules, size the session state. */
    private static void check(String text) {
        LoadedConfig loaded = ConfigLoader.parseAndValidate(text, FILE);
        EngineConfig engine = EngineConfigs.from(loaded.config());
        int[] firstAddress = engine.interfaces().stream()
                .mapToInt(i -> i.addresses().isEmpty() ? 0 : i.addresses().get(0).address()).toArray();
        NatRules.compile(engine.nat(), firstAddress);
        NatTables.footprint(engine.nat().maxSessions());
        NatTables.Pools.of(Engine.natPools(engine));
    }

    private static void assertPlaced(String rendered, String[] lines, int seed) {
        Matcher m = PLACED.matcher(rendered);
        assertTrue(m.matches(), "seed " + seed + ": an error without its place: " + rendered);
        int line = Integer.parseInt(m.group(1));
        int column = Integer.parseInt(m.group(2));
        assertTrue(line <= lines.length && column <= lines[line - 1].length() + 1 && line >= 1 && column >= 1,
                "seed " + seed + ": a place outside the file: " + rendered);
    }

    private static List<String> shippedConfigs() throws IOException {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> examples = Files.list(Path.of("../deploy/examples"));
             Stream<Path> lab = Files.list(Path.of("../deploy/lab"))) {
            for (Path p : Stream.concat(examples, lab).filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                texts.add(Files.readString(p));
            }
        }
        texts.add(Files.readString(Path.of("../perf/trex/hairpin-trex.yaml")));
        return texts;
    }

    /** One to six random edits of the text's lines. */
    private static String mutate(String text, Random random) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        int edits = 1 + random.nextInt(6);
        for (int k = 0; k < edits && !lines.isEmpty(); k++) {
            int i = random.nextInt(lines.size());
            String line = lines.get(i);
            switch (random.nextInt(6)) {
                case 0 -> lines.remove(i);
                case 1 -> lines.add(i, line);
                case 2 -> lines.set(i, replaceScalar(line, random));
                case 3 -> lines.set(i, random.nextBoolean() ? "  " + line : line.replaceFirst("^  ", ""));
                case 4 -> {
                    if (!line.isEmpty()) {
                        int p = random.nextInt(line.length());
                        lines.set(i, line.substring(0, p) + line.substring(p + 1));
                    }
                }
                default -> {
                    int j = random.nextInt(lines.size());
                    lines.set(i, lines.get(j));
                    lines.set(j, line);
                }
            }
        }
        return String.join("\n", lines);
    }

    /** A value of the line (after "key: ", or in a flow list or map) replaced by a hostile one. */
    private static String replaceScalar(String line, Random random) {
        Matcher m = SCALAR.matcher(line);
        List<int[]> spots = new ArrayList<>();
        while (m.find()) {
            spots.add(new int[] {m.start(2), m.end(2)});
        }
        if (spots.isEmpty()) {
            return line;
        }
        int[] s = spots.get(random.nextInt(spots.size()));
        return line.substring(0, s[0]) + VALUES[random.nextInt(VALUES.length)] + line.substring(s[1]);
    }
}
