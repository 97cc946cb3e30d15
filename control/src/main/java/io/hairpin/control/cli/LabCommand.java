package io.hairpin.control.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Builds the namespace lab (deploy/lab/lab.sh), starts this appliance in it on the embedded lab
 * config (1:1, port forwards, outbound NAT, reflection), shows each working with the source
 * address the far side saw, and tears everything down again.
 */
@Command(name = "lab", description = "Build a namespace lab, run the appliance in it, show NAT working, clean up.")
public final class LabCommand implements Callable<Integer> {
    @Option(names = "--config", description = "appliance config to run in the lab (default: deploy/lab/lab-nat.yaml,"
            + " or deploy/lab/lab-router.yaml with --router)")
    Path config;

    @Option(names = "--router", description = "the plain-router lab (no NAT) instead of the NAT lab")
    boolean router;

    @Option(names = "--linux", description = "run the same checks against Linux (nftables NAT) instead of Hairpin")
    boolean linux;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("hairpin.home", "."));
        Path script = home.resolve("deploy/lab/lab.sh");
        Path launcher = home.resolve("deploy/hairpin");
        if (!Files.isRegularFile(script) || !Files.isRegularFile(launcher)) {
            spec.commandLine().getErr().println("hairpin: the lab scripts were not found under " + home.toAbsolutePath()
                    + "; run 'hairpin lab' from a Hairpin checkout (its deploy/ directory).");
            return 1;
        }
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), "demo", router ? "--router" : "--nat", "--"));
        if (linux) {
            cmd.add("linux");
        } else {
            Path cfg = config != null ? config : home.resolve(router ? "deploy/lab/lab-router.yaml" : "deploy/lab/lab-nat.yaml");
            cmd.addAll(List.of(launcher.toString(), "run", "--config", cfg.toAbsolutePath().toString()));
        }
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }
}
