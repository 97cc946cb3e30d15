package io.hairpin.control.config;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Outbound NAT (NAPT): traffic from {@code source} leaving the interface is translated to the
 * {@code translation} addresses.
 *
 * @param interfaceName the interface the rule is bound to, as written (the validator checks it exists)
 * @param source in network form
 * @param description null for none
 * @param location where the rule's entry starts in the file
 */
public record OutboundRule(
        String interfaceName,
        Cidr source,
        Translation translation,
        boolean staticPort,
        String description,
        boolean disabled,
        SourceLocation location,
        Locations locations) {

    /** The largest translation pool a rule may name: a /16. */
    public static final int MIN_POOL_PREFIX_LENGTH = 16;

    /**
     * Where the interface, source and translation values are.
     *
     * @param translationAddresses one location per address of an {@link Translation.Addresses} list, else empty
     */
    public record Locations(SourceLocation interfaceName, SourceLocation source, SourceLocation translation,
            List<SourceLocation> translationAddresses) {
        public Locations {
            Objects.requireNonNull(interfaceName, "interfaceName");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(translation, "translation");
            translationAddresses = List.copyOf(translationAddresses);
        }

        public static Locations allAt(SourceLocation location, Translation translation) {
            int count = translation instanceof Translation.Addresses list ? list.addresses().size() : 0;
            return new Locations(location, location, location, Collections.nCopies(count, location));
        }
    }

    /** What the source addresses become. */
    public sealed interface Translation {

        /** The public addresses, in order; empty for {@link InterfaceAddress}. */
        List<Integer> addresses();

        /** The egress interface's own address ({@code translation: interface}). */
        record InterfaceAddress() implements Translation {
            @Override
            public List<Integer> addresses() {
                return List.of();
            }

            @Override
            public String toString() {
                return "interface";
            }
        }

        /** One address. */
        record Address(int address) implements Translation {
            @Override
            public List<Integer> addresses() {
                return List.of(address);
            }

            @Override
            public String toString() {
                return Ipv4.format(address);
            }
        }

        /** Every address of an aligned prefix, network and broadcast included. */
        record Pool(Cidr prefix) implements Translation {
            public Pool {
                if (prefix.address() != prefix.network() || prefix.prefixLength() < MIN_POOL_PREFIX_LENGTH) {
                    throw new IllegalArgumentException("a pool is an aligned prefix of /16 or longer: " + prefix);
                }
            }

            @Override
            public List<Integer> addresses() {
                int count = 1 << (32 - prefix.prefixLength());
                return IntStream.range(0, count).map(i -> prefix.network() + i).boxed().toList();
            }

            @Override
            public String toString() {
                return prefix.toString();
            }
        }

        /** A list of addresses, no duplicates. */
        record Addresses(List<Integer> addresses) implements Translation {
            public Addresses {
                addresses = List.copyOf(addresses);
                if (addresses.isEmpty() || addresses.stream().distinct().count() != addresses.size()) {
                    throw new IllegalArgumentException("a translation list needs distinct addresses: " + addresses);
                }
            }

            @Override
            public String toString() {
                return addresses.stream().map(Ipv4::format).collect(Collectors.joining(", "));
            }
        }
    }

    public OutboundRule {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(source, "source");
        if (source.address() != source.network()) {
            throw new IllegalArgumentException("outbound source must be in network form: " + source);
        }
        Objects.requireNonNull(translation, "translation");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(locations, "locations");
    }

    public boolean enabled() {
        return !disabled;
    }
}
