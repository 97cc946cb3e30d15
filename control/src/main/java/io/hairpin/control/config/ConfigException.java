package io.hairpin.control.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A config file that cannot be used. Carries every error found, in file order, and the warnings found
 * alongside them, so {@code hairpin check} can print everything in one go.
 */
@SuppressWarnings("serial") // never serialized; the lists are immutable copies
public final class ConfigException extends RuntimeException {

    private final List<ConfigError> errors;
    private final List<ConfigError> warnings;

    public ConfigException(List<ConfigError> errors) {
        this(errors, List.of());
    }

    public ConfigException(List<ConfigError> errors, List<ConfigError> warnings) {
        super(render(errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.errors = List.copyOf(errors);
        this.warnings = List.copyOf(warnings);
    }

    public List<ConfigError> errors() {
        return errors;
    }

    public List<ConfigError> warnings() {
        return warnings;
    }

    private static String render(List<ConfigError> errors) {
        return errors.stream().map(ConfigError::render).collect(Collectors.joining("\n"));
    }
}
