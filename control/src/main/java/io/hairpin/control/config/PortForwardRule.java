package io.hairpin.control.config;

import io.hairpin.control.config.NatSettings.AddressMatch;
import io.hairpin.control.config.NatSettings.PortProtocol;
import io.hairpin.control.config.NatSettings.PortRange;
import io.hairpin.control.config.NatSettings.Reflection;
import io.hairpin.control.config.NatSettings.ReflectionSource;
import java.util.Objects;

/**
 * A port forward: {@code external}:{@code externalPorts} to {@code internal}:{@code internalPorts}, port
 * for port (the two ranges have one length).
 *
 * @param interfaceName the interface the rule is bound to, as written (the validator checks it exists)
 * @param source null for any remote source
 * @param reflectionSource null for the global setting
 * @param description null for none
 * @param location where the rule's entry starts in the file
 */
public record PortForwardRule(
        String interfaceName,
        PortProtocol protocol,
        int external,
        PortRange externalPorts,
        int internal,
        PortRange internalPorts,
        AddressMatch source,
        Reflection reflection,
        ReflectionSource reflectionSource,
        String description,
        boolean disabled,
        SourceLocation location,
        Locations locations) {

    /** Where the interface, external and internal values are. */
    public record Locations(SourceLocation interfaceName, SourceLocation external, SourceLocation internal) {
        public Locations {
            Objects.requireNonNull(interfaceName, "interfaceName");
            Objects.requireNonNull(external, "external");
            Objects.requireNonNull(internal, "internal");
        }

        public static Locations allAt(SourceLocation location) {
            return new Locations(location, location, location);
        }
    }

    public PortForwardRule {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(externalPorts, "externalPorts");
        Objects.requireNonNull(internalPorts, "internalPorts");
        Objects.requireNonNull(reflection, "reflection");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(locations, "locations");
        if (externalPorts.size() != internalPorts.size()) {
            throw new IllegalArgumentException("port ranges must have one length: " + externalPorts + ", " + internalPorts);
        }
    }

    public boolean enabled() {
        return !disabled;
    }
}
