package io.hairpin.control.socket;

import io.hairpin.control.service.ControlService;
import io.hairpin.control.socket.Json.JsonException;
import io.hairpin.control.socket.Wire.WireException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The appliance's control socket: a UNIX stream socket that speaks line-delimited JSON and answers
 * from a {@link ControlService}.
 *
 * <p>Each line a client sends is one request object, {@code {"id":1,"cmd":"status", ...arguments}};
 * each gets exactly one line back, in order: {@code {"id":1,"ok":true,"result":{...}}} or
 * {@code {"id":1,"ok":false,"code":"...","error":"one sentence"}}. The id is echoed as sent (null when
 * the line was not a JSON object). The commands and their shapes are in {@link Commands} and
 * {@link Wire}; the error codes are {@code bad-request} (the request is at fault), {@code failed} (the
 * appliance could not do it), and, each followed by the server closing the connection, {@code denied},
 * {@code busy}, {@code too-long} and {@code timeout}.
 *
 * <p>Who may connect: the socket file is mode 0660, owner root, group {@code hairpin}; and each peer's
 * credentials are checked again by {@link PeerPolicy} (root, or a member of the group). Every client
 * gets its own thread; at most {@link Settings#maxClients()} are served at once (others are
 * told {@code busy}), a request line is at most {@link Settings#maxLineBytes()} bytes, and a client
 * must send each whole request line within {@link Settings#idleTimeout()} of connecting or of its
 * previous answer, and must read an answer without stalling that long. Nothing a client sends or fails
 * to send stops the server from serving the others.
 *
 * <p>{@link #close()} stops it: the socket is closed, connections are dropped and the socket file is
 * removed (unless another process has replaced it meanwhile).
 */
public final class ControlServer implements AutoCloseable {

    /** The group whose members may use the socket besides root. */
    public static final String GROUP = "hairpin";

    /**
     * @param group       the group let in besides root (and given the socket file)
     * @param idleTimeout how long a client may take to send a whole request line, or stall reading an answer
     * @param maxLineBytes the longest request line (bytes, without the newline); longer closes the connection
     * @param maxClients  how many clients are served at once
     * @param log         where the server's operator-facing lines go (one line each)
     */
    public record Settings(String group, Duration idleTimeout, int maxLineBytes, int maxClients, Consumer<String> log) {
        public Settings {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(log, "log");
            if (idleTimeout.isNegative() || idleTimeout.isZero() || maxLineBytes < 64 || maxClients < 1) {
                throw new IllegalArgumentException("need idleTimeout > 0, maxLineBytes >= 64 and maxClients >= 1");
            }
        }

        /** Group hairpin, 10 s, 64 KiB, 32 clients, log lines to stdout (the appliance logs to stdout). */
        public static Settings defaults() {
            return new Settings(GROUP, Duration.ofSeconds(10), 64 * 1024, 32, line -> {
                System.out.println(line);
                System.out.flush();
            });
        }

        public Settings withGroup(String g) {
            return new Settings(g, idleTimeout, maxLineBytes, maxClients, log);
        }

        public Settings withIdleTimeout(Duration d) {
            return new Settings(group, d, maxLineBytes, maxClients, log);
        }

        public Settings withMaxLineBytes(int n) {
            return new Settings(group, idleTimeout, n, maxClients, log);
        }

        public Settings withMaxClients(int n) {
            return new Settings(group, idleTimeout, maxLineBytes, n, log);
        }

        public Settings withLog(Consumer<String> l) {
            return new Settings(group, idleTimeout, maxLineBytes, maxClients, l);
        }
    }

    private static final int READING = 0;
    private static final int WORKING = 1;
    private static final int WRITING = 2;

    private final Path socket;
    private final Commands commands;
    private final Settings settings;
    private final PeerPolicy policy;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final Semaphore permits;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * The hook {@code hairpin run} calls once the engine is up: serves {@code service} on the control
     * socket at {@code socket} (the config's {@code control.socket}) until {@link #close()}.
     *
     * @throws IOException with a one-sentence message when the socket cannot be served (another
     *                     appliance is serving it, the path is taken by something else, no permission)
     */
    public static ControlServer start(Path socket, ControlService service) throws IOException {
        return start(socket, service, Settings.defaults());
    }

    /** As {@link #start(Path, ControlService)}, with other limits, group or log (tests use this). */
    public static ControlServer start(Path socket, ControlService service, Settings settings) throws IOException {
        return new ControlServer(socket.toAbsolutePath(), service, settings);
    }

    private ControlServer(Path socket, ControlService service, Settings settings) throws IOException {
        this.socket = socket;
        this.commands = new Commands(service);
        this.settings = settings;
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        this.policy = new PeerPolicy(settings.group(), lookup);
        this.permits = new Semaphore(settings.maxClients());

        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new IOException("cannot create the directory " + dir + " for the control socket: " + reason(e), e);
            }
        }
        removeStaleSocket();
        UnixDomainSocketAddress address;
        try {
            address = UnixDomainSocketAddress.of(socket);
        } catch (IllegalArgumentException e) {
            throw new IOException("the control socket path " + socket + " is not usable: " + e.getMessage(), e);
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(address, 64);
        } catch (IOException e) {
            ch.close(); // the file, if any, is not ours (another server may have bound it just now): left alone
            throw new IOException("cannot listen on the control socket at " + socket + ": " + reason(e), e);
        }
        try {
            secureSocketFile(lookup);
            this.fileKey = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            ch.close();
            try {
                Files.deleteIfExists(socket); // ours, and never served
            } catch (IOException ignored) {
                // the first error is the one to tell
            }
            throw new IOException("cannot secure the control socket at " + socket + ": " + reason(e), e);
        }
        this.server = ch;

        long tick = Math.max(10, Math.min(500, settings.idleTimeout().toMillis() / 4));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hairpin-control-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sweep, tick, tick, TimeUnit.MILLISECONDS);
        this.acceptor = Thread.ofPlatform().name("hairpin-control").daemon(true).start(this::acceptLoop);
    }

    /** The socket's path. */
    public Path socket() {
        return socket;
    }

    /** How many clients are being served right now. */
    public int clients() {
        return connections.size();
    }

    // ------------------------------------------------------------------ the socket file

    /**
     * A socket file left by an appliance that died is removed; one that a live server answers on is
     * not taken over; anything that is not a socket is left alone.
     */
    private void removeStaleSocket() throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if ((mode & 0170000) != 0140000) {
            throw new IOException(socket + " exists and is not a socket; remove it or set control.socket to another path");
        }
        boolean live;
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            live = true;
        } catch (ConnectException refused) {
            live = false;
        } catch (IOException e) {
            throw new IOException("cannot tell whether " + socket + " is in use: " + reason(e), e);
        }
        if (live) {
            throw new IOException("another hairpin is already serving the control socket at " + socket
                    + "; stop it first or set control.socket to another path");
        }
        Files.deleteIfExists(socket);
        settings.log().accept("hairpin: removed a stale control socket at " + socket);
    }

    /** Mode 0660, owner root, group hairpin, or root when that group does not exist (with a warning). */
    private void secureSocketFile(UserPrincipalLookupService lookup) throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        PosixFileAttributeView view = Files.getFileAttributeView(socket, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        UserPrincipal root = lookup.lookupPrincipalByName("0");
        if (!view.getOwner().equals(root)) {
            try {
                view.setOwner(root);
            } catch (IOException e) {
                settings.log().accept("hairpin: warning: the control socket " + socket + " is owned by "
                        + view.getOwner().getName() + ", not root (" + reason(e) + ")");
            }
        }
        GroupPrincipal group = policy.group();
        if (group == null) {
            group = lookup.lookupPrincipalByGroupName("0");
            settings.log().accept("hairpin: warning: group " + policy.groupName() + " does not exist, so the control"
                    + " socket " + socket + " is root:root and only root can use it (groupadd --system "
                    + policy.groupName() + " to let operators in)");
        }
        view.setGroup(group);
    }

    // ------------------------------------------------------------------ serving

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                settings.log().accept("hairpin: control socket: accept failed: " + reason(e));
                sleepQuietly(100); // e.g. out of file descriptors: do not spin
                continue;
            }
            if (!permits.tryAcquire()) {
                Thread.ofPlatform().daemon(true).name("hairpin-control-busy").start(() -> refuse(ch, error(null, "busy",
                        "the control socket is serving " + settings.maxClients() + " clients already; try again")));
                continue;
            }
            Connection c = new Connection(ch);
            connections.add(c);
            // A platform thread, not a virtual one: there are at most maxClients of them, and the OS schedules
            // them fairly against busy callers. Under a burst of looping clients on a 2-core box, virtual threads
            // (2 carriers) fell far behind noticing that answered clients had gone, and those counted against
            // maxClients (hundreds lingering, against a peak of 24 with platform threads).
            c.thread = Thread.ofPlatform().daemon(true).name("hairpin-control-client").unstarted(c);
            c.thread.start();
            if (closed) {
                c.abort();
            }
        }
    }

    /** Sends one line to a client that will not be served, and closes. */
    private static void refuse(SocketChannel ch, String line) {
        try (ch) {
            ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException ignored) {
            // it has gone already
        }
    }

    /** Times out clients that take too long to send a request line, or stall reading an answer. */
    private void sweep() {
        long now = System.nanoTime();
        long limit = settings.idleTimeout().toNanos();
        for (Connection c : connections) {
            int phase = c.phase;
            if (phase != WORKING && now - c.since > limit) {
                c.timeOut(phase);
            }
        }
    }

    private final class Connection implements Runnable {
        final SocketChannel ch;
        Thread thread;
        volatile int phase = READING;
        volatile long since = System.nanoTime();
        volatile boolean timedOut;

        private final ByteBuffer in = ByteBuffer.allocate(8192).flip();
        private byte[] line = new byte[512];
        private int length;

        Connection(SocketChannel ch) {
            this.ch = ch;
        }

        void phase(int p) {
            since = System.nanoTime();
            phase = p;
        }

        void timeOut(int phaseSeen) {
            if (timedOut) {
                return;
            }
            timedOut = true;
            try {
                if (phaseSeen == READING) {
                    ch.shutdownInput(); // the reader sees end of input, says why, and closes
                } else {
                    ch.close(); // stalled reading our answer: nothing more can be said
                }
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        void abort() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }

        @Override
        public void run() {
            try {
                UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
                if (!policy.allows(peer)) {
                    settings.log().accept("hairpin: control socket: refused user " + peer.user().getName() + " (group "
                            + peer.group().getName() + "): not root and not in group " + policy.groupName());
                    send(error(null, "denied", "permission denied: run as root or as a member of group "
                            + policy.groupName()));
                    return;
                }
                while (!closed) {
                    phase(READING);
                    int n;
                    try {
                        n = readLine();
                    } catch (LineTooLong e) {
                        send(error(null, "too-long", "the request line is longer than " + settings.maxLineBytes()
                                + " bytes; closing the connection"));
                        return;
                    }
                    if (n < 0) {
                        if (timedOut && !closed) {
                            phase(WRITING);
                            send(error(null, "timeout", "no whole request line within "
                                    + seconds(settings.idleTimeout()) + "; closing the connection"));
                        }
                        return;
                    }
                    String request = decode(line, n);
                    if (request != null && request.isBlank()) {
                        continue;
                    }
                    phase(WORKING);
                    String answer = request == null ? error(null, "bad-request", "the request is not valid UTF-8")
                            : answer(request);
                    phase(WRITING);
                    send(answer);
                }
            } catch (IOException e) {
                // the client went away, or we closed it (timeout, stop): nothing to tell anyone
            } catch (Throwable t) {
                settings.log().accept("hairpin: control socket: a connection failed: " + t);
            } finally {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closed
                }
                connections.remove(this);
                permits.release();
            }
        }

        /** Reads the next line into {@code line}: its length without the newline (and a CR before it), or -1 at end of input. */
        private int readLine() throws IOException, LineTooLong {
            length = 0;
            while (true) {
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b == '\n') {
                        return length > 0 && line[length - 1] == '\r' ? length - 1 : length;
                    }
                    if (length == settings.maxLineBytes()) {
                        throw new LineTooLong();
                    }
                    if (length == line.length) {
                        line = Arrays.copyOf(line, Math.min(line.length * 2, settings.maxLineBytes()));
                    }
                    line[length++] = b;
                }
                in.clear();
                int n = ch.read(in);
                in.flip();
                if (n < 0) {
                    return -1; // a partial line at the end is not a request: dropped
                }
            }
        }

        private void send(String text) throws IOException {
            ByteBuffer b = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                if (ch.write(b) > 0) {
                    since = System.nanoTime(); // stalling, not slowness, is what times out
                }
            }
        }
    }

    private static final class LineTooLong extends Exception {
        LineTooLong() {
            super(null, null, false, false);
        }
    }

    /** The bytes as strict UTF-8, or null when they are not UTF-8. */
    private static String decode(byte[] bytes, int length) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** One request line in, one response line out; never throws. */
    String answer(String line) {
        Object id = null;
        String cmd = null;
        try {
            Map<String, Object> request;
            try {
                request = Json.parseObject(line);
            } catch (JsonException e) {
                return error(null, "bad-request", e.getMessage());
            }
            id = request.get("id");
            cmd = request.get("cmd") instanceof String s ? s : null;
            Supplier<Map<String, Object>> call;
            try {
                call = commands.prepare(request);
            } catch (WireException e) {
                return error(id, "bad-request", e.getMessage());
            }
            Map<String, Object> result;
            try {
                result = call.get();
            } catch (RuntimeException | StackOverflowError | AssertionError | LinkageError e) {
                settings.log().accept("hairpin: control socket: " + cmd + " failed: " + e);
                return error(id, "failed", sentence(e));
            }
            Map<String, Object> response = new LinkedHashMap<>();
            response.put("id", id);
            response.put("ok", true);
            response.put("result", result);
            return Json.write(response);
        } catch (RuntimeException e) {
            settings.log().accept("hairpin: control socket: " + cmd + " failed: " + e);
            return error(id, "failed", "internal error: " + sentence(e));
        }
    }

    static String error(Object id, String code, String message) {
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("id", id);
        response.put("ok", false);
        response.put("code", code);
        response.put("error", message);
        return Json.write(response);
    }

    /** An exception as the one sentence a client shows. */
    private static String sentence(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms / 1000.0 + " s";
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ stopping

    /** Stops serving: closes the socket and every connection, and removes the socket file. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        timer.shutdownNow();
        for (Connection c : connections) {
            c.abort();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        try {
            acceptor.join(Duration.ofSeconds(2));
            for (Connection c : connections) {
                long left = deadline - System.nanoTime();
                if (left > 0 && c.thread != null) {
                    c.thread.join(Duration.ofNanos(left));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            BasicFileAttributes now = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(now.fileKey(), fileKey)) {
                Files.delete(socket);
            }
        } catch (IOException ignored) {
            // gone already, or not ours any more
        }
    }
}
