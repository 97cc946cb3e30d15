package io.hairpin.control.cli;

import io.hairpin.control.config.ConfigSummary;
import io.hairpin.control.config.LoadedConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.worker.NatTables;
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
        sessionState(loaded, out, err);
        out.println(config + ": OK");
        return 0;
    }

    /**
     * What the session state of these rules and their port pools take, if they keep one, and a
     * warning when this machine could not hold them ({@code hairpin run} would refuse to start).
     */
    private void sessionState(LoadedConfig loaded, PrintWriter out, PrintWriter err) {
        EngineConfig engine = EngineConfigs.from(loaded.config());
        int[] firstAddress = engine.interfaces().stream()
                .mapToInt(i -> i.addresses().isEmpty() ? 0 : i.addresses().get(0).address()).toArray();
        if (!NatTables.needed(NatRules.compile(engine.nat(), firstAddress))) {
            return;
        }
        int max = engine.nat().maxSessions();
        NatTables.Footprint need = NatTables.footprint(max);
        NatTables.Pools pools = NatTables.Pools.of(Engine.natPools(engine));
        out.println("\nSession state (worker 0): " + NatTables.size(need.totalBytes()) + " for nat.max-sessions " + max
                + ", " + NatTables.size(need.heapBytes()) + " of it on the Java heap; port pools "
                + NatTables.size(pools.heapBytes()) + " for " + pools.addresses() + " addresses, on the heap too\n");
        String refusal = NatTables.cannotHoldHere(max, true, pools);
        if (refusal != null) {
            err.println(config + ": warning: " + refusal + " hairpin run would refuse to start here.");
        }
    }
}
