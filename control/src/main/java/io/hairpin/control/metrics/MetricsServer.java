package io.hairpin.control.metrics;

import io.hairpin.control.appliance.HttpEndpoint;
import io.hairpin.control.service.ControlService;
import java.net.InetSocketAddress;

/**
 * The Prometheus endpoint ({@code control.metrics}): GET /metrics (or /) answers the appliance's
 * counters in the text format; every scrape reads them afresh, nothing is cached.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpEndpoint endpoint;

    private MetricsServer(HttpEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * @param endpoint {@code address:port}
     * @throws HttpEndpoint.EndpointException when it cannot listen there (one sentence)
     */
    public static MetricsServer start(String endpoint, ControlService service) throws HttpEndpoint.EndpointException {
        return new MetricsServer(HttpEndpoint.start("metrics", endpoint, (path, remote) -> {
            if (!path.equals("/metrics") && !path.equals("/")) {
                return HttpEndpoint.Response.text(404, "Not found: the metrics are at /metrics.\n");
            }
            return new HttpEndpoint.Response(200, PrometheusText.CONTENT_TYPE,
                    PrometheusText.render(service.status(), service.stats()));
        }));
    }

    public InetSocketAddress address() {
        return endpoint.address();
    }

    @Override
    public void close() {
        endpoint.close();
    }
}
