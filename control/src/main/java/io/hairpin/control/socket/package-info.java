/**
 * The control socket: {@link io.hairpin.control.socket.ControlServer} serves a
 * {@link io.hairpin.control.service.ControlService} on a UNIX socket, and
 * {@link io.hairpin.control.socket.ControlClient} is what the {@code hairpin} client commands use.
 *
 * <h2>Protocol</h2>
 * One JSON object per line (UTF-8, at most 64 KiB, newline-terminated; a CR before the newline and
 * blank lines are ignored), each answered by one line, in order. A connection may carry any number
 * of requests. Arguments sit beside {@code id} and {@code cmd}; unknown fields are rejected.
 * <pre>
 * request:  {"id":ID, "cmd":CMD, ...arguments}          ID: any JSON value, echoed back
 * success:  {"id":ID, "ok":true,  "result":{...}}
 * failure:  {"id":ID, "ok":false, "code":CODE, "error":"one sentence"}
 *   CODE: bad-request (the request is at fault), failed (the service threw);
 *         denied, busy, too-long, timeout (id null; the server then closes the connection)
 *
 * status                                 {"version","pid","uptimeSeconds","workers","config","snapshotVersion",
 *                                         "interfaces":[{"name","role","device","addresses":[..],"mac",
 *                                                        "linkUp","speedMbps"}],"sessions","sessionCapacity",
 *                                         "hostServices"}
 * stats                                  {"ports":{DEVICE:{COUNTER:n}},"workers":[{COUNTER:n}],
 *                                         "events":{NAME:n},"sessions",
 *                                         "rules":[{"kind","number","description","packets","bytes",
 *                                                   "sessions","active"}]}
 * rules                                  {"config","snapshotVersion","text"}
 * sessions {address?,protocol?,limit?}   {"sessions":[{"protocol","inside","outside","remote","state",
 *                                                      "expiresInSeconds","rule"}],"limit"}
 *          address: IPv4; protocol: "tcp"|"udp"|"icmp"; limit: 1..100000, default 1000
 * flush {address?,protocol?}             {"flushed":n}        (no filter: every session)
 * apply {path}                           {"applied","snapshotVersion","errors":[..],"warnings":[..]}
 *          path: absolute; a config with errors is ok:true with applied:false
 * trace {n,timeout?}                     {"packets":[{"timestampNanos","port","summary","verdict","rule"}]}
 *          n: 1..10000; timeout: seconds, above 0 and at most 3600, default 10
 * myip {host?}                           {"host","public"}    (public null: not translated;
 *                                                              no host: the appliance's own external address)
 * cpnat {host}                           {"host","lines":["local public", ..]}
 * </pre>
 * Every field of a result is always present, null where the service gave null. Integers are JSON
 * integers; nothing in a result is fractional.
 */
package io.hairpin.control.socket;
