package io.hairpin.control.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Slow and greedy clients of the HTTP endpoints (the myip responder faces the LAN): they hold up
 * no other client's request, and what they hold is given back.
 */
class HttpEndpointTest {
    private static HttpEndpoint start() throws HttpEndpoint.EndpointException {
        return HttpEndpoint.start("test", "127.0.0.1:0", (path, remote) -> HttpEndpoint.Response.text(200, "ok\n"));
    }

    /** Opens a connection and sends the start of a request line, never its end. */
    private static Socket halfRequest(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write("GET /my".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    /** The status line of a whole GET, waiting at most timeoutMillis for it. */
    private static String get(int port, int timeoutMillis) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write("GET /x HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder line = new StringBuilder();
            InputStream in = s.getInputStream();
            for (int c; (c = in.read()) != -1 && c != '\r'; ) {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    /** Whether the server has closed the connection; waits at most timeoutMillis for it to. */
    private static boolean closedByServer(Socket s, int timeoutMillis) throws IOException {
        s.setSoTimeout(timeoutMillis);
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    @Test
    void clientsThatSendHalfARequestHoldUpNoOtherRequest() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try (HttpEndpoint e = start()) {
            int port = e.address().getPort();
            for (int i = 0; i < 20; i++) {
                slow.add(halfRequest(port));
            }
            Thread.sleep(200); // the server has started reading them
            // answered before the slow ones could have been closed for taking too long
            assertEquals("HTTP/1.1 200 OK", get(port, (HttpEndpoint.REQUEST_SECONDS - 1) * 1000));
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void aRequestThatDoesNotArriveInTimeHasItsConnectionClosed() throws Exception {
        try (HttpEndpoint e = start(); Socket slow = halfRequest(e.address().getPort())) {
            // the JDK server's timer looks once a second
            assertTrue(closedByServer(slow, (HttpEndpoint.REQUEST_SECONDS + 5) * 1000),
                    "a request not sent within " + HttpEndpoint.REQUEST_SECONDS + " s is given up");
            assertEquals("HTTP/1.1 200 OK", get(e.address().getPort(), 5000));
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
        List<Socket> held = new ArrayList<>();
        int extra = 30;
        try (HttpEndpoint e = start()) {
            int port = e.address().getPort();
            for (int i = 0; i < HttpEndpoint.MAX_CONNECTIONS + extra; i++) {
                held.add(halfRequest(port));
            }
            Thread.sleep(500);
            int closed = 0;
            for (Socket s : held) {
                if (closedByServer(s, 1)) {
                    closed++;
                }
            }
            assertTrue(closed >= extra && closed < HttpEndpoint.MAX_CONNECTIONS,
                    closed + " of " + held.size() + " connections closed at once; the limit is " + HttpEndpoint.MAX_CONNECTIONS);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
