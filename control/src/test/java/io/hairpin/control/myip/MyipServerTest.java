package io.hairpin.control.myip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.appliance.HttpEndpoint;
import io.hairpin.control.testing.StubService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MyipServerTest {

    /** An HTTP/1.0 GET sent from a chosen local address, so the responder sees that host asking. */
    static String get(String from, InetSocketAddress server, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(server, 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: appliance\r\nUser-Agent: curl/8\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void eachHostIsToldItsOwnPublicAddress() throws Exception {
        StubService service = new StubService();
        service.publicAddresses = Map.of("127.0.0.2", "203.0.113.20", "127.0.0.4", "203.0.113.1");
        try (MyipServer m = MyipServer.start("127.0.0.1:0", service)) {
            String r = get("127.0.0.2", m.address(), "/myip");
            assertTrue(r.startsWith("HTTP/1.1 200"), r);
            assertTrue(r.toLowerCase().contains("content-type: text/plain; charset=utf-8"), r);
            assertEquals("203.0.113.20\n", body(r));
            assertEquals("203.0.113.1\n", body(get("127.0.0.4", m.address(), "/")));
            // Not translated: it is seen as itself.
            assertEquals("127.0.0.3\n", body(get("127.0.0.3", m.address(), "/myip")));
            assertTrue(get("127.0.0.2", m.address(), "/other").startsWith("HTTP/1.1 404"));
        }
    }

    @Test
    void anAddressTheHostDoesNotHaveSaysWhereItShouldComeFrom() {
        HttpEndpoint.EndpointException e = assertThrows(HttpEndpoint.EndpointException.class,
                () -> MyipServer.start("192.0.2.77:8080", new StubService()));
        assertEquals("Cannot listen for the myip responder on 192.0.2.77:8080: 192.0.2.77 is not an address of this"
                + " host; it must be an internal address of the appliance, which exists once the exception path"
                + " (exception-path: true) gives the interface its TAP.", e.getMessage());
    }
}
