#!/usr/bin/env bash
# Hairpin namespace lab: real Linux hosts talking through the appliance.
#
#   lab.sh up | down | start-appliance CMD... | start-linux-router | checks
#   lab.sh demo -- CMD... | lab.sh test -- CMD...      (CMD may be "linux")
#
# See deploy/lab/README.md. Everything this script creates lives in network
# namespaces named "${HP_LAB_PREFIX:-hp-}{router,lanbr,inside,server,outside}";
# it never touches the machine's own interfaces or routes.
set -Eeuo pipefail

LAB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
P=${HP_LAB_PREFIX:-hp-}
STATE=${HP_LAB_STATE:-/tmp/hairpin-lab-$P}
READY_TIMEOUT=${HP_LAB_READY_TIMEOUT:-30}   # seconds, start-appliance readiness

# --- topology -----------------------------------------------------------------
NS_ROUTER="${P}router"
NS_LANBR="${P}lanbr"
NS_INSIDE="${P}inside"
NS_SERVER="${P}server"
NS_OUTSIDE="${P}outside"
ALL_NS=("$NS_ROUTER" "$NS_LANBR" "$NS_INSIDE" "$NS_SERVER" "$NS_OUTSIDE")

WAN_ADDR=203.0.113.1        # appliance, external side (r-wan)
LAN_ADDR=192.168.1.1        # appliance, internal side (r-lan)
INSIDE_IP=192.168.1.10
SERVER_IP=192.168.1.20
OUTSIDE_IP=203.0.113.254    # the "Internet" host, primary address
OUTSIDE_IP2=203.0.113.253   # ... and its second address
LAN_NET=192.168.1.0/24

SERVER_HTTP_PORT=8080       # http.server on SERVER_IP   (file hello.txt)
SERVER_ECHO_PORT=8081       # echo_server.py on SERVER_IP (what the server sees)
OUTSIDE_HTTP_PORT=8081      # http.server on OUTSIDE_IP  (file hello.txt)
OUTSIDE_ECHO_PORT=8080      # echo_server.py on OUTSIDE_IP2 (what the Internet sees)
UDP_PORT=9999               # socat UDP echo on OUTSIDE_IP
ROUTER_ECHO_PORT=8090       # echo_server.py on the appliance's own LAN address (exception path)

SERVER_BODY="hello from server"
OUTSIDE_BODY="hello from outside"
# Source address the Internet is expected to see when inside connects out.
# Plain router: the client's own address. (NAT configs will change this.)
EXPECT_OUTBOUND_SRC=${HP_LAB_EXPECT_OUTBOUND_SRC:-$INSIDE_IP}

PY=/usr/bin/python3
PASS_N=0
FAIL_N=0
CLEANUP_ON_EXIT=0

# --- small helpers ------------------------------------------------------------
say()  { printf '%s\n' "$*"; }
info() { printf 'lab: %s\n' "$*"; }
warn() { printf 'lab: warning: %s\n' "$*" >&2; }
die()  { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

ns_exists() { [[ -e "/var/run/netns/$1" ]] || ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$1"; }

validate_prefix() {
    [[ "$P" =~ ^[A-Za-z0-9._-]{1,20}$ ]] \
        || die "HP_LAB_PREFIX='$P' must be 1-20 characters of [A-Za-z0-9._-]"
    [[ "$STATE" == /* && "$STATE" != "/" ]] || die "HP_LAB_STATE='$STATE' must be an absolute directory (not /)"
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, veth, bridges)"
}

need_netns() {
    command -v ip >/dev/null 2>&1 || die "'ip' (iproute2) not found"
    ip netns list >/dev/null 2>&1 || die "'ip netns' is not available on this machine"
}

# Install missing tools (Debian). Idempotent: does nothing when all are present.
ensure_tools() {
    local -a missing=()
    command -v ip      >/dev/null 2>&1 || missing+=(iproute2)
    command -v ss      >/dev/null 2>&1 || missing+=(iproute2)
    command -v ethtool >/dev/null 2>&1 || missing+=(ethtool)
    command -v curl    >/dev/null 2>&1 || missing+=(curl)
    command -v socat   >/dev/null 2>&1 || missing+=(socat)
    command -v ping    >/dev/null 2>&1 || missing+=(iputils-ping)
    [[ -x /usr/bin/python3 ]]          || missing+=(python3)
    command -v setsid  >/dev/null 2>&1 || missing+=(util-linux)
    command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
    if ((${#missing[@]})); then
        local -a pkgs
        mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
        [[ $(id -u) -eq 0 ]] || die "missing packages: ${pkgs[*]} (run as root to install them)"
        command -v apt-get >/dev/null 2>&1 || die "missing packages: ${pkgs[*]} (no apt-get to install them)"
        info "installing: ${pkgs[*]}"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
        fi
    fi
    if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
}

# State directory: pids/, logs/, www/, mode. A marker file guards against
# clearing a directory that is not ours.
state_init() {
    if [[ -d "$STATE" && ! -e "$STATE/.hairpin-lab" && -n "$(ls -A -- "$STATE" 2>/dev/null)" ]]; then
        die "state dir $STATE exists, is not empty and is not a lab state dir"
    fi
    mkdir -p -- "$STATE/pids" "$STATE/logs" "$STATE/www"
    : >"$STATE/.hairpin-lab"
}

# --- processes ----------------------------------------------------------------
# Is PID a live (non-zombie) process inside lab namespace NS? Makes sure we
# never signal a recycled, foreign PID. A child of this shell that has not yet
# entered its namespace (just forked) also counts as ours.
pid_in_ns() {
    local pid=$1 ns=$2 ppid
    pid_alive "$pid" || return 1
    [[ "$(ip netns identify "$pid" 2>/dev/null)" == "$ns" ]] && return 0
    ppid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f2 || true)
    [[ "$ppid" == "$$" || "$ppid" == "$BASHPID" ]]
}

# start_bg NAME NS CMD... : run CMD in NS in the background (own session, so a
# terminal Ctrl-C reaches only this script, which then tears everything down).
start_bg() {
    local name=$1 ns=$2; shift 2
    local log="$STATE/logs/$name.log"
    setsid ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
    local pid=$!
    printf '%s %s\n' "$ns" "$pid" >"$STATE/pids/$name.pid"
    LAST_PID=$pid
}

# signal_pid SIG PID : the process, and its process group when it leads one
# (start_bg runs every process under setsid, so a wrapper script and the
# program it runs both get the signal).
signal_pid() {
    local sig=$1 pid=$2 pgid
    pgid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f3 || true)   # state ppid pgrp
    if [[ "$pgid" == "$pid" ]]; then kill "-$sig" -- "-$pid" 2>/dev/null || true; fi
    kill "-$sig" "$pid" 2>/dev/null || true
}

# stop_pid NS PID GRACE : TERM, wait up to GRACE seconds, then KILL. Only a PID
# that is alive inside the lab namespace NS is signalled.
stop_pid() {
    local ns=$1 pid=$2 grace=$3 i
    pid_in_ns "$pid" "$ns" || { wait "$pid" 2>/dev/null || true; return 0; }
    signal_pid TERM "$pid"
    for ((i = 0; i < grace * 10; i++)); do
        pid_in_ns "$pid" "$ns" || break
        sleep 0.1
    done
    if pid_in_ns "$pid" "$ns"; then
        warn "pid $pid ($ns) ignored SIGTERM for ${grace}s, sending SIGKILL"
        signal_pid KILL "$pid"
        sleep 0.1
    fi
    wait "$pid" 2>/dev/null || true   # reap if it was our child
}

# Kill whatever still runs inside one of OUR namespaces (stragglers such as
# forked socat children). Only PIDs that `ip netns pids` lists for the lab
# namespace are touched.
sweep_ns() {
    local ns=$1 pid i
    local -a pids
    ns_exists "$ns" || return 0
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
    ((${#pids[@]})) || return 0
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for ((i = 0; i < 30; i++)); do
        mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
        ((${#pids[@]})) || return 0
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        warn "killing straggler pid $pid in $ns"
        kill -KILL "$pid" 2>/dev/null || true
    done
}

# --- down ---------------------------------------------------------------------
lab_down() {
    local f ns pid name grace
    if [[ -d "$STATE/pids" ]]; then
        # the appliance first: it gets time for a clean shutdown
        for f in "$STATE/pids/appliance.pid" "$STATE"/pids/*.pid; do
            [[ -f "$f" ]] || continue
            read -r ns pid <"$f" || true
            name=$(basename -- "$f" .pid)
            grace=2; [[ "$name" == appliance ]] && grace=10
            [[ -n "${ns:-}" && -n "${pid:-}" ]] && stop_pid "$ns" "$pid" "$grace"
            rm -f -- "$f"
        done
    fi
    for ns in "${ALL_NS[@]}"; do sweep_ns "$ns"; done
    for ns in "${ALL_NS[@]}"; do
        if ns_exists "$ns"; then
            ip netns del "$ns" 2>/dev/null || warn "could not delete namespace $ns"
        fi
    done
    rm -f -- "$STATE/mode"
}

# --- up -----------------------------------------------------------------------
ns_base() {   # create a namespace with lo up, IPv6 off, no forwarding
    local ns=$1
    ip netns add "$ns"
    nsx "$ns" ip link set lo up
    if nsx "$ns" test -d /proc/sys/net/ipv6; then
        nsx "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
    fi
}

offloads_off() {   # offloads_off NS DEV [extra ethtool -K args...]
    local ns=$1 dev=$2; shift 2
    nsx "$ns" ethtool -K "$dev" tx off tso off gso off "$@" >/dev/null 2>&1 \
        || warn "ethtool -K $dev (in $ns) could not change every offload"
}

# veth_pair NS_A DEV_A NS_B DEV_B: created directly inside the namespaces,
# so nothing ever appears in the machine's own namespace.
veth_pair() {
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

lab_up() {
    local ns
    lab_down
    state_init
    rm -rf -- "$STATE/logs" "$STATE/www"
    mkdir -p -- "$STATE/logs" "$STATE/www/server" "$STATE/www/outside"
    printf '%s\n' "$SERVER_BODY"  >"$STATE/www/server/hello.txt"
    printf '%s\n' "$OUTSIDE_BODY" >"$STATE/www/outside/hello.txt"

    for ns in "${ALL_NS[@]}"; do ns_base "$ns"; done

    # router: two veth ends without addresses (the appliance takes them over)
    veth_pair "$NS_ROUTER" r-wan "$NS_OUTSIDE" eth0
    veth_pair "$NS_ROUTER" r-lan "$NS_LANBR" lan-router
    veth_pair "$NS_INSIDE" eth0 "$NS_LANBR" lan-inside
    veth_pair "$NS_SERVER" eth0 "$NS_LANBR" lan-server

    # LAN segment: one bridge joining router, inside and server
    nsx "$NS_LANBR" ip link add br0 type bridge stp_state 0 forward_delay 0
    for dev in lan-router lan-inside lan-server; do
        nsx "$NS_LANBR" ip link set "$dev" master br0
        offloads_off "$NS_LANBR" "$dev"
        nsx "$NS_LANBR" ip link set "$dev" up
    done
    nsx "$NS_LANBR" ip link set br0 up

    for dev in r-wan r-lan; do
        offloads_off "$NS_ROUTER" "$dev" rx off gro off
        nsx "$NS_ROUTER" ip link set "$dev" up
    done

    offloads_off "$NS_INSIDE" eth0
    nsx "$NS_INSIDE" ip addr add "$INSIDE_IP/24" dev eth0
    nsx "$NS_INSIDE" ip link set eth0 up
    nsx "$NS_INSIDE" ip route add default via "$LAN_ADDR"

    offloads_off "$NS_SERVER" eth0
    nsx "$NS_SERVER" ip addr add "$SERVER_IP/24" dev eth0
    nsx "$NS_SERVER" ip link set eth0 up
    nsx "$NS_SERVER" ip route add default via "$LAN_ADDR"

    offloads_off "$NS_OUTSIDE" eth0
    nsx "$NS_OUTSIDE" ip addr add "$OUTSIDE_IP/24" dev eth0
    nsx "$NS_OUTSIDE" ip addr add "$OUTSIDE_IP2/24" dev eth0
    nsx "$NS_OUTSIDE" ip link set eth0 up
    nsx "$NS_OUTSIDE" ip route add "$LAN_NET" via "$WAN_ADDR"

    start_services
    info "up: namespaces ${ALL_NS[*]} (state: $STATE)"
}

# wait_listen NS tcp|udp PORT : bounded wait (5 s) for a listening socket
wait_listen() {
    local ns=$1 proto=$2 port=$3 flag i
    [[ "$proto" == tcp ]] && flag=-Hltn || flag=-Hlun
    for ((i = 0; i < 50; i++)); do
        if [[ -n "$(nsx "$ns" ss "$flag" "sport = :$port" 2>/dev/null)" ]]; then return 0; fi
        sleep 0.1
    done
    return 1
}

start_services() {
    # file servers: Python's http.server handler via echo_server.py --directory
    # (python3 -m http.server would stall ~6 s on a reverse DNS lookup here)
    start_bg server-http "$NS_SERVER" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$SERVER_IP" --port "$SERVER_HTTP_PORT" --directory "$STATE/www/server"
    start_bg server-echo "$NS_SERVER" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$SERVER_IP" --port "$SERVER_ECHO_PORT"
    start_bg outside-http "$NS_OUTSIDE" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$OUTSIDE_IP" --port "$OUTSIDE_HTTP_PORT" --directory "$STATE/www/outside"
    start_bg outside-echo "$NS_OUTSIDE" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$OUTSIDE_IP2" --port "$OUTSIDE_ECHO_PORT"
    # UDP echo: one child per datagram, each child exits after 2 s idle
    start_bg outside-udp "$NS_OUTSIDE" socat -T 2 \
        "UDP4-RECVFROM:$UDP_PORT,bind=$OUTSIDE_IP,fork" PIPE

    wait_listen "$NS_SERVER"  tcp "$SERVER_HTTP_PORT"  || die "server http.server did not start: $(tail -n 5 "$STATE/logs/server-http.log")"
    wait_listen "$NS_SERVER"  tcp "$SERVER_ECHO_PORT"  || die "server echo_server did not start: $(tail -n 5 "$STATE/logs/server-echo.log")"
    wait_listen "$NS_OUTSIDE" tcp "$OUTSIDE_HTTP_PORT" || die "outside http.server did not start: $(tail -n 5 "$STATE/logs/outside-http.log")"
    wait_listen "$NS_OUTSIDE" tcp "$OUTSIDE_ECHO_PORT" || die "outside echo_server did not start: $(tail -n 5 "$STATE/logs/outside-echo.log")"
    wait_listen "$NS_OUTSIDE" udp "$UDP_PORT"          || die "outside socat UDP echo did not start: $(tail -n 5 "$STATE/logs/outside-udp.log")"
}

require_up() {
    local ns
    for ns in "${ALL_NS[@]}"; do
        ns_exists "$ns" || die "namespace $ns missing: run '$0 up' first"
    done
}

# --- the appliance ------------------------------------------------------------
appliance_ready() { nsx "$NS_INSIDE" ping -n -q -c 1 -W 1 "$LAN_ADDR" >/dev/null 2>&1; }

wait_ready() {   # wait_ready [PID]: poll ARP/ping of the LAN address, bounded
    local pid=${1:-} deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
            local st=0
            wait "$pid" 2>/dev/null || st=$?    # exit status, when it is our child
            [[ $st -eq 127 ]] && st=unknown
            say "lab: appliance (pid $pid) exited (status $st) before becoming ready; last 40 lines of $STATE/logs/appliance.log:" >&2
            tail -n 40 -- "$STATE/logs/appliance.log" >&2 || true
            return 1
        fi
        appliance_ready && return 0
        sleep 0.3
    done
    say "lab: appliance not ready after ${READY_TIMEOUT}s (no answer from $LAN_ADDR)" >&2
    if [[ -n "$pid" ]]; then
        say "lab: last 40 lines of $STATE/logs/appliance.log:" >&2
        tail -n 40 -- "$STATE/logs/appliance.log" >&2 || true
    fi
    return 1
}

start_linux_router() {
    require_up
    # explicit checks: this may run where set -e is suspended (test's "|| ready=0")
    nsx "$NS_ROUTER" ip addr replace "$WAN_ADDR/24" dev r-wan || die "cannot address r-wan"
    nsx "$NS_ROUTER" ip addr replace "$LAN_ADDR/24" dev r-lan || die "cannot address r-lan"
    nsx "$NS_ROUTER" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || die "cannot enable ip_forward"
    printf 'linux\n' >"$STATE/mode"
    local t0=$SECONDS
    wait_ready "" || die "Linux router not reachable"
    info "Linux router ready in $((SECONDS - t0))s (kernel forwarding in $NS_ROUTER)"
}

start_appliance() {
    (($#)) || die "start-appliance needs a command line (or 'linux')"
    if [[ "$1" == linux ]]; then start_linux_router; return; fi
    require_up
    if [[ -f "$STATE/pids/appliance.pid" ]]; then
        local _ opid
        read -r _ opid <"$STATE/pids/appliance.pid" || true
        if pid_in_ns "${opid:-}" "$NS_ROUTER"; then die "an appliance is already running (pid $opid)"; fi
    fi
    info "starting appliance in $NS_ROUTER: $*"
    start_bg appliance "$NS_ROUTER" "$@" || die "cannot start the appliance"
    local pid=$LAST_PID t0=$SECONDS
    printf 'process %s\n' "$pid" >"$STATE/mode"
    if ! wait_ready "$pid"; then
        stop_pid "$NS_ROUTER" "$pid" 10
        rm -f -- "$STATE/pids/appliance.pid" "$STATE/mode"
        die "appliance did not become ready"
    fi
    info "appliance ready in $((SECONDS - t0))s (pid $pid, log $STATE/logs/appliance.log)"
}

# --- checks -------------------------------------------------------------------
report() {   # report PASS|FAIL NUM DESCRIPTION SEEN
    local verdict=$1 num=$2 what=$3 seen=$4
    if [[ "$verdict" == PASS ]]; then PASS_N=$((PASS_N + 1)); else FAIL_N=$((FAIL_N + 1)); fi
    printf '%s %-5s %-62s %s\n' "$verdict" "($num)" "$what" "[$seen]"
}

oneline() { tr '\n\r' '  ' | sed -e 's/  */ /g' -e 's/^ //' -e 's/ $//' | cut -c1-140; }

# run_cap VAR CMD... : capture stdout+stderr into VAR and rc into RC, never fail
run_cap() {
    local __var=$1; shift
    local __out
    __out=$("$@" 2>&1) && RC=0 || RC=$?
    printf -v "$__var" '%s' "$__out"
}

check_ping() {   # check_ping NUM DESC NS DST EXPECT_TTL|""
    local num=$1 what=$2 ns=$3 dst=$4 want_ttl=$5 out ttl
    run_cap out nsx "$ns" ping -n -c 1 -i 0.5 -w 3 -W 2 "$dst"
    ttl=$(grep -o 'ttl=[0-9]*' <<<"$out" | head -n 1 | cut -d= -f2 || true)
    if [[ $RC -eq 0 && -n "$ttl" ]]; then
        if [[ -z "$want_ttl" || "$ttl" == "$want_ttl" ]]; then
            report PASS "$num" "$what" "reply from $dst ttl=$ttl$([[ -n "$want_ttl" ]] && printf ' (expected %s)' "$want_ttl")"
        else
            report FAIL "$num" "$what" "reply from $dst ttl=$ttl, expected ttl=$want_ttl"
        fi
    else
        report FAIL "$num" "$what" "no reply (rc=$RC): $(grep -v '^PING\|^---\|^$' <<<"$out" | oneline)"
    fi
}

check_http() {   # check_http NUM DESC NS URL EXPECTED_BODY [LABEL]
    local num=$1 what=$2 ns=$3 url=$4 want=$5 label=${6:-body} out
    run_cap out nsx "$ns" curl -sS --noproxy '*' --connect-timeout 3 --max-time 5 "$url"
    out=${out%$'\n'}
    if [[ $RC -eq 0 && "$out" == "$want" ]]; then
        report PASS "$num" "$what" "$label \"$out\""
    elif [[ $RC -eq 0 ]]; then
        report FAIL "$num" "$what" "$label \"$(oneline <<<"$out")\", expected \"$want\""
    else
        report FAIL "$num" "$what" "curl rc=$RC: $(oneline <<<"$out")"
    fi
}

check_udp() {
    local num=$1 token out
    token="hairpin-udp-$$-$RANDOM"
    run_cap out nsx "$NS_INSIDE" timeout 5 socat -t 2 - "UDP4:$OUTSIDE_IP:$UDP_PORT" <<<"$token"
    out=${out%$'\n'}
    if [[ "$out" == "$token" ]]; then
        report PASS "$num" "inside -> $OUTSIDE_IP:$UDP_PORT UDP echo (socat)" "echoed \"$out\""
    else
        report FAIL "$num" "inside -> $OUTSIDE_IP:$UDP_PORT UDP echo (socat)" "sent \"$token\", got \"$(oneline <<<"$out")\" (rc=$RC)"
    fi
}

check_ttl_exceeded() {
    local num=$1 out line
    run_cap out nsx "$NS_INSIDE" ping -n -c 2 -i 0.3 -W 2 -t 1 "$OUTSIDE_IP"
    line=$(grep -m1 -i 'time to live exceeded' <<<"$out" || true)
    if [[ -n "$line" && "$line" == "From $LAN_ADDR "* ]]; then
        report PASS "$num" "inside ping -t 1 $OUTSIDE_IP: ICMP time exceeded" "$(oneline <<<"$line")"
    else
        report FAIL "$num" "inside ping -t 1 $OUTSIDE_IP: ICMP time exceeded" \
            "expected 'From $LAN_ADDR ... Time to live exceeded', saw: $(grep -v '^PING\|^---\|^$' <<<"$out" | oneline)"
    fi
}

run_checks() {
    check_ping 1 "inside -> appliance LAN $LAN_ADDR (ping)" "$NS_INSIDE" "$LAN_ADDR" ""
    check_ping 2 "outside -> appliance WAN $WAN_ADDR (ping)" "$NS_OUTSIDE" "$WAN_ADDR" ""
    check_ping 3 "inside -> outside $OUTSIDE_IP via appliance, 1 hop (ping)" "$NS_INSIDE" "$OUTSIDE_IP" 63
    check_http 4 "outside -> server http://$SERVER_IP:$SERVER_HTTP_PORT/hello.txt (curl)" "$NS_OUTSIDE" \
        "http://$SERVER_IP:$SERVER_HTTP_PORT/hello.txt" "$SERVER_BODY"
    check_http 5 "inside -> outside http://$OUTSIDE_IP:$OUTSIDE_HTTP_PORT/hello.txt (curl)" "$NS_INSIDE" \
        "http://$OUTSIDE_IP:$OUTSIDE_HTTP_PORT/hello.txt" "$OUTSIDE_BODY"
    check_http 6 "inside -> outside echo $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT: source outside sees" "$NS_INSIDE" \
        "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/" "$EXPECT_OUTBOUND_SRC" "outside saw"
    check_udp 7
    check_ttl_exceeded 8
    check_host_service 9
}

# A host service in the router namespace on the appliance's own LAN address: with the DPDK
# appliance, traffic to it crosses the exception path (the interface's TAP) both ways.
check_host_service() {
    local num=$1 what="inside -> host service on the appliance $LAN_ADDR:$ROUTER_ECHO_PORT (exception path)"
    if ! wait_listen "$NS_ROUTER" tcp "$ROUTER_ECHO_PORT"; then
        start_bg router-echo "$NS_ROUTER" "$PY" -u "$LAB_DIR/echo_server.py" --bind "$LAN_ADDR" --port "$ROUTER_ECHO_PORT" \
            >/dev/null 2>&1 || true
        if ! wait_listen "$NS_ROUTER" tcp "$ROUTER_ECHO_PORT"; then
            report FAIL "$num" "$what" "could not start a server on $LAN_ADDR:$ROUTER_ECHO_PORT in $NS_ROUTER: $(tail -n 3 "$STATE/logs/router-echo.log" 2>/dev/null | oneline)"
            return
        fi
    fi
    check_http "$num" "$what" "$NS_INSIDE" "http://$LAN_ADDR:$ROUTER_ECHO_PORT/" "$INSIDE_IP" "the appliance's host saw"
}

summary() { say "$PASS_N passed, $FAIL_N failed"; }

cmd_checks() {
    require_up
    run_checks
    summary
    ((FAIL_N == 0))
}

check_appliance_alive() {
    local num=$1 mode pid
    mode=$(cat -- "$STATE/mode" 2>/dev/null || true)
    case "$mode" in
        linux)
            if [[ "$(nsx "$NS_ROUTER" sysctl -n net.ipv4.ip_forward 2>/dev/null)" == 1 ]]; then
                report PASS "$num" "appliance still running after the checks" "Linux router: ip_forward=1 in $NS_ROUTER"
            else
                report FAIL "$num" "appliance still running after the checks" "Linux router: ip_forward is off"
            fi ;;
        process\ *)
            pid=${mode#process }
            if pid_in_ns "$pid" "$NS_ROUTER"; then
                report PASS "$num" "appliance still running after the checks" "pid $pid alive in $NS_ROUTER"
            else
                report FAIL "$num" "appliance still running after the checks" "pid $pid is gone; log tail: $(tail -n 3 -- "$STATE/logs/appliance.log" 2>/dev/null | oneline)"
            fi ;;
        *) report FAIL "$num" "appliance still running after the checks" "no appliance was started" ;;
    esac
}

pid_alive() {   # live, non-zombie process?
    local st
    [[ "$1" =~ ^[0-9]+$ && -r "/proc/$1/stat" ]] || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

recorded_pids() {   # PIDs of every process the lab recorded (pid files)
    local f ns pid
    for f in "$STATE"/pids/*.pid; do
        [[ -f "$f" ]] || continue
        read -r ns pid <"$f" || true
        [[ -n "${pid:-}" ]] && printf '%s\n' "$pid"
    done
    return 0
}

# check_torn_down NUM PID... : namespaces gone, pid files gone, PIDs dead
check_torn_down() {
    local num=$1 ns pid left=() procs=(); shift
    for ns in "${ALL_NS[@]}"; do ns_exists "$ns" && left+=("$ns"); done
    for pid in "$@"; do pid_alive "$pid" && procs+=("pid:$pid"); done
    compgen -G "$STATE/pids/*.pid" >/dev/null && procs+=(pidfiles)
    if ((${#left[@]} == 0 && ${#procs[@]} == 0)); then
        report PASS "$num" "teardown: no namespace or process of prefix '$P' left" "no ${P}{router,lanbr,inside,server,outside}; $# recorded pids gone"
    else
        report FAIL "$num" "teardown: no namespace or process of prefix '$P' left" "left: ${left[*]} ${procs[*]}"
    fi
}

# --- demo / test --------------------------------------------------------------
diagram() {
    local w1 w2 w3 c=14 border
    w1=$(( ${#NS_OUTSIDE} > 16 ? ${#NS_OUTSIDE} : 16 ))
    w2=$(( ${#NS_ROUTER} > 2 * c + 3 ? ${#NS_ROUTER} : 2 * c + 3 ))
    w3=$(( ${#NS_LANBR} > 5 ? ${#NS_LANBR} : 5 ))
    diagram_row() {   # diagram_row LINK1 LINK2 BOX1 BOX2 BOX3 TAIL
        printf ' | %-*s |%s| %-*s |%s| %-*s |%s\n' "$w1" "$3" "$1" "$w2" "$4" "$2" "$w3" "$5" "$6"
    }
    border=$(printf ' +%s+    +%s+    +%s+' "$(printf '%*s' $((w1 + 2)) '' | tr ' ' -)" \
        "$(printf '%*s' $((w2 + 2)) '' | tr ' ' -)" "$(printf '%*s' $((w3 + 2)) '' | tr ' ' -)")
    say "Hairpin lab (prefix \"$P\"): every host below is a network namespace on this machine."
    say ""
    printf '   %-*s  %-*s  %s\n' $((w1 + 4)) '"Internet"' $((w2 + 4)) 'appliance' 'LAN segment (bridge)'
    say "$border"
    diagram_row '    ' '    ' "$NS_OUTSIDE" "$NS_ROUTER" "$NS_LANBR" "--- $NS_INSIDE  $INSIDE_IP/24"
    diagram_row '----' '----' "$OUTSIDE_IP/24" "$(printf '%-*s   %-*s' "$c" r-wan "$c" r-lan)" br0 ""
    diagram_row '    ' '    ' "$OUTSIDE_IP2/24" "$(printf '%-*s   %-*s' "$c" "$WAN_ADDR/24" "$c" "$LAN_ADDR/24")" "" "--- $NS_SERVER  $SERVER_IP/24"
    say "$border"
    cat <<EOF
 - r-wan/r-lan carry no kernel address: the appliance owns them (DPDK net_af_packet).
 - $NS_OUTSIDE routes $LAN_NET via $WAN_ADDR; $NS_INSIDE and $NS_SERVER default via $LAN_ADDR.
 - services: $NS_SERVER http $SERVER_IP:$SERVER_HTTP_PORT, echo-source $SERVER_IP:$SERVER_ECHO_PORT;
   $NS_OUTSIDE http $OUTSIDE_IP:$OUTSIDE_HTTP_PORT, echo-source $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT, UDP echo $OUTSIDE_IP:$UDP_PORT
EOF
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if ((CLEANUP_ON_EXIT)); then
        CLEANUP_ON_EXIT=0
        lab_down || warn "teardown reported an error"
    fi
    exit "$rc"
}
on_signal() { say "lab: interrupted, tearing down" >&2; exit 130; }

strip_dashdash() {   # prints nothing; sets APP_CMD array
    APP_CMD=("$@")
    if ((${#APP_CMD[@]})) && [[ "${APP_CMD[0]}" == -- ]]; then APP_CMD=("${APP_CMD[@]:1}"); fi
    ((${#APP_CMD[@]})) || die "give the appliance command after '--' (or '-- linux'), e.g.: $0 demo -- linux"
}

cmd_demo() {
    strip_dashdash "$@"
    CLEANUP_ON_EXIT=1
    diagram
    say ""
    lab_up
    if [[ "${APP_CMD[0]}" == linux ]]; then start_linux_router; else start_appliance "${APP_CMD[@]}"; fi
    say ""
    say "Checks:"
    run_checks
    say ""
    lab_down
    CLEANUP_ON_EXIT=0
    info "torn down (${SECONDS}s total; logs kept in $STATE/logs)"
    summary
    ((FAIL_N == 0))
}

cmd_test() {
    strip_dashdash "$@"
    CLEANUP_ON_EXIT=1
    local ready=1
    say "lab test: prefix '$P', appliance: ${APP_CMD[*]}"
    lab_up
    if [[ "${APP_CMD[0]}" == linux ]]; then
        ( start_linux_router ) || ready=0
    else
        ( start_appliance "${APP_CMD[@]}" ) || ready=0
    fi
    if ((ready)); then
        run_checks
        check_appliance_alive 10
    else
        report FAIL 0 "appliance became ready (ping $LAN_ADDR from inside)" "exited or no answer within ${READY_TIMEOUT}s; log tail above"
    fi
    local -a pids
    mapfile -t pids < <(recorded_pids)
    lab_down
    CLEANUP_ON_EXIT=0
    check_torn_down 11 "${pids[@]}"
    say "lab test: ${SECONDS}s"
    summary
    exit "$FAIL_N"
}

usage() {
    cat <<EOF
usage: $0 SUBCOMMAND [ARGS]
  up                      build the lab topology (tears down leftovers of the prefix first)
  down                    stop every lab process and delete the lab namespaces (safe when nothing exists)
  start-appliance CMD...  run CMD in ${P}router in the background, wait (<= ${READY_TIMEOUT}s) until it answers ping
                          on $LAN_ADDR; CMD 'linux' = start-linux-router
  start-linux-router      stand-in appliance: kernel forwarding with the appliance's addresses
  checks                  run checks 1-8, one PASS/FAIL line each, then "N passed, N failed"
  demo -- CMD...          diagram, up, start-appliance CMD, checks, down
  test -- CMD...          up, start-appliance CMD, checks 1-8, (9) appliance alive, down, (10) nothing left;
                          exit code = number of failed checks
environment: HP_LAB_PREFIX (default hp-), HP_LAB_STATE (default /tmp/hairpin-lab-\$prefix),
             HP_LAB_READY_TIMEOUT (default 30), HP_LAB_EXPECT_OUTBOUND_SRC (default $INSIDE_IP)
EOF
}

main() {
    local sub=${1:-}
    (($#)) && shift
    case "$sub" in
        ""|-h|--help|help) usage; [[ -n "$sub" ]]; return ;;
    esac
    validate_prefix
    need_root
    trap on_exit EXIT
    trap on_signal INT TERM
    case "$sub" in
        up)
            ensure_tools; need_netns
            CLEANUP_ON_EXIT=1; lab_up; CLEANUP_ON_EXIT=0 ;;
        down)
            need_netns; lab_down; info "down: prefix '$P' removed" ;;
        start-appliance)
            ensure_tools; need_netns; start_appliance "$@" ;;
        start-linux-router)
            ensure_tools; need_netns; start_linux_router ;;
        checks)
            ensure_tools; need_netns; cmd_checks ;;
        demo)
            ensure_tools; need_netns; cmd_demo "$@" ;;
        test)
            ensure_tools; need_netns; cmd_test "$@" ;;
        *) usage >&2; die "unknown subcommand '$sub'" ;;
    esac
}

main "$@"
