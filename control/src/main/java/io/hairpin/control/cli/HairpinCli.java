package io.hairpin.control.cli;

import io.hairpin.control.config.ControlConfig;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code hairpin} binary: the appliance daemon and its client, one picocli command tree. */
@Command(name = "hairpin", mixinStandardHelpOptions = true, version = "hairpin 0.1.0",
        description = "A DPDK NAT appliance: 1:1 NAT, port forwards, outbound NAT and hairpin NAT at line rate.",
        subcommands = {RunCommand.class, CheckCommand.class, LabCommand.class, StatusCommand.class, StatsCommand.class,
                RulesCommand.class, SessionsCommand.class, ApplyCommand.class, TraceCommand.class, MyipCommand.class,
                CpnatCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class HairpinCli implements Runnable {
    @Option(names = "--socket", paramLabel = "PATH", description = "the running appliance's control socket, for the"
            + " client commands (default: ${DEFAULT-VALUE})")
    Path socket = Path.of(ControlConfig.DEFAULT_SOCKET);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new HairpinCli());
        // -h/--help and -V/--version after any command as well, but bench's, whose --help goes to
        // the runner, and help's own
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!(sub.getCommand() instanceof BenchCommand || sub.getCommand() instanceof CommandLine.HelpCommand)) {
                sub.getCommandSpec().mixinStandardHelpOptions(true).version(cl.getCommandSpec().version());
            }
        }
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("hairpin: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        CommandLine cl = commandLine();
        int exit = cl.execute(args);
        // picocli's writers flush on println only: what a command print()ed last would be lost
        cl.getOut().flush();
        cl.getErr().flush();
        System.exit(exit);
    }
}
