package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.session.SessionTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which of the matrix's scenarios (perf/matrix.sh) the C reference takes on, without running
 * either loop: every one that translates, up to napt-established's 10 M sessions and the 512
 * pool addresses they need, and not the rule swaps, whose snapshots are the engine's own.
 * {@link CReferenceTest} runs the C side of the smaller ones.
 */
class CReferenceCoverageTest {
    private static Setup setup(String token) {
        Bench.Options o = Bench.Options.parse(new String[] {token});
        return Bench.setup(o.scenarios().get(0), o);
    }

    @ParameterizedTest
    @ValueSource(strings = {"forward", "binat:1", "binat:10000", "pfwd", "napt-established:1000",
            "napt-established:100000", "napt-established:1000000", "napt-established:1000000:65536",
            "napt-established:10000000", "napt-cps:udp", "napt-cps:tcp", "hairpin:napt", "hairpin:binat", "imix"})
    void theCReferenceRunsEveryScenarioThatTranslates(String token) {
        assertNull(CReference.unsupported(setup(token)), token);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rule-swap", "rule-swap:napt"})
    void theRuleSwapsAreTheEnginesOwn(String token) {
        assertNotNull(CReference.unsupported(setup(token)), token);
    }

    @Test
    void theCSidesPoolsHoldTheBiggestNaptEstablishedTheEngineRuns() {
        assertTrue(Setup.naptPool(SessionTable.MAX_CAPACITY) <= CReference.MAX_POOL_ADDRESSES);
    }
}
