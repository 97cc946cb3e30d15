package io.hairpin.engine;

/**
 * One traced packet: when it was taken (nanoseconds after the trace was armed), by which worker,
 * on which interface, what it was ("udp 192.168.1.10:5000 > 203.0.113.254:53"), what the
 * engine did with it ("forwarded wan, nat 203.0.113.1:5000 (napt, new session)", "drop spoofed_source")
 * and the NAT rule whose work its rewrite is (null when none, or when none of the rules in force
 * any more matches it: a session made under rules since changed).
 */
public record TraceEntry(long nanos, int worker, String port, String summary, String verdict, Rule rule) {

    public enum RuleKind { ONE_TO_ONE, PORT_FORWARD, OUTBOUND }

    /**
     * A NAT rule: its kind and its place among the engine's rules of that kind (the enabled ones,
     * in config order; see {@link io.hairpin.engine.nat.NatConfig}); reflected when the packet went
     * from an internal host to the rule's public address, or is the answer to such a packet.
     */
    public record Rule(RuleKind kind, int index, boolean reflected) {
    }
}
