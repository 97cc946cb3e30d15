package io.hairpin.control.cli;

import io.hairpin.control.config.ConfigSummary;
import io.hairpin.control.config.LoadedConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check", description = "Validate a config file and print what it compiles to; nothing is started.")
public final class CheckCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "the config file")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadedConfig loaded = ConfigFiles.loadOrReport(config, err, "nothing was applied");
        if (loaded == null) {
            return 2;
        }
        out.print(ConfigSummary.render(loaded.config()));
        out.println(config + ": OK");
        return 0;
    }
}
