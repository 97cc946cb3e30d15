package io.hairpin.control.cli;

import io.hairpin.control.config.ConfigError;
import io.hairpin.control.config.ConfigException;
import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.LoadedConfig;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Loading a config for a command: errors and warnings go to the operator as file:line:column lines. */
final class ConfigFiles {
    private ConfigFiles() {
    }

    /**
     * @param consequence what did not happen because of the errors, e.g. "nothing was applied"
     * @return the validated config, or null after its errors were printed
     */
    static LoadedConfig loadOrReport(Path file, PrintWriter err, String consequence) {
        LoadedConfig loaded;
        try {
            loaded = ConfigLoader.loadAndValidate(file);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.println("hairpin: " + file + " has " + e.errors().size() + " error(s); " + consequence + ".");
            return null;
        }
        for (ConfigError w : loaded.warnings()) {
            err.println(w.location() + ": warning: " + w.message());
        }
        return loaded;
    }
}
