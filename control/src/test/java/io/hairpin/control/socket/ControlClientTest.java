package io.hairpin.control.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.control.socket.ControlException.Kind;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against servers that do not speak the protocol, or do not answer. */
class ControlClientTest {

    @TempDir
    Path dir;

    /** A server that reads one line and answers whatever {@code answer} makes of it (null: nothing, then hang up). */
    private Path serve(Function<String, String> answer, long holdMillis) throws IOException {
        Path socket = dir.resolve("odd.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofPlatform().daemon(true).start(() -> {
            try (server; SocketChannel ch = server.accept()) {
                ByteBuffer b = ByteBuffer.allocate(4096);
                StringBuilder line = new StringBuilder();
                while (line.indexOf("\n") < 0 && ch.read(b.clear()) > 0) {
                    line.append(StandardCharsets.UTF_8.decode(b.flip()));
                }
                Thread.sleep(holdMillis);
                String a = answer.apply(line.toString().strip());
                if (a != null) {
                    ch.write(ByteBuffer.wrap(a.getBytes(StandardCharsets.UTF_8)));
                }
            } catch (IOException | InterruptedException ignored) {
                // the test is over
            }
        });
        return socket;
    }

    private ControlException failure(Path socket, Duration timeout) {
        return assertThrows(ControlException.class, () -> new ControlClient(socket).call("status", Map.of(), timeout));
    }

    @Test
    void anAnswerThatIsNotJsonIsAProtocolError() throws IOException {
        Path s = serve(req -> "HTTP/1.0 400 Bad Request\n", 0);
        ControlException e = failure(s, Duration.ofSeconds(5));
        assertEquals(Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().startsWith("the control socket at " + s + " does not speak this protocol: invalid JSON"),
                e.getMessage());
    }

    @Test
    void anAnswerForAnotherIdIsAProtocolError() throws IOException {
        Path s = serve(req -> "{\"id\":-5,\"ok\":true,\"result\":{}}\n", 0);
        ControlException e = failure(s, Duration.ofSeconds(5));
        assertEquals(Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().matches(".*does not speak this protocol: the answer is for id -5, not \\d+"),
                e.getMessage());
    }

    @Test
    void aResultOfTheWrongShapeIsAProtocolError() throws IOException {
        Path s = serve(req -> {
            Object id = Json.parseObject(req).get("id");
            return "{\"id\":" + id + ",\"ok\":true,\"result\":{\"pid\":\"many\"}}\n";
        }, 0);
        ControlException e = assertThrows(ControlException.class, () -> new ControlClient(s).status());
        assertEquals(Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().endsWith("does not speak this protocol: pid must be an integer, not a string"),
                e.getMessage());
    }

    @Test
    void aServerThatHangsUpIsAProtocolError() throws IOException {
        Path s = serve(req -> null, 0);
        ControlException e = failure(s, Duration.ofSeconds(5));
        assertEquals(Kind.PROTOCOL, e.kind());
        assertEquals("the appliance closed the connection without answering status", e.getMessage());
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIsGivenUpOn() throws IOException {
        Path s = serve(req -> "{}\n", 3000);
        long t0 = System.nanoTime();
        ControlException e = failure(s, Duration.ofMillis(300));
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "gave up at the timeout");
        assertEquals(Kind.PROTOCOL, e.kind());
        assertEquals("the appliance did not answer status within 0.3 s", e.getMessage());
    }

    @Test
    void errorCodesMapToKindsAndExitCodes() throws IOException {
        Path s = serve(req -> "{\"id\":null,\"ok\":false,\"code\":\"bad-request\",\"error\":\"limit must be...\"}\n", 0);
        ControlException e = failure(s, Duration.ofSeconds(5));
        assertEquals(Kind.BAD_REQUEST, e.kind());
        assertEquals(2, e.exitCode());
        assertEquals("limit must be...", e.getMessage());
        dir.resolve("odd.sock").toFile().delete();
        s = serve(req -> "{\"id\":null,\"ok\":false,\"code\":\"denied\",\"error\":\"no\"}\n", 0);
        e = failure(s, Duration.ofSeconds(5));
        assertEquals(Kind.DENIED, e.kind());
        assertEquals(1, e.exitCode());
        assertEquals("permission denied on " + s + ": run as root or as a member of group hairpin", e.getMessage());
    }
}
