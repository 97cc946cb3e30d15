package io.hairpin.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The test oracle must itself be right: it is checked against frames scapy made (and tshark, when present). */
class OracleTest {
    @Test
    void agreesWithScapyAndTshark() throws Exception {
        assertEquals(0, OracleSelfCheck.run(Path.of("src/test/resources/oracle")));
    }
}
