package io.hairpin.control.config;

import io.hairpin.control.config.NatSettings.AddressMatch;
import io.hairpin.control.config.NatSettings.InboundAllow;
import io.hairpin.control.config.NatSettings.Reflection;
import io.hairpin.control.config.NatSettings.ReflectionSource;
import java.util.List;
import java.util.Objects;

/**
 * A 1:1 NAT (BINAT) rule: {@code external} and {@code internal} are one address (/32) or two aligned
 * subnets of one size, and the host bits are kept. With {@code noBinat} it is an exclusion instead:
 * traffic of {@code internal} (and {@code destination}) is not translated by the 1:1 rules after it,
 * and {@code external} is null.
 *
 * @param interfaceName the interface the rule is bound to, as written (the validator checks it exists)
 * @param destination null for any destination
 * @param reflectionSource null for the global setting
 * @param inbound what unsolicited inbound traffic may reach the internal host; null for any
 * @param description null for none
 * @param location where the rule's entry starts in the file
 */
public record OneToOneRule(
        String interfaceName,
        Cidr external,
        Cidr internal,
        boolean noBinat,
        AddressMatch destination,
        Reflection reflection,
        ReflectionSource reflectionSource,
        boolean proxyArp,
        List<InboundAllow> inbound,
        String description,
        boolean disabled,
        SourceLocation location,
        Locations locations) {

    /** Where the interface, external and internal values are; an absent one is at the rule's location. */
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

    public OneToOneRule {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(internal, "internal");
        Objects.requireNonNull(reflection, "reflection");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(locations, "locations");
        inbound = inbound == null ? null : List.copyOf(inbound);
        if (noBinat != (external == null)) {
            throw new IllegalArgumentException("a no-binat rule has no external address, any other rule needs one");
        }
        requireAligned(internal);
        if (external != null) {
            requireAligned(external);
            if (external.prefixLength() != internal.prefixLength()) {
                throw new IllegalArgumentException("1:1 subnets must have one size: " + external + ", " + internal);
            }
        }
    }

    private static void requireAligned(Cidr cidr) {
        if (cidr.address() != cidr.network()) {
            throw new IllegalArgumentException("1:1 subnet must be aligned: " + cidr);
        }
    }

    public boolean enabled() {
        return !disabled;
    }
}
