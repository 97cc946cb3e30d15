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
 * responder): a couple of daemon threads, GET and HEAD only, stopped by {@link #close}. Binding
 * failures are reported as one sentence.
 */
public final class HttpEndpoint implements AutoCloseable {
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
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            String why = reason(e, address);
            if (notLocalHint != null && why.endsWith("is not an address of this host")) {
                why += "; " + notLocalHint;
            }
            throw new EndpointException("Cannot listen for " + what + " on " + endpoint + ": " + why + ".");
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "hairpin-http-" + what.replace(' ', '-'));
            t.setDaemon(true);
            return t;
        });
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
