package io.hairpin.engine;

import java.util.List;

/**
 * What each NAT rule in force has done, summed over the workers: per kind, in the order of the
 * rules of {@code nat}, the rules in force.
 */
public record RuleCounts(io.hairpin.engine.nat.NatConfig nat, List<Rule> oneToOne, List<Rule> portForwards,
                         List<Rule> outbound) {
    public RuleCounts {
        oneToOne = List.copyOf(oneToOne);
        portForwards = List.copyOf(portForwards);
        outbound = List.copyOf(outbound);
    }

    /**
     * Packets the rule translated and their bytes (IP total length), both directions, its
     * sessions' packets and reflected ones included; sessions it opened, and how many of those
     * ended (expired, closed, flushed). Counted since the rule came into force; a rule kept across
     * a rule swap keeps counting.
     */
    public record Rule(long packets, long bytes, long sessions, long closed) {
        public static final Rule ZERO = new Rule(0, 0, 0, 0);

        /**
         * Its sessions open now. Never below 0: when a removed rule's id goes to a new rule, the
         * old rule's sessions that are still open count as the new one's when they end.
         */
        public long active() {
            return Math.max(0, sessions - closed);
        }

        public Rule plus(Rule r) {
            return new Rule(packets + r.packets, bytes + r.bytes, sessions + r.sessions, closed + r.closed);
        }

        public Rule minus(Rule r) {
            return new Rule(packets - r.packets, bytes - r.bytes, sessions - r.sessions, closed - r.closed);
        }
    }
}
