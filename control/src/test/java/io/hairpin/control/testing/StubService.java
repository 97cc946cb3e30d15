package io.hairpin.control.testing;

import io.hairpin.control.service.ControlService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A ControlService with fixed answers; override what a test needs. */
public class StubService implements ControlService {
    public Status status;
    public Stats stats;
    public Map<String, String> publicAddresses = Map.of();

    @Override
    public Status status() {
        return status;
    }

    @Override
    public Stats stats() {
        return stats;
    }

    @Override
    public Rules rules() {
        return new Rules("/etc/hairpin.yaml", 1, "");
    }

    @Override
    public List<Session> sessions(SessionFilter filter, int limit) {
        return List.of();
    }

    @Override
    public int flushSessions(SessionFilter filter) {
        return 0;
    }

    @Override
    public ApplyResult apply(Path config) {
        return new ApplyResult(false, 1, List.of("stub"), List.of());
    }

    @Override
    public List<TraceRecord> trace(int n, long timeoutMillis) {
        return List.of();
    }

    @Override
    public String publicAddressOf(String host) {
        return publicAddresses.get(host);
    }

    @Override
    public List<String> cpnat(String host) {
        String pub = publicAddresses.get(host);
        return pub == null ? List.of() : List.of(host + " " + pub);
    }
}
