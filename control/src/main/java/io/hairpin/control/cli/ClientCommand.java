package io.hairpin.control.cli;

import io.hairpin.control.config.ControlConfig;
import io.hairpin.control.config.Ipv4;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.ControlException;
import io.hairpin.control.socket.Json;
import io.hairpin.control.socket.Wire.WireException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * A subcommand that asks the running appliance over its control socket ({@code hairpin --socket PATH}, or
 * {@code --socket PATH} after the command).
 * Exit codes: 0 done, 1 the appliance is not running, refused us or could not do it, 2 bad input.
 */
abstract class ClientCommand implements Callable<Integer> {

    @ParentCommand
    HairpinCli parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "print the result as the appliance sent it (one JSON object)")
    boolean json;

    /** Also taken after the command, where operators type it too; it then wins over one before. */
    @Option(names = "--socket", paramLabel = "PATH", description = "the running appliance's control socket (as"
            + " 'hairpin --socket PATH'; default: " + ControlConfig.DEFAULT_SOCKET + ")")
    Path socket;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path socket = this.socket != null ? this.socket : parent.socket;
        ControlClient client = new ControlClient(socket);
        try {
            return run(client, out, err);
        } catch (BadInput e) {
            err.println("hairpin: " + e.getMessage());
            return 2;
        } catch (ControlException e) {
            err.println("hairpin: " + e.getMessage());
            return e.exitCode();
        } catch (WireException e) {
            err.println("hairpin: the control socket at " + socket + " does not speak this protocol: "
                    + e.getMessage());
            return 1;
        }
    }

    /** Does the command; throws {@link BadInput} for the operator's mistakes. */
    abstract int run(ControlClient client, PrintWriter out, PrintWriter err);

    /** With --json, prints the raw result and returns true. */
    boolean printedJson(Map<String, Object> result, PrintWriter out) {
        if (json) {
            out.println(Json.write(result));
        }
        return json;
    }

    /** The operator's input is wrong: one sentence, exit 2. */
    static final class BadInput extends RuntimeException {
        BadInput(String message) {
            super(message);
        }
    }

    static String checkAddress(String option, String address) {
        if (address != null && !Ipv4.isValid(address)) {
            throw new BadInput(option + " must be an IPv4 address, not '" + address + "'");
        }
        return address;
    }

    static String orDash(Object v) {
        return v == null || v.toString().isEmpty() ? "-" : v.toString();
    }
}
