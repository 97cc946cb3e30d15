package io.hairpin.control.config;

import java.util.Locale;
import java.util.Optional;

/** What an interface faces: the Internet side or a side with hosts behind NAT. */
public enum Role {
    EXTERNAL,
    INTERNAL;

    /** The config-file spelling: {@code external} or {@code internal}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role spelled {@code text} in a config file (exact, lower case), if any. */
    public static Optional<Role> fromConfigName(String text) {
        for (Role role : values()) {
            if (role.configName().equals(text)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
