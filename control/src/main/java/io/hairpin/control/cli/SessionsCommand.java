package io.hairpin.control.cli;

import io.hairpin.control.service.ControlService.Session;
import io.hairpin.control.service.ControlService.SessionFilter;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sessions", description = "List NAT sessions (or remove them with --flush), optionally only those of"
        + " one address or protocol.")
public final class SessionsCommand extends ClientCommand {

    static final int DEFAULT_LIMIT = 1000;
    static final int MAX_LIMIT = 100_000;

    @Option(names = "--address", paramLabel = "A", description = "only sessions whose inside or outside address is A")
    String address;

    @Option(names = "--protocol", paramLabel = "P", description = "only tcp, udp or icmp sessions")
    String protocol;

    @Option(names = "--limit", paramLabel = "N", description = "show at most N sessions (default: " + DEFAULT_LIMIT + ")")
    Integer limit;

    @Option(names = "--flush", description = "remove the matching sessions (all of them without --address or"
            + " --protocol) instead of listing them")
    boolean flush;

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        checkAddress("--address", address);
        int proto = 0;
        if (protocol != null) {
            if (!List.of("tcp", "udp", "icmp").contains(protocol)) {
                throw new BadInput("--protocol must be tcp, udp or icmp, not '" + protocol + "'");
            }
            proto = Wire.protocolNumber(protocol);
        }
        SessionFilter filter = new SessionFilter(address, proto);
        if (flush) {
            if (limit != null) {
                throw new BadInput("--limit does not go with --flush: a flush removes every matching session");
            }
            Map<String, Object> result = client.call("flush", ControlClient.sessionArgs(filter, null));
            if (printedJson(result, out)) {
                return 0;
            }
            out.println("flushed " + Wire.num(result, "flushed") + " session(s)");
            return 0;
        }
        int n = limit == null ? DEFAULT_LIMIT : limit;
        if (n < 1 || n > MAX_LIMIT) {
            throw new BadInput("--limit must be from 1 to " + MAX_LIMIT + ", not " + n);
        }
        Map<String, Object> result = client.call("sessions", ControlClient.sessionArgs(filter, n));
        if (printedJson(result, out)) {
            return 0;
        }
        List<Session> sessions = Wire.sessions(result);
        if (!sessions.isEmpty()) {
            Columns t = new Columns("PROTO", "INSIDE", "OUTSIDE", "REMOTE", "STATE", "EXPIRES", "RULE").right(5);
            for (Session s : sessions) {
                t.add(s.protocol(), s.inside(), s.outside(), s.remote(), s.state(), s.expiresInSeconds() + "s",
                        s.rule());
            }
            t.print(out, "");
        }
        out.println(sessions.size() + " session(s)"
                + (sessions.size() >= n ? ", stopped at --limit " + n + "; there may be more" : ""));
        return 0;
    }
}
