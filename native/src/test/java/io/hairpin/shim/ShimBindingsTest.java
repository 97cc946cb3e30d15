package io.hairpin.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ShimBindingsTest {

    /** The oracle is the library itself: its dynamic symbol table as binutils' nm reads it. */
    private static Set<String> exportedSymbols() throws IOException, InterruptedException {
        Path lib = NativeLibrary.locate();
        Process nm = new ProcessBuilder("nm", "-D", "--defined-only", lib.toString()).redirectErrorStream(true).start();
        String out = new String(nm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, nm.waitFor(), out);
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\S+\\s+T\\s+(hp_\\w+)$").matcher(out);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void everyExportedFunctionIsBoundAndNothingElse() throws Exception {
        Set<String> exported = exportedSymbols();
        assertTrue(exported.size() > 20, "nm found too few hp_ symbols: " + exported);
        assertEquals(exported, new TreeSet<>(Shim.FUNCTIONS));
    }

    @Test
    void everyHeaderDeclarationIsExported() throws Exception {
        String header = Files.readString(Path.of("src/main/c/hairpin_shim.h"));
        Set<String> declared = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^[a-z_0-9 ]+\\*?\\s*\\*?(hp_\\w+)\\(").matcher(header);
        while (m.find()) {
            declared.add(m.group(1));
        }
        assertEquals(declared, exportedSymbols());
    }

    @Test
    void everyBindingResolves() throws Exception {
        Set<String> holders = Arrays.stream(Shim.class.getDeclaredClasses())
                .filter(c -> Modifier.isStatic(c.getModifiers()))
                .map(Class::getSimpleName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Shim.FUNCTIONS), holders);
        for (Class<?> holder : Shim.class.getDeclaredClasses()) {
            // Initialising the holder looks the symbol up and links the downcall.
            Class.forName(holder.getName(), true, Shim.class.getClassLoader());
        }
    }

    @Test
    void mbufOffsetsMatchTheCompiledShim() {
        Mbuf.verifyAbi();
        long[] info = Mbuf.abiInfo();
        assertEquals(128, info[Mbuf.AbiField.MBUF_SIZE.ordinal()]);
        assertEquals(36, info[Mbuf.AbiField.OFF_PKT_LEN.ordinal()]);
    }

    @Test
    void missingDpdkLibraryIsExplainedInOneSentence() {
        String msg = NativeLibrary.explainLoadFailure(
                "Cannot open library: librte_ethdev.so.23: cannot open shared object file: No such file or directory");
        assertEquals("The DPDK 22.11 runtime libraries are not installed (librte_ethdev.so.23 not found); "
                + "install them with: apt-get install -y dpdk", msg);
    }
}
