package io.hairpin.control.config;

import java.util.Comparator;
import java.util.Objects;

/** One problem in a config file, errors and warnings alike. */
public record ConfigError(SourceLocation location, String message) {

    static final Comparator<ConfigError> IN_FILE_ORDER = Comparator.comparing(ConfigError::location, SourceLocation.IN_FILE_ORDER);

    public ConfigError {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(message, "message");
    }

    /** {@code file:line:column: message}, the form compilers use so editors can jump to it. */
    public String render() {
        return location + ": " + message;
    }

    @Override
    public String toString() {
        return render();
    }
}
