#!/usr/bin/env bash
# DNS and refusals: a DNS server that never answers (at start, and after a
# name resolved), a name whose first address refuses, and a refusing
# destination that must be logged and counted as dropped. Runs itself in a
# private network and mount namespace (unshare -n -m): loopback only, its own
# /etc/resolv.conf (a fake DNS server on 127.0.0.1:53, python3), /etc/hosts and
# /etc/nsswitch.conf, and real influxd instances there. Prints "N passed, M failed".
#   tests/integration/dns.sh ./procflux        (DNS_OUTAGE=30 for the 30 s runs)
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
if [ -z "${PROCFLUX_DNS_NS:-}" ]; then
    if ! unshare -n -m true 2>/dev/null; then
        echo "skip dns.sh: unshare -n -m is not permitted here"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
    PROCFLUX_DNS_NS=1 exec unshare -n -m "$0" "$bin"
fi
# In the namespaces from here on: nothing leaves loopback, nothing is mounted outside.
ip link set lo up
. "$here/influxd.sh"
outage=${DNS_OUTAGE:-10}
work=$(mktemp -d /tmp/procflux-dns.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    influx_use A; influxd_stop; influx_use B; influxd_stop
    rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1${2:+: $2}"; }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
skip() { skipped=$((skipped + 1)); echo "skip $1: $2"; }
influx_save() { eval "${1}_DIR=\${INFLUX_DIR:-} ${1}_HTTP=\${INFLUX_HTTP:-} ${1}_UDP=\${INFLUX_UDP:-} ${1}_PID=\${INFLUX_PID:-} ${1}_UDP2=\${INFLUX_UDP2:-}"; }
influx_use() { eval "INFLUX_DIR=\${${1}_DIR:-} INFLUX_HTTP=\${${1}_HTTP:-} INFLUX_UDP=\${${1}_UDP:-} INFLUX_PID=\${${1}_PID:-} INFLUX_UDP2=\${${1}_UDP2:-}"; }
value() { # $1: InfluxQL selecting one value → it (the default $2 when no series)
    influxd_query "$1" | python3 -c 'import json,sys
s = json.load(sys.stdin)["results"][0].get("series")
print(s[0]["values"][0][1] if s else sys.argv[1])' "${2:-0}"
}
now_ns() { date +%s%N; }
stop() { # $1: pid → SIGTERM, wait; sets rc and exit_ms (how long the exit took)
    local t0; t0=$(now_ns)
    kill -TERM "$1"; wait "$1"; rc=$?
    exit_ms=$(( ($(now_ns) - t0) / 1000000 ))
}

# The namespace's name service: files, then a DNS server of ours on 127.0.0.1:53.
printf 'hosts: files dns\n' > "$work/nsswitch.conf"
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' > "$work/resolv.conf"
printf '127.0.0.1 localhost\n' > "$work/hosts"
for f in nsswitch.conf resolv.conf hosts; do mount --bind "$work/$f" "/etc/$f" || { echo "cannot bind-mount /etc/$f"; exit 1; }; done
# The DNS server: with "answer" in $work/dns.mode it answers every A query with
# 127.0.0.1 (AAAA: no data); with "silent" it reads queries and never replies.
cat > "$work/dns.py" <<'PY'
import socket, struct, sys
mode_file = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    try:
        mode = open(mode_file).read().strip()
    except OSError:
        mode = "silent"
    if mode != "answer" or len(q) < 17:
        continue
    i = 12
    while q[i] != 0:
        i += q[i] + 1
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    an = qtype == 1
    head = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if an else 0, 0, 0)
    body = struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton("127.0.0.1") if an else b""
    s.sendto(head + question + body, peer)
PY
echo silent > "$work/dns.mode"
python3 "$work/dns.py" "$work/dns.mode" > "$work/dns.out" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do grep -q ready "$work/dns.out" 2>/dev/null && break; sleep 0.1; done

INFLUX_UDP2=free; influxd_start || exit 1
influx_save A

echo "== a DNS server that never answers: the numeric destination gets every tick (${outage} s)"
start=$(now_ns)
"$bin" --dest recv.example:8089 --dest "127.0.0.1:$INFLUX_UDP" --interval 100ms --flush 100ms \
    --stats-every 1s --host silent 2>"$work/silent.err" &
pid=$!; pids+=("$pid")
sleep "$outage"
stop "$pid"
sleep 0.6
dest="127.0.0.1:$INFLUX_UDP"
n=$(value "SELECT count(total) FROM mem WHERE host = 'silent'")
ticks=$(value "SELECT last(ticks) FROM procflux WHERE host = 'silent' AND dest = '$dest'" -1)
missed=$(value "SELECT last(ticks_missed) FROM procflux WHERE host = 'silent' AND dest = '$dest'" -1)
first=$(value "SELECT first(ticks) FROM procflux WHERE host = 'silent'" 0)
first_t=$(influxd_query "SELECT first(ticks) FROM procflux WHERE host = 'silent'" | python3 -c 'import json,sys
s = json.load(sys.stdin)["results"][0].get("series"); print(s[0]["values"][0][0] if s else 0)')
want=$(( outage * 10 - 15 ))
echo "     $n of ~$(( outage * 10 )) points landed at $dest; ticks=$ticks missed=$missed; SIGTERM took $exit_ms ms"
check "every tick sampled and landed at the numeric destination" '[ "$n" -ge "$want" ] && [ "$n" -eq "$ticks" ] && [ "$missed" -eq 0 ]' "points=$n ticks=$ticks missed=$missed (want >= $want)"
check "the first self-telemetry line within 2.5 s of start" '[ "$first_t" -gt 0 ] && [ $(( (first_t - start) / 1000000 )) -le 2500 ]' "first at +$(( (first_t - start) / 1000000 )) ms"
check "SIGTERM exits 0 within 1 s while a look-up hangs" '[ $rc -eq 0 ] && [ $exit_ms -le 1000 ]' "rc=$rc, $exit_ms ms"
check "says the name has no answer yet, naming it" 'grep -q "recv.example" "$work/silent.err"' "$(cat "$work/silent.err")"

echo "== a name that resolved, then its DNS server stopped answering (${outage} s outage)"
echo answer > "$work/dns.mode"
"$bin" --dest "recv.example:$INFLUX_UDP2" --dest "127.0.0.1:$INFLUX_UDP" --interval 100ms --flush 100ms \
    --resolve-every 1s --stats-every 1s --host lost 2>"$work/lost.err" &
pid=$!; pids+=("$pid")
sleep 2
threads=$(awk '/^Threads:/ {print $2}' /proc/$pid/status)
check "a --dest name adds one thread (two in all)" '[ "$threads" -eq 2 ]' "threads=$threads"
echo silent > "$work/dns.mode"; lost=$(now_ns)
sleep "$outage"
stop "$pid"
sleep 0.6
since="time > $((lost + 200000000)) AND time < $((lost + outage * 1000000000))"
n_num=$(value "SELECT count(total) FROM mem WHERE host = 'lost' AND $since")
n_name=$(INFLUX_DB=procflux2 value "SELECT count(total) FROM mem WHERE host = 'lost' AND $since")
missed=$(value "SELECT last(ticks_missed) FROM procflux WHERE host = 'lost' AND dest = '$dest'" -1)
echo "     during the outage: $n_name points at the name, $n_num at the number; SIGTERM took $exit_ms ms"
check "the name keeps its last good address: as many points as the number" '[ "$n_num" -ge $(( outage * 10 - 15 )) ] && [ "$n_name" -ge $(( n_num - 2 )) ] && [ "$missed" -eq 0 ]' "name=$n_name number=$n_num missed=$missed"
check "SIGTERM exits 0 within 1 s while a re-resolution hangs" '[ $rc -eq 0 ] && [ $exit_ms -le 1000 ]' "rc=$rc, $exit_ms ms"

echo "== a name whose first address refuses fails over to the next"
failover() { # $1: name, $2: hosts lines, $3: the receiver's address (IPv4), $4: label
    local name=$1 first port label=$4
    printf '127.0.0.1 localhost\n%b' "$2" > "$work/hosts"   # in place: same inode
    first=$(python3 -c 'import socket,sys; print(socket.getaddrinfo(sys.argv[1], 1, 0, socket.SOCK_DGRAM, socket.IPPROTO_UDP)[0][4][0])' "$name")
    if [ "$first" = "$3" ]; then
        skip "$4" "getaddrinfo puts the receiver's address $3 first here: no failover to test"
        return
    fi
    port=$(free_port udp)
    INFLUX_UDP=$port; INFLUX_UDP_IP=$3; INFLUX_UDP2=; influxd_start || exit 1
    unset INFLUX_UDP_IP
    influx_save B
    "$bin" --dest "$name:$port" --interval 100ms --flush 100ms --stats-every 0s --host "$4" 2>"$work/$4.err" &
    pid=$!; pids+=("$pid")
    sleep 6
    stop "$pid"
    sleep 0.6
    n=$(value "SELECT count(total) FROM mem WHERE host = '$4'")
    echo "     $n of ~60 points landed at $3 (first address $first)"
    check "$4: failed over from $first to $3 (points land)" '[ "$n" -ge 50 ]' "points=$n; $(cat "$work/$label.err")"
    check "$4: the move is logged" 'grep -q "trying its next address" "$work/$label.err"' "$(cat "$work/$4.err")"
    influxd_stop; B_PID=; B_DIR=
    influx_use A
}
failover two.test '127.0.0.2 two.test\n127.0.0.1 two.test\n' 127.0.0.2 failover-v4
if [ -n "$(ip -6 addr show dev lo 2>/dev/null)" ]; then
    failover six.test '::1 six.test\n127.0.0.1 six.test\n' 127.0.0.1 failover-v6v4
else
    skip "failover-v6v4" "no ::1 on lo"
fi

echo "== a refusing destination is logged and its lines count as dropped"
closed=$(free_port udp)
"$bin" --dest "127.0.0.1:$closed" --dest "127.0.0.1:$INFLUX_UDP" --interval 100ms --flush 100ms \
    --stats-every 1s --host refused 2>"$work/refused.err" &
pid=$!; pids+=("$pid")
sleep 5
stop "$pid"
sleep 0.6
live_sent=$(value "SELECT last(lines_sent) FROM procflux WHERE host = 'refused' AND dest = '$dest'")
dead_sent=$(value "SELECT last(lines_sent) FROM procflux WHERE host = 'refused' AND dest = '127.0.0.1:$closed'")
dead_dropped=$(value "SELECT last(lines_dropped) FROM procflux WHERE host = 'refused' AND dest = '127.0.0.1:$closed'")
dead_errors=$(value "SELECT last(send_errors) FROM procflux WHERE host = 'refused' AND dest = '127.0.0.1:$closed'")
nlog=$(grep -c "127.0.0.1:$closed.*refuses" "$work/refused.err")
echo "     refusing destination: lines_sent=$dead_sent lines_dropped=$dead_dropped send_errors=$dead_errors; live: lines_sent=$live_sent"
check "the refusal is logged, once in 5 s" '[ "$nlog" -eq 1 ]' "$(cat "$work/refused.err")"
check "what reached nobody is lines_dropped, not lines_sent" '[ "$dead_sent" -le $(( live_sent / 20 )) ] && [ "$dead_dropped" -ge $(( live_sent * 9 / 10 )) ] && [ "$dead_errors" -gt 0 ]' "dead: sent=$dead_sent dropped=$dead_dropped; live sent=$live_sent"

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
