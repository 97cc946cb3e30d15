package io.hairpin.control.cli;

import io.hairpin.control.service.ControlService.ApplyResult;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "apply", description = "Validate a config file and swap the running rules to it atomically; on any"
        + " error the running rules stay as they are.")
public final class ApplyCommand extends ClientCommand {

    @Parameters(paramLabel = "FILE", description = "the config file")
    Path file;

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        Path absolute = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw new BadInput(file + ": no such file; nothing was applied");
        }
        Map<String, Object> result = client.call("apply", Map.of("path", absolute.toString()));
        ApplyResult r = Wire.applyResult(result);
        if (printedJson(result, out)) {
            return r.applied() ? 0 : 2;
        }
        return report(r, file, out, err);
    }

    /** Prints what an apply of file did, as {@code hairpin apply} does; returns its exit code. */
    static int report(ApplyResult r, Path file, PrintWriter out, PrintWriter err) {
        List<String> errors = r.errors() == null ? List.of() : r.errors();
        for (String w : r.warnings() == null ? List.<String>of() : r.warnings()) {
            err.println(w.contains("warning") ? w : "warning: " + w);
        }
        if (!r.applied()) {
            errors.forEach(err::println);
            err.println("hairpin: " + file + " has " + errors.size() + " error(s); nothing was applied.");
            return 2;
        }
        out.println("hairpin: " + file + " applied (rules version " + r.snapshotVersion() + ")");
        return 0;
    }
}
