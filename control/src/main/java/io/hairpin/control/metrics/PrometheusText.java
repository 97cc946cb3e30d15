package io.hairpin.control.metrics;

import io.hairpin.control.service.ControlService;
import io.hairpin.engine.worker.Counters;
import io.hairpin.shim.EthPort;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The appliance's counters in the Prometheus text exposition format, version 0.0.4: one HELP and
 * one TYPE line per metric family, then its samples. Ports are labelled with the interface on the
 * port ({@code port}, the first interface of the config on that device) and the DPDK device
 * ({@code device}); drop reasons and other events are labels of one family each, so every reason
 * is present, zero or not.
 */
public final class PrometheusText {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Map<String, String> PORT_HELP = Map.ofEntries(
            Map.entry("rx_packets", "Packets the workers received on the port."),
            Map.entry("rx_bytes", "Bytes the workers received on the port."),
            Map.entry("tx_packets", "Packets the workers sent on the port."),
            Map.entry("tx_bytes", "Bytes the workers sent on the port."),
            Map.entry("tx_full", "Packets dropped because the port's transmit queue was full."),
            Map.entry("dpdk_ipackets", "Packets received, as the DPDK driver counts them."),
            Map.entry("dpdk_opackets", "Packets sent, as the DPDK driver counts them."),
            Map.entry("dpdk_ibytes", "Bytes received, as the DPDK driver counts them."),
            Map.entry("dpdk_obytes", "Bytes sent, as the DPDK driver counts them."),
            Map.entry("dpdk_imissed", "Packets the NIC dropped because the receive queues were full (DPDK imissed)."),
            Map.entry("dpdk_ierrors", "Erroneous packets received (DPDK ierrors)."),
            Map.entry("dpdk_oerrors", "Packets that failed to transmit (DPDK oerrors)."),
            Map.entry("dpdk_rx_nombuf", "Receive buffer allocation failures (DPDK rx_nombuf)."));

    private static final Map<String, String> WORKER_HELP = Map.ofEntries(
            Map.entry("rx_packets", "Packets the worker received, all ports."),
            Map.entry("rx_bytes", "Bytes the worker received, all ports."),
            Map.entry("tx_packets", "Packets the worker sent, all ports."),
            Map.entry("tx_bytes", "Bytes the worker sent, all ports."),
            Map.entry("tx_full", "Packets the worker dropped on a full transmit queue, all ports."),
            Map.entry("drops", "Packets the worker dropped, all reasons."),
            Map.entry("nat_translated", "Packets the worker translated."),
            Map.entry("handed_off", "Packets the worker handed to the worker that owns their NAT state."));

    private static final Set<String> DROP_NAMES = Set.of(java.util.Arrays.copyOf(Counters.EVENT_NAMES, Counters.DROP_REASONS));

    private final StringBuilder out = new StringBuilder(16 * 1024);

    private PrometheusText() {
    }

    public static String render(ControlService.Status status, ControlService.Stats stats) {
        PrometheusText t = new PrometheusText();
        t.write(status, stats);
        return t.out.toString();
    }

    private void write(ControlService.Status status, ControlService.Stats stats) {
        family("hairpin_info", "gauge", "The running appliance: its version.");
        sample("hairpin_info", Map.of("version", status.version()), 1);
        family("hairpin_uptime_seconds", "gauge", "Seconds since the appliance started.");
        sample("hairpin_uptime_seconds", Map.of(), status.uptimeSeconds());
        family("hairpin_snapshot_version", "gauge", "Version of the rule snapshot the workers run; apply increments it.");
        sample("hairpin_snapshot_version", Map.of(), status.snapshotVersion());
        family("hairpin_sessions", "gauge", "NAT sessions in the session tables.");
        sample("hairpin_sessions", Map.of(), stats.sessions());
        family("hairpin_sessions_capacity", "gauge",
                "NAT sessions the session state was built for: nat.max-sessions when NAT first needed it (0 before);"
                        + " a lower nat.max-sessions applied since holds sessions below it.");
        sample("hairpin_sessions_capacity", Map.of(), status.sessionCapacity());
        family("hairpin_workers", "gauge", "Poll-mode worker threads.");
        sample("hairpin_workers", Map.of(), status.workers());

        // Ports: label each device with the first interface on it.
        Map<String, String> portName = new HashMap<>();
        for (ControlService.InterfaceStatus i : status.interfaces()) {
            portName.putIfAbsent(EthPort.deviceName(i.device()), i.name());
        }
        family("hairpin_port_link_up", "gauge", "1 when the interface's link is up.");
        for (ControlService.InterfaceStatus i : status.interfaces()) {
            sample("hairpin_port_link_up", labels("port", i.name(), "device", EthPort.deviceName(i.device())),
                    i.linkUp() ? 1 : 0);
        }
        Map<String, Map<Map<String, String>, Long>> portFamilies = new LinkedHashMap<>();
        stats.ports().forEach((device, counters) -> counters.forEach((k, v) -> portFamilies
                .computeIfAbsent(k, x -> new LinkedHashMap<>())
                .put(labels("port", portName.getOrDefault(device, device), "device", device), v)));
        portFamilies.forEach((k, samples) -> {
            String name = "hairpin_port_" + metricName(k) + "_total";
            family(name, "counter", PORT_HELP.getOrDefault(k, "Port counter " + k + "."));
            samples.forEach((l, v) -> sample(name, l, v));
        });

        Map<String, Map<Map<String, String>, Long>> workerFamilies = new LinkedHashMap<>();
        List<Map<String, Long>> workers = stats.workers();
        for (int w = 0; w < workers.size(); w++) {
            Map<String, String> l = labels("worker", Integer.toString(w));
            workers.get(w).forEach((k, v) -> workerFamilies.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(l, v));
        }
        workerFamilies.forEach((k, samples) -> {
            String name = "hairpin_worker_" + metricName(k) + "_total";
            family(name, "counter", WORKER_HELP.getOrDefault(k, "Worker counter " + k + "."));
            samples.forEach((l, v) -> sample(name, l, v));
        });

        ruleFamily(stats, "hairpin_rule_packets_total", "counter", "Packets a NAT rule translated, both directions,"
                + " its sessions' and reflected packets included, since it came into force (all workers).",
                ControlService.RuleStats::packets);
        ruleFamily(stats, "hairpin_rule_bytes_total", "counter",
                "IP bytes (total length) of the packets a NAT rule translated.", ControlService.RuleStats::bytes);
        ruleFamily(stats, "hairpin_rule_sessions_total", "counter", "Sessions a NAT rule opened since it came into force.",
                ControlService.RuleStats::sessions);
        ruleFamily(stats, "hairpin_rule_sessions", "gauge", "Sessions a NAT rule opened that are open now.",
                ControlService.RuleStats::active);

        family("hairpin_drops_total", "counter", "Packets dropped, by reason (all workers).");
        stats.events().forEach((k, v) -> {
            if (DROP_NAMES.contains(k)) {
                sample("hairpin_drops_total", labels("reason", k), v);
            }
        });
        family("hairpin_events_total", "counter", "What the data plane did other than dropping, by event (all workers).");
        stats.events().forEach((k, v) -> {
            if (!DROP_NAMES.contains(k)) {
                sample("hairpin_events_total", labels("event", k), v);
            }
        });
    }

    /** A rule is labelled by its kind and number, as {@code hairpin rules} shows it, and its description. */
    private void ruleFamily(ControlService.Stats stats, String name, String type, String help,
                            java.util.function.ToLongFunction<ControlService.RuleStats> value) {
        family(name, type, help);
        for (ControlService.RuleStats r : stats.rules()) {
            sample(name, labels("kind", r.kind(), "rule", Integer.toString(r.number()), "description",
                    r.description() == null ? "" : r.description()), value.applyAsLong(r));
        }
    }

    private static Map<String, String> labels(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private void family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(String name, Map<String, String> labels, long value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, String> e : labels.entrySet()) {
                out.append(first ? "" : ",").append(e.getKey()).append("=\"").append(escapeLabel(e.getValue())).append('"');
                first = false;
            }
            out.append('}');
        }
        out.append(' ').append(value).append('\n');
    }

    /** A name part made of [a-zA-Z0-9_] only. */
    static String metricName(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        return b.toString();
    }

    static String escapeLabel(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
