package io.hairpin.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What an operator reads when EAL does not start, by what the machine offers it. */
class EalInitFailureTest {
    private static final List<String> ARGS = List.of("--no-pci", "--file-prefix", "hairpin-7", "-l", "0");
    private static final String REMEDY = ". Reserve and mount some (echo 512 > /proc/sys/vm/nr_hugepages; mkdir -p"
            + " /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages), or run on ordinary memory with eal: [--no-huge,"
            + " -m, \"512\"], about five times slower.";

    /**
     * EAL says EACCES when it finds no hugepages ("Cannot get hugepage information"); as root that
     * was read as "run Hairpin as root". It now says which part is missing.
     */
    @Test
    void asRootALackOfHugepagesIsNamed() {
        assertEquals("DPDK could not start: it found no hugepages to use: none is reserved (HugePages_Total is 0) and no"
                        + " hugetlbfs is mounted" + REMEDY,
                Eal.explainInitFailure(Eal.Errno.EACCES, ARGS, true, new Eal.Hugepages(0, 0, false)));
        assertEquals("DPDK could not start: it found no hugepages to use: none is reserved (HugePages_Total is 0)" + REMEDY,
                Eal.explainInitFailure(Eal.Errno.EACCES, ARGS, true, new Eal.Hugepages(0, 0, true)));
        assertEquals("DPDK could not start: it found no hugepages to use: all 512 are in use (HugePages_Free is 0)" + REMEDY,
                Eal.explainInitFailure(Eal.Errno.EACCES, ARGS, true, new Eal.Hugepages(512, 0, true)));
        assertEquals("DPDK could not start: it found no hugepages to use: no hugetlbfs is mounted" + REMEDY,
                Eal.explainInitFailure(Eal.Errno.EACCES, ARGS, true, new Eal.Hugepages(512, 512, false)));
    }

    @Test
    void otherwiseAPermissionIsAPermission() {
        assertEquals("DPDK could not start: permission denied, although running as root (EAL arguments " + ARGS
                        + "; EAL's own lines above say what it could not do).",
                Eal.explainInitFailure(Eal.Errno.EACCES, ARGS, true, new Eal.Hugepages(512, 512, true)));
        List<String> noHuge = List.of("--no-huge", "-m", "512");
        assertEquals("DPDK could not start: permission denied, although running as root (EAL arguments " + noHuge
                        + "; EAL's own lines above say what it could not do).",
                Eal.explainInitFailure(Eal.Errno.EACCES, noHuge, true, new Eal.Hugepages(0, 0, false)),
                "with --no-huge, hugepages are not what it lacked");
        assertEquals("DPDK could not start: permission denied; run Hairpin as root (it needs hugepages or --no-huge"
                        + " memory, raw sockets and /var/run/dpdk).",
                Eal.explainInitFailure(Eal.Errno.EPERM, ARGS, false, null));
    }

    @Test
    void theRuntimeFolderIsNamedByTheFilePrefix() {
        assertEquals("hairpin-7", Eal.prefixOf(ARGS));
        assertEquals("lab", Eal.prefixOf(List.of("--file-prefix=lab")));
        assertEquals("rte", Eal.prefixOf(List.of("--no-huge")));
    }
}
