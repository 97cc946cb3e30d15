package io.hairpin.engine;

/**
 * One traced packet: when it was taken (nanoseconds after the trace was armed), by which worker,
 * on which interface, what it was ("udp 192.168.1.10:5000 > 203.0.113.254:53") and what the
 * engine did with it ("forwarded wan, nat 203.0.113.1:5000 (napt, new session)", "drop spoofed_source").
 */
public record TraceEntry(long nanos, int worker, String port, String summary, String verdict) {
}
