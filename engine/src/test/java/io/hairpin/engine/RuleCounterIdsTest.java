package io.hairpin.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.RuleIds;
import io.hairpin.engine.worker.RuleCounters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class RuleCounterIdsTest {
    private static final NatConfig NONE = NatConfig.none();

    private static NatConfig.Outbound outbound(int source, String description) {
        return new NatConfig.Outbound(0, source, 32, new int[] {0xCB00_7101}, false, description);
    }

    private static NatConfig.PortForward forward(int port, String description) {
        return new NatConfig.PortForward(0, NatConfig.PROTO_TCP, 0xCB00_7101, port, port, 0x0A00_0001, 80,
                NatConfig.Destination.ANY, NatConfig.Reflection.DEFAULT, null, description);
    }

    private static NatConfig config(List<NatConfig.PortForward> forwards, List<NatConfig.Outbound> outbound) {
        return new NatConfig(NONE.reflection(), NONE.reflectionSource(), NONE.filtering(), NONE.timeouts(),
                NONE.maxSessions(), 0, List.of(), forwards, outbound);
    }

    private static RuleIds apply(RuleCounterIds ids, NatConfig c, IntFunction<RuleCounts.Rule> totals) {
        RuleCounterIds.Plan p = ids.plan(c);
        ids.commit(p, totals);
        return p.ids();
    }

    private static final IntFunction<RuleCounts.Rule> NOTHING = id -> RuleCounts.Rule.ZERO;

    @Test
    void aRuleKeepsItsIdAcrossSwapsWhateverItsDescriptionOrPlace() {
        RuleCounterIds ids = new RuleCounterIds();
        RuleIds first = apply(ids, config(List.of(forward(80, "web"), forward(81, "b")), List.of(outbound(1, "x"))),
                NOTHING);
        assertArrayEquals(new int[] {1, 2}, first.portForwards());
        assertArrayEquals(new int[] {3}, first.outbound());

        RuleIds second = apply(ids, config(List.of(forward(82, "new"), forward(80, "web, renamed")),
                List.of(outbound(1, "x"))), NOTHING);
        assertArrayEquals(new int[] {4, 1}, second.portForwards(), "80 kept its id at another place; 82 is new");
        assertArrayEquals(new int[] {3}, second.outbound());
        RuleIds third = apply(ids, config(List.of(forward(81, "b")), List.of(outbound(2, "x"))), NOTHING);
        assertNotEquals(2, third.portForwards()[0], "81 came back after it went: a new rule, a fresh id");
        assertNotEquals(3, third.outbound()[0], "another source: another rule");
    }

    @Test
    void identicalRulesAreToldApartByTheirOrderAndAPlanNotCommittedChangesNothing() {
        RuleCounterIds ids = new RuleCounterIds();
        RuleIds two = apply(ids, config(List.of(forward(80, "a"), forward(80, "b")), List.of()), NOTHING);
        assertArrayEquals(new int[] {1, 2}, two.portForwards());
        ids.plan(config(List.of(forward(99, "refused")), List.of()));
        RuleIds one = apply(ids, config(List.of(forward(80, "b")), List.of()), NOTHING);
        assertArrayEquals(new int[] {1}, one.portForwards(), "the first of identical rules is the one that counted");
        assertArrayEquals(new int[] {3}, apply(ids, config(List.of(forward(98, "")), List.of()), NOTHING).portForwards(),
                "the refused plan's id was not taken");
    }

    /**
     * Once every id has been given out, a new rule gets the one retired longest ago, and what that
     * id counted before is the baseline the new rule's counts are told from.
     */
    @Test
    void whenIdsRunOutTheLongestRetiredIsReusedFromABaseline() {
        RuleCounterIds ids = new RuleCounterIds();
        Map<Integer, RuleCounts.Rule> counted = new HashMap<>();
        IntFunction<RuleCounts.Rule> totals = id -> counted.getOrDefault(id, RuleCounts.Rule.ZERO);
        List<NatConfig.Outbound> many = new ArrayList<>();
        for (int i = 0; i < RuleCounters.IDS - 2; i++) {
            many.add(outbound(0x0A00_0000 + i, ""));
        }
        RuleIds all = apply(ids, config(List.of(forward(80, "old")), many), totals);
        assertEquals(1, all.portForwards()[0]);
        assertEquals(RuleCounters.IDS - 1, Arrays.stream(all.outbound()).max().orElseThrow());
        counted.put(1, new RuleCounts.Rule(10, 1000, 2, 1)); // one of its sessions still open

        RuleIds swapped = apply(ids, config(List.of(forward(81, "new")), many), totals);
        assertEquals(1, swapped.portForwards()[0], "the only id free is the old forward's");
        assertEquals(RuleCounts.Rule.ZERO, ids.counts(totals).portForwards().get(0), "the new rule starts from nothing");
        counted.put(1, new RuleCounts.Rule(13, 1300, 3, 1));
        assertEquals(new RuleCounts.Rule(3, 300, 1, 0), ids.counts(totals).portForwards().get(0));
        assertEquals(1, ids.counts(totals).portForwards().get(0).active());
        counted.put(1, new RuleCounts.Rule(13, 1300, 3, 3)); // its own session and the old rule's ended
        assertEquals(0, ids.counts(totals).portForwards().get(0).active(), "never below none");

        RuleIds more = apply(ids, config(List.of(forward(81, "new"), forward(82, "none left")), many), totals);
        assertArrayEquals(new int[] {1, 0}, more.portForwards(), "no id left: the rule goes uncounted");
        assertEquals(RuleCounts.Rule.ZERO, ids.counts(totals).portForwards().get(1));
    }
}
