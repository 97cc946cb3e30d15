package io.hairpin.control.cli;

import io.hairpin.control.service.ControlService.TraceRecord;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "trace", description = "Show the next N packets and what the appliance did with each (the rule it"
        + " matched).")
public final class TraceCommand extends ClientCommand {

    static final int MAX_PACKETS = 10_000;
    static final double MAX_TIMEOUT = 3600;

    @Parameters(paramLabel = "N", description = "how many packets (1 to " + MAX_PACKETS + ")")
    int n;

    @Option(names = "--timeout", paramLabel = "S", description = "stop after S seconds even if fewer packets came"
            + " (default: ${DEFAULT-VALUE})")
    double timeout = 10;

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        if (n < 1 || n > MAX_PACKETS) {
            throw new BadInput("N must be from 1 to " + MAX_PACKETS + ", not " + n);
        }
        if (!(timeout > 0) || timeout > MAX_TIMEOUT) {
            throw new BadInput("--timeout must be above 0 and at most " + (long) MAX_TIMEOUT + " seconds, not " + timeout);
        }
        long millis = Math.max(1, Math.round(timeout * 1000));
        Map<String, Object> result = client.call("trace", ControlClient.traceArgs(n, millis),
                ControlClient.traceDeadline(millis));
        if (printedJson(result, out)) {
            return 0;
        }
        List<TraceRecord> packets = Wire.trace(result);
        if (!packets.isEmpty()) {
            long t0 = packets.get(0).timestampNanos();
            Columns t = new Columns("TIME", "PORT", "PACKET", "VERDICT", "RULE").right(0);
            for (TraceRecord p : packets) {
                t.add(String.format("+%.6f", (p.timestampNanos() - t0) / 1e9), p.port(), p.summary(), p.verdict(),
                        p.rule());
            }
            t.print(out, "");
        }
        String seconds = timeout == Math.rint(timeout) ? Long.toString((long) timeout) : Double.toString(timeout);
        out.println(packets.size() + " packet(s)" + (packets.size() < n ? " of " + n + " before the " + seconds
                + " s timeout" : ""));
        return 0;
    }
}
