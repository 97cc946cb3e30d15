package io.hairpin.control.cli;

import io.hairpin.control.service.ControlService.Rules;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "rules", description = "Show the rules in force, as 'hairpin check' prints them, and their config file.")
public final class RulesCommand extends ClientCommand {

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        Map<String, Object> result = client.call("rules", Map.of());
        if (printedJson(result, out)) {
            return 0;
        }
        Rules r = Wire.rules(result);
        out.println("config " + orDash(r.config()) + " (rules version " + r.snapshotVersion() + ")");
        if (r.text() != null && !r.text().isEmpty()) {
            out.println();
            out.print(r.text().endsWith("\n") ? r.text() : r.text() + "\n");
        }
        return 0;
    }
}
