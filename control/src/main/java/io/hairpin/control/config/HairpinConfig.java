package io.hairpin.control.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A whole config file, loaded and checked for shape (see {@link ConfigLoader}); semantic checks are
 * {@link ConfigValidator}'s.
 *
 * @param nat the NAT settings and rules; {@link NatSettings#defaults()} when the file has none
 * @param source the file it came from, or null when it was parsed from text
 * @param locations where the top-level settings are, for errors and warnings about them
 */
public record HairpinConfig(
        int workers,
        List<String> eal,
        List<InterfaceConfig> interfaces,
        List<RouteConfig> routes,
        NatSettings nat,
        ControlConfig control,
        boolean exceptionPath,
        Path source,
        Locations locations) {

    public static final int DEFAULT_WORKERS = 1;

    /**
     * Positions of top-level settings: the {@code workers} value and the {@code interfaces} key. An
     * absent setting is placed at the start of the file.
     */
    public record Locations(SourceLocation workers, SourceLocation interfaces) {
        public Locations {
            Objects.requireNonNull(workers, "workers");
            Objects.requireNonNull(interfaces, "interfaces");
        }
    }

    public HairpinConfig {
        eal = List.copyOf(eal);
        interfaces = List.copyOf(interfaces);
        routes = List.copyOf(routes);
        Objects.requireNonNull(nat, "nat");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(locations, "locations");
    }

    /** A config without NAT built in code; its top-level settings point at the start of {@code source}. */
    public HairpinConfig(int workers, List<String> eal, List<InterfaceConfig> interfaces, List<RouteConfig> routes,
            ControlConfig control, Path source) {
        this(workers, eal, interfaces, routes, NatSettings.defaults(), control, true, source, startOf(source));
    }

    private static Locations startOf(Path source) {
        SourceLocation start = new SourceLocation(source == null ? "<config>" : source.toString(), 1, 1);
        return new Locations(start, start);
    }
}
