package io.hairpin.engine;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.RuleIds;
import io.hairpin.engine.worker.RuleCounters;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The NAT rules' counter ids across rule swaps, on the control thread. A rule that stays from one
 * config to the next (the same kind and the same settings, its description aside; the n-th of
 * identical rules stays the n-th) keeps its id and so its counts, as do the sessions it opened. A
 * new rule gets an id never used, or, once all 65535 have been, the one retired longest ago,
 * whose counts so far become the baseline its new owner's are told from. A session of a removed
 * rule that outlives the reuse of its id would count for the new owner; with 65535 ids that takes
 * tens of thousands of rule changes within a session's lifetime. {@link #plan} and {@link #commit}
 * are called by one thread at a time; {@link #counts} by any.
 */
final class RuleCounterIds {
    /** A rule's identity across configs: its settings (a record of its kind) less its description. */
    private record Key(Object settings, int occurrence) {
    }

    /**
     * The ids {@link #plan} chose for a config, to {@link #commit} once it is in force; rules gives
     * each id's rule (kind and place among the config's rules of its kind).
     */
    record Plan(NatConfig nat, RuleIds ids, Map<Key, Integer> live, List<Integer> reused, int fresh,
                Map<Integer, TraceEntry.Rule> rules) {
    }

    /** The plan committed last: the rules in force and their ids. */
    private volatile Plan inForce;
    private Map<Key, Integer> live = Map.of();
    /** Ids of removed rules, the longest retired first. */
    private final ArrayDeque<Integer> retired = new ArrayDeque<>();
    private int fresh = 1;
    /** Per reused id: its counts when it was reused (read by {@link #counts} on any thread). */
    private final Map<Integer, RuleCounts.Rule> baseline = new java.util.concurrent.ConcurrentHashMap<>();

    /** The ids of next's rules; nothing changes until {@link #commit}. */
    Plan plan(NatConfig next) {
        Map<Key, Integer> kept = new HashMap<>();
        List<Key> keys = keys(next);
        List<Integer> reused = new ArrayList<>();
        ArrayDeque<Integer> free = new ArrayDeque<>(retired);
        free.addAll(gone(live, new HashSet<>(keys)));
        int nextFresh = fresh;
        int[] ids = new int[keys.size()];
        for (int i = 0; i < ids.length; i++) {
            Key k = keys.get(i);
            Integer id = live.get(k);
            if (id == null) {
                if (nextFresh < RuleCounters.IDS) {
                    id = nextFresh++;
                } else if (!free.isEmpty()) {
                    id = free.poll();
                    reused.add(id);
                } else {
                    id = 0; // more rules than ids: this one goes uncounted
                }
            }
            ids[i] = id;
            if (id != 0) {
                kept.put(k, id);
            }
        }
        int b = next.oneToOne().size();
        int f = next.portForwards().size();
        RuleIds chosen = new RuleIds(Arrays.copyOfRange(ids, 0, b), Arrays.copyOfRange(ids, b, b + f),
                Arrays.copyOfRange(ids, b + f, ids.length));
        Map<Integer, TraceEntry.Rule> rules = new HashMap<>();
        place(rules, chosen.oneToOne(), TraceEntry.RuleKind.ONE_TO_ONE);
        place(rules, chosen.portForwards(), TraceEntry.RuleKind.PORT_FORWARD);
        place(rules, chosen.outbound(), TraceEntry.RuleKind.OUTBOUND);
        return new Plan(next, chosen, kept, reused, nextFresh, Map.copyOf(rules));
    }

    private static void place(Map<Integer, TraceEntry.Rule> out, int[] ids, TraceEntry.RuleKind kind) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != 0) {
                out.put(ids[i], new TraceEntry.Rule(kind, i, false));
            }
        }
    }

    /**
     * The plan's config is about to be in force: its ids are the live ones. {@code totals} gives an
     * id's counts so far, the baseline of a reused one.
     */
    void commit(Plan p, IntFunction<RuleCounts.Rule> totals) {
        retired.addAll(gone(live, p.live().keySet()));
        retired.removeAll(p.reused());
        for (int id : p.reused()) {
            baseline.put(id, totals.apply(id));
        }
        live = Map.copyOf(p.live());
        fresh = p.fresh();
        inForce = p;
    }

    /** What each rule in force has done since it got its id; {@code totals} gives an id's counts so far. */
    RuleCounts counts(IntFunction<RuleCounts.Rule> totals) {
        Plan p = inForce;
        return new RuleCounts(p.nat(), counts(p.ids().oneToOne(), totals), counts(p.ids().portForwards(), totals),
                counts(p.ids().outbound(), totals));
    }

    /** The rule in force whose id this is (any int is taken as its low 16 bits), or null for none. */
    TraceEntry.Rule rule(int id) {
        return inForce.rules().get(id & 0xffff);
    }

    private List<RuleCounts.Rule> counts(int[] ids, IntFunction<RuleCounts.Rule> totals) {
        List<RuleCounts.Rule> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(id == 0 ? RuleCounts.Rule.ZERO
                    : totals.apply(id).minus(baseline.getOrDefault(id, RuleCounts.Rule.ZERO)));
        }
        return out;
    }

    /** The ids of rules in {@code from} that are not in {@code to}, in order. */
    private static List<Integer> gone(Map<Key, Integer> from, Set<Key> to) {
        List<Integer> out = new ArrayList<>();
        for (Map.Entry<Key, Integer> e : from.entrySet()) {
            if (!to.contains(e.getKey())) {
                out.add(e.getValue());
            }
        }
        out.sort(null);
        return out;
    }

    private static List<Key> keys(NatConfig c) {
        List<Key> out = new ArrayList<>();
        Map<Object, Integer> seen = new HashMap<>();
        for (NatConfig.OneToOne r : c.oneToOne()) {
            add(out, seen, new NatConfig.OneToOne(r.iface(), r.external(), r.internal(), r.prefixLength(), r.noBinat(),
                    r.destination(), r.reflection(), r.reflectionSource(), r.proxyArp(), r.inbound(), null));
        }
        for (NatConfig.PortForward r : c.portForwards()) {
            add(out, seen, new NatConfig.PortForward(r.iface(), r.protocols(), r.external(), r.externalPortLow(),
                    r.externalPortHigh(), r.internal(), r.internalPortLow(), r.source(), r.reflection(),
                    r.reflectionSource(), null));
        }
        for (NatConfig.Outbound r : c.outbound()) {
            add(out, seen, new NatConfig.Outbound(r.iface(), r.sourcePrefix(), r.sourcePrefixLength(), r.pool(),
                    r.staticPort(), null));
        }
        return out;
    }

    /** The n-th rule of the same settings is told from the others by n. */
    private static void add(List<Key> out, Map<Object, Integer> seen, Object settings) {
        int occurrence = seen.merge(settings, 1, Integer::sum) - 1;
        out.add(new Key(settings, occurrence));
    }
}
