package io.hairpin.control.config;

import java.util.List;

/** What {@link ConfigValidator} found: errors make a config unusable, warnings do not. */
public record ValidationResult(List<ConfigError> errors, List<ConfigError> warnings) {

    public ValidationResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }
}
