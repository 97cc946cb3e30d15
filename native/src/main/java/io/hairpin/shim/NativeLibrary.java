package io.hairpin.shim;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Locates libhairpin_shim.so (the {@code hairpin.shim.path} property, else the copy inside the jar,
 * extracted once to a temporary file) and opens it for the whole life of the process.
 */
public final class NativeLibrary {
    public static final String PATH_PROPERTY = "hairpin.shim.path";
    private static final String RESOURCE = "/native/linux-x86_64/libhairpin_shim.so";

    private static volatile SymbolLookup lookup;

    private NativeLibrary() {
    }

    public static SymbolLookup lookup() {
        SymbolLookup l = lookup;
        if (l == null) {
            synchronized (NativeLibrary.class) {
                l = lookup;
                if (l == null) {
                    l = open(locate());
                    lookup = l;
                }
            }
        }
        return l;
    }

    static Path locate() {
        String configured = System.getProperty(PATH_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isRegularFile(p)) {
                throw new DpdkException("The Hairpin native shim was not found at " + p + " (set by -D" + PATH_PROPERTY + ").");
            }
            return p;
        }
        try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new DpdkException("The Hairpin native shim is missing from the build (" + RESOURCE
                        + "); rebuild with DPDK's development files installed (apt-get install -y libdpdk-dev).");
            }
            Path tmp = Files.createTempFile("libhairpin_shim", ".so");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new DpdkException("Cannot extract the Hairpin native shim to a temporary file: " + e.getMessage(), e);
        }
    }

    private static SymbolLookup open(Path path) {
        try {
            return SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new DpdkException(explainLoadFailure(e.getMessage()), e);
        }
    }

    /** Turns the dynamic loader's message into one sentence an operator can act on. */
    static String explainLoadFailure(String loaderMessage) {
        String msg = loaderMessage == null ? "" : loaderMessage;
        if (msg.contains("librte_") || msg.contains("libdpdk")) {
            return "The DPDK 22.11 runtime libraries are not installed (" + firstMissingLibrary(msg)
                    + " not found); install them with: apt-get install -y dpdk";
        }
        return "Cannot load the Hairpin native shim: " + msg;
    }

    private static String firstMissingLibrary(String msg) {
        int start = msg.indexOf("librte_");
        if (start < 0) {
            return "a DPDK library";
        }
        int end = start;
        while (end < msg.length() && msg.charAt(end) != ':' && !Character.isWhitespace(msg.charAt(end))) {
            end++;
        }
        return msg.substring(start, end);
    }
}
