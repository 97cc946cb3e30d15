package io.hairpin.control.appliance;

import io.hairpin.control.config.NatSettings;
import io.hairpin.control.config.OneToOneRule;
import io.hairpin.control.config.OutboundRule;
import io.hairpin.control.config.PortForwardRule;
import io.hairpin.control.service.ControlService;
import io.hairpin.engine.TraceEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A config's enabled NAT rules of each kind, in config order: the engine's rules, whose place among
 * them the engine reports (trace, sessions, counts), each with the number {@code hairpin rules}
 * gives it among all rules of its kind, disabled ones too. Built once per answer, so that naming
 * many sessions does not walk the config for each.
 */
record EnabledRules(List<Numbered> oneToOne, List<Numbered> portForwards, List<Numbered> outbound) {

    /** A rule: its kind ("1:1", "port-forward", "outbound"), its number and its description. */
    record Numbered(String kind, int number, String description) {
        String label() {
            return ControlService.RuleStats.label(kind, number, description);
        }
    }

    static EnabledRules of(NatSettings rules) {
        return new EnabledRules(
                numbered("1:1", rules.oneToOne(), OneToOneRule::enabled, OneToOneRule::description),
                numbered("port-forward", rules.portForwards(), PortForwardRule::enabled, PortForwardRule::description),
                numbered("outbound", rules.outbound(), OutboundRule::enabled, OutboundRule::description));
    }

    /**
     * "port-forward #2 web", with ", reflected" for reflection; null when the config has fewer
     * enabled rules of that kind than the engine had.
     */
    String name(TraceEntry.Rule rule) {
        List<Numbered> list = switch (rule.kind()) {
            case ONE_TO_ONE -> oneToOne;
            case PORT_FORWARD -> portForwards;
            case OUTBOUND -> outbound;
        };
        if (rule.index() >= list.size()) {
            return null;
        }
        String name = list.get(rule.index()).label();
        return rule.reflected() ? name + ", reflected" : name;
    }

    private static <R> List<Numbered> numbered(String kind, List<R> list, Predicate<R> enabled,
                                               Function<R, String> description) {
        List<Numbered> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (enabled.test(list.get(i))) {
                out.add(new Numbered(kind, i + 1, description.apply(list.get(i))));
            }
        }
        return List.copyOf(out);
    }
}
