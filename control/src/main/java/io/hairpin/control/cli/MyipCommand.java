package io.hairpin.control.cli;

import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "myip", description = "Print the public address a host is seen as (by the 1:1 and outbound NAT rules);"
        + " without --host, the appliance's own.")
public final class MyipCommand extends ClientCommand {

    @Option(names = "--host", paramLabel = "A", description = "the internal address to look up")
    String host;

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        checkAddress("--host", host);
        Map<String, Object> result = client.call("myip", host == null ? Map.of() : Map.of("host", host));
        if (printedJson(result, out)) {
            return 0;
        }
        String pub = Wire.str(result, "public");
        if (pub == null) {
            err.println("hairpin: " + (host == null ? "the appliance has no external address"
                    : host + " is not translated by any 1:1 or outbound NAT rule"));
            return 1;
        }
        out.println(pub);
        return 0;
    }
}
