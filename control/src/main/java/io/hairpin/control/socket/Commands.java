package io.hairpin.control.socket;

import io.hairpin.control.config.Ipv4;
import io.hairpin.control.service.ControlService;
import io.hairpin.control.service.ControlService.InterfaceStatus;
import io.hairpin.control.service.ControlService.SessionFilter;
import io.hairpin.control.service.ControlService.Status;
import io.hairpin.control.socket.Wire.WireException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The protocol's commands: each request object is checked (a {@link WireException} is a bad request,
 * answered before the service is touched) and turned into a call on the {@link ControlService} whose
 * result is the response's {@code result} object.
 */
final class Commands {

    static final int DEFAULT_SESSION_LIMIT = 1000;
    static final int MAX_SESSION_LIMIT = 100_000;
    static final int MAX_TRACE_PACKETS = 10_000;
    static final double DEFAULT_TRACE_TIMEOUT_SECONDS = 10;
    static final double MAX_TRACE_TIMEOUT_SECONDS = 3600;

    static final List<String> NAMES = List.of("status", "stats", "rules", "sessions", "flush", "apply", "trace",
            "myip", "cpnat");

    private final ControlService service;

    Commands(ControlService service) {
        this.service = Objects.requireNonNull(service, "service");
    }

    /**
     * Checks a request and returns the call that answers it.
     *
     * @throws WireException if the request is malformed (unknown cmd, missing or mistyped field)
     */
    Supplier<Map<String, Object>> prepare(Map<String, Object> request) {
        Object cmdValue = request.get("cmd");
        if (cmdValue == null) {
            throw new WireException("the request has no \"cmd\"");
        }
        if (!(cmdValue instanceof String cmd)) {
            throw new WireException("cmd must be a string, not " + Json.typeName(cmdValue));
        }
        switch (cmd) {
            case "status" -> {
                fields(request, cmd);
                return () -> Wire.status(notNull(service.status(), cmd));
            }
            case "stats" -> {
                fields(request, cmd);
                return () -> Wire.stats(notNull(service.stats(), cmd));
            }
            case "rules" -> {
                fields(request, cmd);
                return () -> Wire.rules(notNull(service.rules(), cmd));
            }
            case "sessions" -> {
                fields(request, cmd, "address", "protocol", "limit");
                SessionFilter filter = filter(request);
                int limit = request.containsKey("limit") ? (int) range(request, "limit", 1, MAX_SESSION_LIMIT)
                        : DEFAULT_SESSION_LIMIT;
                return () -> Wire.sessions(notNull(service.sessions(filter, limit), cmd), limit);
            }
            case "flush" -> {
                fields(request, cmd, "address", "protocol");
                SessionFilter filter = filter(request);
                return () -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("flushed", service.flushSessions(filter));
                    return m;
                };
            }
            case "apply" -> {
                fields(request, cmd, "path");
                String path = Wire.str(request, "path");
                if (path == null || path.isEmpty()) {
                    throw new WireException("apply needs \"path\", the config file to apply");
                }
                if (path.indexOf('\0') >= 0 || !path.startsWith("/")) {
                    throw new WireException("path must be an absolute file name, not \"" + path + "\"");
                }
                return () -> Wire.applyResult(notNull(service.apply(Path.of(path)), cmd));
            }
            case "trace" -> {
                fields(request, cmd, "n", "timeout");
                if (!request.containsKey("n")) {
                    throw new WireException("trace needs \"n\", the number of packets to show");
                }
                int n = (int) range(request, "n", 1, MAX_TRACE_PACKETS);
                double timeout = DEFAULT_TRACE_TIMEOUT_SECONDS;
                if (request.containsKey("timeout")) {
                    Object t = request.get("timeout");
                    if (!(t instanceof Number num) || !(num.doubleValue() > 0)
                            || num.doubleValue() > MAX_TRACE_TIMEOUT_SECONDS) {
                        throw new WireException("timeout must be a number of seconds above 0 and at most "
                                + (long) MAX_TRACE_TIMEOUT_SECONDS + ", not " + brief(t));
                    }
                    timeout = num.doubleValue();
                }
                long millis = Math.max(1, Math.round(timeout * 1000));
                return () -> Wire.trace(notNull(service.trace(n, millis), cmd));
            }
            case "myip" -> {
                fields(request, cmd, "host");
                String host = address(request, "host");
                return () -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("host", host);
                    m.put("public", host != null ? service.publicAddressOf(host) : ownPublicAddress());
                    return m;
                };
            }
            case "cpnat" -> {
                fields(request, cmd, "host");
                String host = address(request, "host");
                if (host == null) {
                    throw new WireException("cpnat needs \"host\", the address of the server behind the NAT");
                }
                return () -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("host", host);
                    m.put("lines", notNull(service.cpnat(host), cmd));
                    return m;
                };
            }
            default -> throw new WireException("unknown cmd \"" + cmd + "\"; the commands are "
                    + String.join(", ", NAMES));
        }
    }

    /** The appliance's own public address: the first address of its first external interface, or null. */
    private String ownPublicAddress() {
        Status s = notNull(service.status(), "myip");
        for (InterfaceStatus i : s.interfaces() == null ? List.<InterfaceStatus>of() : s.interfaces()) {
            if ("external".equals(i.role()) && i.addresses() != null && !i.addresses().isEmpty()) {
                String a = i.addresses().get(0);
                int slash = a.indexOf('/');
                return slash < 0 ? a : a.substring(0, slash);
            }
        }
        return null;
    }

    private static void fields(Map<String, Object> request, String cmd, String... args) {
        List<String> allowed = new ArrayList<>(List.of("id", "cmd"));
        allowed.addAll(List.of(args));
        Wire.onlyFields(request, Set.copyOf(allowed), cmd);
    }

    private static SessionFilter filter(Map<String, Object> request) {
        String address = address(request, "address");
        String protocol = Wire.str(request, "protocol");
        return new SessionFilter(address, protocol == null ? 0 : Wire.protocolNumber(protocol));
    }

    private static String address(Map<String, Object> request, String key) {
        String a = Wire.str(request, key);
        if (a != null && !Ipv4.isValid(a)) {
            throw new WireException(key + " must be an IPv4 address, not \"" + a + "\"");
        }
        return a;
    }

    private static long range(Map<String, Object> request, String key, long min, long max) {
        Object v = request.get(key);
        if (!(v instanceof Long l) || l < min || l > max) {
            throw new WireException(key + " must be an integer from " + min + " to " + max + ", not " + brief(v));
        }
        return l;
    }

    /** A value as it appears in an error message: short, one line. */
    private static String brief(Object v) {
        String json = v instanceof Number || v instanceof Boolean || v == null ? Json.write(v) : Json.typeName(v);
        return json.length() > 40 ? json.substring(0, 40) + "..." : json;
    }

    private static <T> T notNull(T value, String cmd) {
        if (value == null) {
            throw new IllegalStateException("the appliance returned nothing for " + cmd);
        }
        return value;
    }
}
