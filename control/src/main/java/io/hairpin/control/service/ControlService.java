package io.hairpin.control.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the control socket offers, independent of the wire: the running appliance implements it
 * (over the engine and the config store), the socket server exposes it as line-delimited JSON,
 * and the `hairpin` client subcommands call it. Every method may be called from several socket
 * threads at once; implementations serialise what must be serial (apply).
 */
public interface ControlService {

    Status status();

    Stats stats();

    /** The running rules as `hairpin check` would print them (text), and the config file in force. */
    Rules rules();

    /** Sessions matching the filter (at most limit of them). */
    List<Session> sessions(SessionFilter filter, int limit);

    /** Removes matching sessions; returns how many. */
    int flushSessions(SessionFilter filter);

    /**
     * Validates the config file, swaps the running rules atomically and persists the file as the
     * running config. On any error nothing changes and the result carries the errors.
     */
    ApplyResult apply(Path config);

    /** The next n packets (or fewer when timeoutMillis passes first) and what the engine did with each. */
    List<TraceRecord> trace(int n, long timeoutMillis);

    /** The public address a host is seen as (1:1 or outbound NAT), or null if it is not translated. */
    String publicAddressOf(String host);

    /** cPanel's /var/cpanel/cpnat lines ("local public") for a host's addresses. */
    List<String> cpnat(String host);

    /**
     * @param sessionCapacity the sessions worker 0's session state was built for (nat.max-sessions
     *                        when it was built; an apply may not raise it), 0 while none is built
     * @param hostServices    the TCP listeners of the appliance's own kernel that the exception path
     *                        reaches, as "*:22" or "192.168.1.1:80" (null: the exception path is off)
     */
    record Status(String version, long pid, long uptimeSeconds, int workers, String config, long snapshotVersion,
                  List<InterfaceStatus> interfaces, long sessions, long sessionCapacity, List<String> hostServices) {
    }

    record InterfaceStatus(String name, String role, String device, List<String> addresses, String mac,
                           boolean linkUp, long speedMbps) {
    }

    /**
     * Counters: per port (by device), per worker, drops/events by reason, all monotonic; and per
     * NAT rule in force.
     */
    record Stats(Map<String, Map<String, Long>> ports, List<Map<String, Long>> workers, Map<String, Long> events,
                 long sessions, List<RuleStats> rules) {
    }

    /**
     * A NAT rule in force ({@code kind} "1:1", "port-forward" or "outbound", numbered within its
     * kind as {@code hairpin rules} numbers it): the packets it translated and their bytes (IP
     * length; both directions, its sessions' and reflected packets included), and the sessions it
     * opened, since it came into force; and {@code active}, how many of those are open now (pfSense's
     * "states"). A rule kept by an apply keeps counting.
     */
    record RuleStats(String kind, int number, String description, long packets, long bytes, long sessions,
                     long active) {
        /** "port-forward #2 web", as trace names it. */
        public String label() {
            return label(kind, number, description);
        }

        public static String label(String kind, int number, String description) {
            return kind + " #" + number + (description == null || description.isEmpty() ? "" : " " + description);
        }
    }

    record Rules(String config, long snapshotVersion, String text) {
    }

    /** Matches sessions whose inside or outside tuple contains the address (null = any) and protocol (0 = any). */
    record SessionFilter(String address, int protocol) {
        public static final SessionFilter ALL = new SessionFilter(null, 0);
    }

    /**
     * A NAT session; rule is the rule that opened it as {@code hairpin rules} numbers it
     * ("port-forward #1 web", "1:1 #1 server, reflected"), "-" when it is none of the rules in force.
     */
    record Session(String protocol, String inside, String outside, String remote, String state, long expiresInSeconds,
                   String rule) {
    }

    record ApplyResult(boolean applied, long snapshotVersion, List<String> errors, List<String> warnings) {
    }

    record TraceRecord(long timestampNanos, String port, String summary, String verdict, String rule) {
    }
}
