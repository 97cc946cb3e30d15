package io.hairpin.engine.nat;

/**
 * The counter id of each NAT rule of a {@link NatConfig}, per kind in list order: 1 to 65535,
 * distinct within one config (see io.hairpin.engine.worker.RuleCounters). Ids outlive a rule
 * swap: a rule kept from one config to the next keeps its id, so the sessions it opened go on
 * counting for it.
 */
public record RuleIds(int[] oneToOne, int[] portForwards, int[] outbound) {
    /** Ids 1, 2, 3 … in the order 1:1, port forwards, outbound: for a config that is the first and only one. */
    public static RuleIds sequential(NatConfig c) {
        int[] b = new int[c.oneToOne().size()];
        int[] f = new int[c.portForwards().size()];
        int[] o = new int[c.outbound().size()];
        int next = 1;
        for (int i = 0; i < b.length; i++) {
            b[i] = next++;
        }
        for (int i = 0; i < f.length; i++) {
            f[i] = next++;
        }
        for (int i = 0; i < o.length; i++) {
            o[i] = next++;
        }
        return new RuleIds(b, f, o);
    }
}
