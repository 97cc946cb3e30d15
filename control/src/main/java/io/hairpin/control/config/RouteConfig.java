package io.hairpin.control.config;

import java.util.Objects;

/**
 * A static route.
 *
 * @param prefix the destination, in network form (no host bits)
 * @param via the next hop, an IPv4 address on a connected prefix
 * @param location where the route's entry starts in the file
 * @param locations where its prefix and next hop are
 */
public record RouteConfig(Cidr prefix, int via, SourceLocation location, Locations locations) {

    public record Locations(SourceLocation prefix, SourceLocation via) {
        public Locations {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(via, "via");
        }
    }

    public RouteConfig {
        Objects.requireNonNull(prefix, "prefix");
        if (prefix.address() != prefix.network()) {
            throw new IllegalArgumentException("route prefix must be in network form: " + prefix);
        }
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(locations, "locations");
    }

    /** A route whose settings all point at {@code location}. */
    public RouteConfig(Cidr prefix, int via, SourceLocation location) {
        this(prefix, via, location, new Locations(location, location));
    }
}
