package io.hairpin.control.config;

import java.util.List;
import java.util.Objects;

/** A config that loaded and validated without errors, with the warnings it produced. */
public record LoadedConfig(HairpinConfig config, List<ConfigError> warnings) {

    public LoadedConfig {
        Objects.requireNonNull(config, "config");
        warnings = List.copyOf(warnings);
    }
}
