package io.hairpin.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.appliance.ApplianceService;
import io.hairpin.control.appliance.HttpEndpoint;
import io.hairpin.control.persist.ConfigStore;
import io.hairpin.control.service.ControlService;
import io.hairpin.control.testing.StubService;
import io.hairpin.control.testing.TestAppliance;
import io.hairpin.engine.Engine;
import io.hairpin.engine.worker.Counters;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsServerTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** One scrape, parsed: samples by "name{labels}" as written, checked against the 0.0.4 grammar. */
    record Scrape(Map<String, Double> samples, Map<String, String> types) {
        double get(String series) {
            Double v = samples.get(series);
            assertNotNull(v, "no sample " + series + " in " + samples.keySet());
            return v;
        }

        long count(String family) {
            return samples.keySet().stream().filter(k -> k.equals(family) || k.startsWith(family + "{")).count();
        }
    }

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)");

    static Scrape parse(String text) {
        assertTrue(text.endsWith("\n"), "the exposition ends with a newline");
        Map<String, Double> samples = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        Set<String> helped = new HashSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                String name = line.substring(7).split(" ", 2)[0];
                assertTrue(NAME.matcher(name).matches(), line);
                assertTrue(helped.add(name), "HELP twice for " + name);
            } else if (line.startsWith("# TYPE ")) {
                String[] p = line.substring(7).split(" ");
                assertEquals(2, p.length, line);
                assertTrue(Set.of("counter", "gauge", "untyped", "summary", "histogram").contains(p[1]), line);
                assertTrue(types.put(p[0], p[1]) == null, "TYPE twice for " + p[0]);
                if (p[1].equals("counter")) {
                    assertTrue(p[0].endsWith("_total"), "a counter's name ends in _total: " + p[0]);
                }
            } else {
                Matcher m = SAMPLE.matcher(line);
                assertTrue(m.matches(), "not a sample line: '" + line + "'");
                String family = m.group(1);
                assertTrue(types.containsKey(family) && helped.contains(family), "sample before HELP/TYPE: " + line);
                String series = line.substring(0, line.lastIndexOf(' '));
                assertTrue(samples.put(series, Double.parseDouble(m.group(3))) == null, "duplicate series " + series);
            }
        }
        return new Scrape(samples, types);
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static StubService stub() {
        StubService s = new StubService();
        s.status = new ControlService.Status("hairpin \"0.1\"\\x\ny", 1, 77, 2, "/etc/hairpin.yaml", 3,
                List.of(new ControlService.InterfaceStatus("wan", "external", "net_af_packet0,iface=eth1",
                                List.of("203.0.113.1/24"), "02:00:00:00:00:01", true, 10000),
                        new ControlService.InterfaceStatus("lan", "internal", "0000:03:00.0", List.of("192.168.1.1/24"),
                                "02:00:00:00:00:02", false, 0),
                        new ControlService.InterfaceStatus("lan10", "internal", "0000:03:00.0", List.of("10.1.0.1/24"),
                                "02:00:00:00:00:02", false, 0)),
                12, 1000, null);
        Map<String, Map<String, Long>> ports = new LinkedHashMap<>();
        ports.put("net_af_packet0", Map.of("rx_packets", 5L, "tx_full", 1L, "dpdk_imissed", 9L));
        ports.put("0000:03:00.0", Map.of("rx_packets", 6L, "dpdk_ierrors", 2L));
        Map<String, Long> events = new LinkedHashMap<>();
        for (int e = 0; e < Counters.EVENT_COUNT; e++) {
            events.put(Counters.EVENT_NAMES[e], (long) e);
        }
        s.stats = new ControlService.Stats(ports, List.of(Map.of("rx_packets", 7L, "drops", 1L),
                Map.of("rx_packets", 4L, "drops", 0L)), events, 12,
                List.of(new ControlService.RuleStats("port-forward", 2, "web \"main\"", 10, 1500, 3, 2),
                        new ControlService.RuleStats("outbound", 1, "", 4, 400, 1, 0)));
        return s;
    }

    @Test
    void aScrapeIsValidTextFormatWithPortsWorkersDropsAndEvents() throws Exception {
        try (MetricsServer m = MetricsServer.start("127.0.0.1:0", stub())) {
            HttpResponse<String> r = get("http://127.0.0.1:" + m.address().getPort() + "/metrics");
            assertEquals(200, r.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
            Scrape s = parse(r.body());
            assertEquals(5, s.get("hairpin_port_rx_packets_total{port=\"wan\",device=\"net_af_packet0\"}"));
            assertEquals(6, s.get("hairpin_port_rx_packets_total{port=\"lan\",device=\"0000:03:00.0\"}"));
            assertEquals(1, s.get("hairpin_port_tx_full_total{port=\"wan\",device=\"net_af_packet0\"}"));
            assertEquals(9, s.get("hairpin_port_dpdk_imissed_total{port=\"wan\",device=\"net_af_packet0\"}"));
            assertEquals(2, s.get("hairpin_port_dpdk_ierrors_total{port=\"lan\",device=\"0000:03:00.0\"}"));
            assertEquals(1, s.get("hairpin_port_link_up{port=\"wan\",device=\"net_af_packet0\"}"));
            assertEquals(0, s.get("hairpin_port_link_up{port=\"lan10\",device=\"0000:03:00.0\"}"));
            assertEquals(7, s.get("hairpin_worker_rx_packets_total{worker=\"0\"}"));
            assertEquals(4, s.get("hairpin_worker_rx_packets_total{worker=\"1\"}"));
            assertEquals(Counters.DROP_REASONS, s.count("hairpin_drops_total"));
            assertEquals(Counters.EVENT_COUNT - Counters.DROP_REASONS, s.count("hairpin_events_total"));
            assertEquals(Counters.BAD_IP_CHECKSUM, s.get("hairpin_drops_total{reason=\"bad_ip_checksum\"}"));
            assertEquals(Counters.NAT_TRANSLATED, s.get("hairpin_events_total{event=\"nat_translated\"}"));
            assertEquals(12, s.get("hairpin_sessions"));
            assertEquals(1000, s.get("hairpin_sessions_capacity"), "for alerts on sessions / capacity");
            assertEquals("gauge", s.types().get("hairpin_sessions_capacity"));
            assertEquals(3, s.get("hairpin_snapshot_version"));
            assertEquals(77, s.get("hairpin_uptime_seconds"));
            assertEquals(1, s.get("hairpin_info{version=\"hairpin \\\"0.1\\\"\\\\x\\ny\"}"));
            assertEquals("counter", s.types().get("hairpin_drops_total"));
            assertEquals("gauge", s.types().get("hairpin_sessions"));
            assertEquals(10, s.get("hairpin_rule_packets_total{kind=\"port-forward\",rule=\"2\",description=\"web \\\"main\\\"\"}"));
            assertEquals(1500, s.get("hairpin_rule_bytes_total{kind=\"port-forward\",rule=\"2\",description=\"web \\\"main\\\"\"}"));
            assertEquals(1, s.get("hairpin_rule_sessions_total{kind=\"outbound\",rule=\"1\",description=\"\"}"));
            assertEquals("counter", s.types().get("hairpin_rule_packets_total"));
            assertEquals(2, s.get("hairpin_rule_sessions{kind=\"port-forward\",rule=\"2\",description=\"web \\\"main\\\"\"}"),
                    "the sessions open now");
            assertEquals(0, s.get("hairpin_rule_sessions{kind=\"outbound\",rule=\"1\",description=\"\"}"));
            assertEquals("gauge", s.types().get("hairpin_rule_sessions"));
        }
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        try (MetricsServer m = MetricsServer.start("127.0.0.1:0", stub())) {
            String base = "http://127.0.0.1:" + m.address().getPort();
            assertEquals(404, get(base + "/favicon.ico").statusCode());
            assertEquals(200, get(base + "/").statusCode());
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    @Test
    void aPortInUseOrAForeignAddressIsOneSentence() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            String endpoint = "127.0.0.1:" + taken.getLocalPort();
            HttpEndpoint.EndpointException e = assertThrows(HttpEndpoint.EndpointException.class,
                    () -> MetricsServer.start(endpoint, stub()));
            assertEquals("Cannot listen for metrics on " + endpoint + ": the address is already in use.", e.getMessage());
        }
        HttpEndpoint.EndpointException e = assertThrows(HttpEndpoint.EndpointException.class,
                () -> MetricsServer.start("192.0.2.77:9100", stub()));
        assertEquals("Cannot listen for metrics on 192.0.2.77:9100: 192.0.2.77 is not an address of this host.",
                e.getMessage());
    }

    @Test
    void aScrapeOfTheRunningEngineHasEveryDropReason() throws Exception {
        TestAppliance.Started started = TestAppliance.start(dir.resolve("hairpin.yaml"),
                TestAppliance.interfaces(dir) + TestAppliance.NAT);
        Engine engine = started.engine();
        try (MetricsServer m = MetricsServer.start("127.0.0.1:0",
                new ApplianceService(engine, started.config(), new ConfigStore(dir.resolve("hairpin.yaml")), "hairpin t"))) {
            Scrape s = parse(get("http://127.0.0.1:" + m.address().getPort() + "/metrics").body());
            assertEquals(Counters.DROP_REASONS, s.count("hairpin_drops_total"));
            assertEquals(engine.snapshot().version, (long) s.get("hairpin_snapshot_version"));
            assertEquals(3, s.count("hairpin_port_rx_packets_total"));
            assertEquals(3, s.count("hairpin_port_dpdk_imissed_total"));
            assertTrue(s.samples().keySet().stream().anyMatch(k -> k.startsWith("hairpin_port_rx_packets_total{port=\"wan\"")));
            assertEquals(1, s.count("hairpin_worker_rx_packets_total"));
            assertFalse(s.samples().isEmpty());
        } finally {
            engine.close();
        }
    }
}
