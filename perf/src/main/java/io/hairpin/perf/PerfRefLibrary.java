package io.hairpin.perf;

import io.hairpin.shim.DpdkException;
import io.hairpin.shim.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Locates libhairpin_perfref.so, the C reference perf's build makes (the {@code hairpin.perfref.path}
 * property, else the copy among perf's classes or inside its jar, extracted once to a temporary
 * file) and opens it for the life of the process, after the shim (which brings DPDK in).
 */
final class PerfRefLibrary {
    static final String PATH_PROPERTY = "hairpin.perfref.path";
    private static final String RESOURCE = "/native/linux-x86_64/libhairpin_perfref.so";

    private static volatile SymbolLookup lookup;

    private PerfRefLibrary() {
    }

    static SymbolLookup lookup() {
        SymbolLookup l = lookup;
        if (l == null) {
            synchronized (PerfRefLibrary.class) {
                l = lookup;
                if (l == null) {
                    NativeLibrary.lookup();
                    try {
                        l = SymbolLookup.libraryLookup(locate(), Arena.global());
                    } catch (IllegalArgumentException e) {
                        throw new DpdkException("Cannot load the C reference: " + e.getMessage(), e);
                    }
                    lookup = l;
                }
            }
        }
        return l;
    }

    private static Path locate() {
        String configured = System.getProperty(PATH_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        URL url = PerfRefLibrary.class.getResource(RESOURCE);
        if (url == null) {
            throw new DpdkException("The C reference is missing from the build (" + RESOURCE
                    + "); rebuild perf with DPDK's development files installed (apt-get install -y libdpdk-dev).");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            try (InputStream in = url.openStream()) {
                Path tmp = Files.createTempFile("libhairpin_perfref", ".so");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return tmp;
            }
        } catch (IOException | URISyntaxException e) {
            throw new DpdkException("Cannot extract the C reference: " + e.getMessage(), e);
        }
    }
}
