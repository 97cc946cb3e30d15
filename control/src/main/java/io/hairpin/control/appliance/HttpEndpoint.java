package io.hairpin.control.appliance;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP server on a configured {@code address:port} (the metrics endpoint, the myip
 * responder): GET and HEAD only, stopped by {@link #close}. Binding failures are reported as one
 * sentence.
 *
 * <p>The myip responder faces the LAN, so any host there may be a slow or hostile client. The JDK
 * server reads a request on the thread that serves it: with a pool of two threads, two clients
 * that sent half a request line and waited held up every other request for good. Each
 * exchange therefore gets a virtual thread of its own, and unless the operator set them, the JDK
 * server's documented limits bound what a client can hold: a request must arrive within
 * {@value #REQUEST_SECONDS} s and a response be taken within as long, an idle connection is closed
 * after {@value #IDLE_SECONDS} s, and an endpoint keeps at most {@value #MAX_CONNECTIONS}
 * connections (it closes further ones at once), so that clients cannot use up the process's file
 * descriptors. The JDK reads these once, before its first server: hence here.
 */
public final class HttpEndpoint implements AutoCloseable {
    static final int REQUEST_SECONDS = 5;
    static final int IDLE_SECONDS = 10;
    static final int MAX_CONNECTIONS = 256;
    /** Connections waiting to be accepted: a burst beyond it waits out a SYN retry (a second). */
    private static final int BACKLOG = 64;

    static {
        setIfAbsent("sun.net.httpserver.maxReqTime", REQUEST_SECONDS);
        setIfAbsent("sun.net.httpserver.maxRspTime", REQUEST_SECONDS);
        setIfAbsent("sun.net.httpserver.idleInterval", IDLE_SECONDS);
        setIfAbsent("jdk.httpserver.maxConnections", MAX_CONNECTIONS);
    }

    private static void setIfAbsent(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** A response: status, content type and body (empty for none). */
    public record Response(int status, String contentType, String body) {
        public static Response text(int status, String body) {
            return new Response(status, "text/plain; charset=utf-8", body);
        }
    }

    /** Answers a GET for a path; called on the endpoint's threads. */
    @FunctionalInterface
    public interface Handler {
        Response get(String path, InetSocketAddress remote);
    }

    /**
     * Starts serving.
     *
     * @param what     what the endpoint is, for messages ("metrics", "the myip responder")
     * @param endpoint {@code address:port} as the config writes it (port 0 picks a free port)
     * @throws EndpointException naming the endpoint and the reason in one sentence
     */
    public static HttpEndpoint start(String what, String endpoint, Handler handler) throws EndpointException {
        return start(what, endpoint, null, handler);
    }

    /**
     * @param notLocalHint said after "... is not an address of this host" (null for nothing): where
     *                     the address should come from
     */
    public static HttpEndpoint start(String what, String endpoint, String notLocalHint, Handler handler)
            throws EndpointException {
        int colon = endpoint.lastIndexOf(':');
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(InetAddress.getByName(endpoint.substring(0, colon)),
                    Integer.parseInt(endpoint.substring(colon + 1)));
        } catch (IOException | RuntimeException e) {
            throw new EndpointException("Cannot listen for " + what + " on '" + endpoint + "': expected address:port.");
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, BACKLOG);
        } catch (IOException e) {
            String why = reason(e, address);
            if (notLocalHint != null && why.endsWith("is not an address of this host")) {
                why += "; " + notLocalHint;
            }
            throw new EndpointException("Cannot listen for " + what + " on " + endpoint + ": " + why + ".");
        }
        ExecutorService executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("hairpin-http-" + what.replace(' ', '-') + "-", 0).factory());
        server.setExecutor(executor);
        server.createContext("/", exchange -> serve(exchange, handler));
        server.start();
        return new HttpEndpoint(server, executor);
    }

    private static String reason(IOException e, InetSocketAddress address) {
        String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        if (m.contains("already in use")) {
            return "the address is already in use";
        }
        if (m.contains("cannot assign requested address")) {
            return address.getAddress().getHostAddress() + " is not an address of this host";
        }
        if (m.contains("permission denied")) {
            return address.getPort() < 1024 ? "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)"
                    : "permission denied";
        }
        if (e instanceof BindException || e instanceof SocketException) {
            return m.isEmpty() ? e.getClass().getSimpleName() : m;
        }
        return m.isEmpty() ? e.toString() : m;
    }

    private static void serve(HttpExchange exchange, Handler handler) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            Response r;
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                r = Response.text(405, "Only GET is supported.\n");
            } else {
                try {
                    r = handler.get(exchange.getRequestURI().getPath(), exchange.getRemoteAddress());
                } catch (RuntimeException e) {
                    r = Response.text(500, "hairpin: " + (e.getMessage() == null ? e.toString() : e.getMessage()) + "\n");
                }
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", r.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = method.equals("HEAD");
            exchange.sendResponseHeaders(r.status(), head || body.length == 0 ? -1 : body.length);
            if (!head && body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** Where the endpoint listens (the actual port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops listening at once and ends the endpoint's threads. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The endpoint could not be started; the message is one sentence. */
    @SuppressWarnings("serial")
    public static final class EndpointException extends Exception {
        public EndpointException(String message) {
            super(message);
        }
    }
}
