package io.hairpin.control.cli;

import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "cpnat", description = "Print cPanel's /var/cpanel/cpnat lines ('local public') for a server behind"
        + " the NAT.")
public final class CpnatCommand extends ClientCommand {

    @Option(names = "--host", paramLabel = "A", required = true, description = "an address of the server")
    String host;

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        checkAddress("--host", host);
        Map<String, Object> result = client.call("cpnat", Map.of("host", host));
        if (printedJson(result, out)) {
            return 0;
        }
        List<String> lines = Wire.strings(result, "lines");
        if (lines == null || lines.isEmpty()) {
            err.println("hairpin: no NAT rule (1:1 or outbound) translates " + host + "; there are no cpnat lines for it");
            return 1;
        }
        lines.forEach(out::println);
        return 0;
    }
}
