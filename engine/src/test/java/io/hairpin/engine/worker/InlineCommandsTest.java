package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launcher's {@code -XX:CompileCommand=inline} targets (deploy/env.sh) name classes and methods
 * that exist. The JVM runs with {@code CompileCommand=quiet}, so a target renamed away would
 * silently stop being inlined, and the only sign would be a slower benchmark.
 */
class InlineCommandsTest {
    private static final Path ENV = Path.of("../deploy/env.sh");

    @Test
    void everyInlineTargetOfTheLauncherExists() throws Exception {
        String env = Files.readString(ENV);
        List<String> targets = new ArrayList<>();
        Matcher helpers = Pattern.compile("for helper in ([^;]+); do").matcher(env);
        assertTrue(helpers.find(), "no helper loop in " + ENV);
        for (String helper : helpers.group(1).trim().split("\\s+")) {
            targets.add(helper + "::*");
        }
        Matcher methods = Pattern.compile("CompileCommand=inline,([\\w.]+::\\w+)").matcher(env);
        while (methods.find()) {
            targets.add(methods.group(1));
        }
        assertTrue(targets.stream().anyMatch(t -> !t.endsWith("::*")), "no single-method target: " + targets);
        for (String target : targets) {
            int sep = target.indexOf("::");
            Class<?> owner = Class.forName(target.substring(0, sep));
            String method = target.substring(sep + 2);
            if (!method.equals("*")) {
                boolean declared = false;
                for (Method m : owner.getDeclaredMethods()) {
                    declared |= m.getName().equals(method);
                }
                assertTrue(declared, target + " names no method of " + owner.getName());
            }
        }
    }
}
