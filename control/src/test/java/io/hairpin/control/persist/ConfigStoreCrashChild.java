package io.hairpin.control.persist;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process {@link ConfigStoreTest} kills: stores two contents alternately, forever, and says
 * "storing" on stdout once the first store is done so the parent can time its SIGKILL.
 * Arguments: the target file, the file holding content A, the file holding content B.
 */
public final class ConfigStoreCrashChild {
    private ConfigStoreCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        ConfigStore store = new ConfigStore(Path.of(args[0]));
        byte[] a = Files.readAllBytes(Path.of(args[1]));
        byte[] b = Files.readAllBytes(Path.of(args[2]));
        boolean announced = false;
        for (long i = 0; ; i++) {
            store.store((i & 1) == 0 ? b : a);
            if (!announced) {
                System.out.println("storing");
                System.out.flush();
                announced = true;
            }
        }
    }
}
