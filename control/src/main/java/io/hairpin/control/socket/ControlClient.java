package io.hairpin.control.socket;

import io.hairpin.control.service.ControlService;
import io.hairpin.control.socket.ControlException.Kind;
import io.hairpin.control.socket.Json.JsonException;
import io.hairpin.control.socket.Wire.WireException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of the control socket: one connection per call, one request line, one answer line.
 * It is a {@link ControlService} too, so a caller may use the appliance's records directly; {@link #call}
 * gives the raw result object (what {@code --json} prints).
 *
 * <p>Every failure is a {@link ControlException} whose message is one sentence for the operator.
 */
public final class ControlClient implements ControlService {

    /** How long a call may take (apply validates and swaps the rules; trace adds its own timeout). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final int MAX_ANSWER_BYTES = 256 << 20;
    private static final AtomicLong IDS = new AtomicLong();
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hairpin-client-timer");
        t.setDaemon(true);
        return t;
    });

    private final Path socket;

    public ControlClient(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /** Sends {@code {"id":..,"cmd":cmd, ...args}} and returns the answer's result object. */
    public Map<String, Object> call(String cmd, Map<String, ?> args) {
        return call(cmd, args, DEFAULT_TIMEOUT);
    }

    public Map<String, Object> call(String cmd, Map<String, ?> args, Duration timeout) {
        long id = IDS.incrementAndGet();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("id", id);
        request.put("cmd", cmd);
        args.forEach(request::put);
        byte[] line = (Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8);

        SocketChannel ch = connect();
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> watchdog = TIMER.schedule(() -> {
            timedOut.set(true);
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        String answer;
        try (ch) {
            try {
                ByteBuffer b = ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException e) {
                if (timedOut.get()) {
                    throw e;
                }
                // The server may have refused us (denied, busy) and closed before reading: its line is still there to read.
            }
            answer = readLine(ch);
        } catch (IOException e) {
            if (timedOut.get()) {
                long ms = timeout.toMillis();
                throw new ControlException(Kind.PROTOCOL, "the appliance did not answer " + cmd + " within "
                        + (ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0)) + " s", e);
            }
            throw new ControlException(Kind.PROTOCOL, "the connection to the appliance broke during " + cmd + ": "
                    + e.getMessage(), e);
        } finally {
            watchdog.cancel(false);
        }
        if (answer == null) {
            throw new ControlException(Kind.PROTOCOL, "the appliance closed the connection without answering " + cmd);
        }
        return result(answer, id, cmd);
    }

    private Map<String, Object> result(String answer, long id, String cmd) {
        try {
            Map<String, Object> response = Json.parseObject(answer);
            Object ok = response.get("ok");
            if (!(ok instanceof Boolean)) {
                throw new WireException("the answer has no \"ok\"");
            }
            if (!(Boolean) ok) {
                String code = Wire.str(response, "code");
                String error = Wire.str(response, "error");
                if ("denied".equals(code)) {
                    throw denied();
                }
                throw new ControlException("bad-request".equals(code) ? Kind.BAD_REQUEST : Kind.FAILED,
                        error == null || error.isBlank() ? cmd + " failed" : error);
            }
            if (!Long.valueOf(id).equals(response.get("id"))) {
                throw new WireException("the answer is for id " + Json.write(response.get("id")) + ", not " + id);
            }
            Map<String, Object> result = Wire.object(response, "result");
            if (result == null) {
                throw new WireException("the answer has no \"result\"");
            }
            return result;
        } catch (JsonException | WireException e) {
            throw new ControlException(Kind.PROTOCOL, "the control socket at " + socket
                    + " does not speak this protocol: " + e.getMessage(), e);
        }
    }

    private SocketChannel connect() {
        try {
            Files.readAttributes(socket, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw notRunning();
        } catch (AccessDeniedException e) {
            throw denied();
        } catch (IOException e) {
            // let connect say what is wrong
        }
        try {
            return SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (ConnectException e) {
            throw notRunning(); // a socket file that nothing listens on: the appliance died or was stopped
        } catch (SocketException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Permission denied")) {
                throw denied();
            }
            if (m.contains("No such file")) {
                throw notRunning();
            }
            throw new ControlException(Kind.PROTOCOL, "cannot connect to the control socket at " + socket + ": " + m, e);
        } catch (IOException | IllegalArgumentException e) {
            throw new ControlException(Kind.PROTOCOL, "cannot connect to the control socket at " + socket + ": "
                    + e.getMessage(), e);
        }
    }

    private ControlException notRunning() {
        return new ControlException(Kind.NOT_RUNNING, "the appliance is not running (no control socket at " + socket + ")");
    }

    private ControlException denied() {
        return new ControlException(Kind.DENIED, "permission denied on " + socket + ": run as root or as a member of group "
                + ControlServer.GROUP);
    }

    /** One line (without the newline), or null when the server closed first. */
    private static String readLine(SocketChannel ch) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        while (true) {
            b.clear();
            if (ch.read(b) < 0) {
                return null;
            }
            b.flip();
            for (int i = b.position(); i < b.limit(); i++) {
                if (b.get(i) == '\n') {
                    line.write(b.array(), b.position(), i - b.position());
                    return line.toString(StandardCharsets.UTF_8);
                }
            }
            line.write(b.array(), b.position(), b.remaining());
            if (line.size() > MAX_ANSWER_BYTES) {
                throw new IOException("the answer is longer than " + (MAX_ANSWER_BYTES >> 20) + " MiB");
            }
        }
    }

    // ------------------------------------------------------------------ ControlService over the socket

    /** The request arguments of a session filter (and limit, when not null). */
    public static Map<String, Object> sessionArgs(SessionFilter filter, Integer limit) {
        Map<String, Object> args = new LinkedHashMap<>();
        if (filter.address() != null) {
            args.put("address", filter.address());
        }
        if (filter.protocol() != 0) {
            args.put("protocol", Wire.protocolName(filter.protocol()));
        }
        if (limit != null) {
            args.put("limit", limit);
        }
        return args;
    }

    /** The request arguments of a trace: n, and the timeout in seconds. */
    public static Map<String, Object> traceArgs(int n, long timeoutMillis) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("n", n);
        args.put("timeout", timeoutMillis / 1000.0);
        return args;
    }

    /** How long to wait for a trace's answer: its own timeout, plus the usual allowance. */
    public static Duration traceDeadline(long timeoutMillis) {
        return DEFAULT_TIMEOUT.plusMillis(timeoutMillis);
    }

    @Override
    public Status status() {
        return decode(() -> Wire.status(call("status", Map.of())));
    }

    @Override
    public Stats stats() {
        return decode(() -> Wire.stats(call("stats", Map.of())));
    }

    @Override
    public Rules rules() {
        return decode(() -> Wire.rules(call("rules", Map.of())));
    }

    @Override
    public List<Session> sessions(SessionFilter filter, int limit) {
        return decode(() -> Wire.sessions(call("sessions", sessionArgs(filter, limit))));
    }

    @Override
    public int flushSessions(SessionFilter filter) {
        return decode(() -> Wire.integer(call("flush", sessionArgs(filter, null)), "flushed"));
    }

    @Override
    public ApplyResult apply(Path config) {
        return decode(() -> Wire.applyResult(call("apply", Map.of("path", config.toAbsolutePath().toString()))));
    }

    @Override
    public List<TraceRecord> trace(int n, long timeoutMillis) {
        return decode(() -> Wire.trace(call("trace", traceArgs(n, timeoutMillis), traceDeadline(timeoutMillis))));
    }

    @Override
    public String publicAddressOf(String host) {
        Map<String, Object> args = host == null ? Map.of() : Map.of("host", host);
        return decode(() -> Wire.str(call("myip", args), "public"));
    }

    @Override
    public List<String> cpnat(String host) {
        return decode(() -> {
            List<String> lines = Wire.strings(call("cpnat", Map.of("host", host)), "lines");
            return lines == null ? List.of() : lines;
        });
    }

    private <T> T decode(java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (WireException e) {
            throw new ControlException(Kind.PROTOCOL, "the control socket at " + socket
                    + " does not speak this protocol: " + e.getMessage(), e);
        }
    }
}
