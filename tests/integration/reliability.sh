#!/usr/bin/env bash
# Reliability: bad command lines, a receiver that is down, refusing or
# restarted, a name that does not resolve then moves, signals, missing or
# garbage /proc files, and the security promises. Real influxd instances on
# loopback; procflux run as a real process. Prints "N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"
work=$(mktemp -d /tmp/procflux-rel.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    influx_use A; influxd_stop; influx_use B; influxd_stop
    rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
# A failure names the script line of its check (the outermost call).
bad() { failed=$((failed + 1)); echo "FAIL $1${2:+: $2}"; echo "     at tests/integration/reliability.sh:${BASH_LINENO[-2]}"; }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
skip() { skipped=$((skipped + 1)); echo "skip $1: $2"; }

# Two influxd slots, A and B: influx_use switches the influxd.sh globals.
influx_save() { eval "${1}_DIR=\${INFLUX_DIR:-} ${1}_HTTP=\${INFLUX_HTTP:-} ${1}_UDP=\${INFLUX_UDP:-} ${1}_PID=\${INFLUX_PID:-}"; }
influx_use() { eval "INFLUX_DIR=\${${1}_DIR:-} INFLUX_HTTP=\${${1}_HTTP:-} INFLUX_UDP=\${${1}_UDP:-} INFLUX_PID=\${${1}_PID:-}"; }
count() { # $1: InfluxQL count query → the number (0 when no series)
    python3 "$PFHELP" value --default 0 "$INFLUX_HTTP" "$1"
}
final_stat() { # $1 field of the last procflux self-telemetry line (-1 when none)
    python3 "$PFHELP" value --default -1 "$INFLUX_HTTP" "SELECT last($1) FROM procflux"
}
now_ns() { date +%s%N; }

echo "== bad command lines: exit 2, one sentence naming the option and the value"
while IFS='|' read -r args want; do
    [ -z "$args" ] && continue
    eval "set -- $args"
    out=$(timeout 5 "$bin" "$@" 2>&1 >/dev/null); rc=$?
    lines=$(printf '%s\n' "$out" | wc -l)
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && printf '%s' "$out" | grep -qF -- "$want"; then
        ok "procflux $args -> 2: $out"
    else
        bad "procflux $args" "rc=$rc, message '$out' should contain '$want'"
    fi
done <<'CASES'
--interval 10|--interval: '10'
--interval 0.5ms|'0.5ms'
--interval 2d|'2d'
--interval|--interval
--flush 0s|--flush: '0s'
--payload 511|--payload: '511'
--payload 65508|'65508'
--payload 1k|'1k'
--dest localhost|--dest: 'localhost'
--dest 127.0.0.1:0|port '0'
--dest 127.0.0.1:65536|port '65536'
--dest ::1:8089|'::1:8089'
--dest [::1]8089|'[::1]8089'
--tag novalue|--tag: 'novalue'
--tag =v|--tag: '=v'
--tag k=|--tag: 'k='
--tag a=1 --tag a=2|'a=2'
--tag host=x|--host
--precision xs|--precision: 'xs'
--collect cpu,disk|'disk'
--stats-every -1s|--stats-every: '-1s'
--resolve-every 0.5s|--resolve-every: '0.5s'
--bogus|'--bogus'
stray|'stray'
CASES

echo "== missing and garbage /proc files"
root="$work/proc-nomem"; mkdir -p "$root"
cp /proc/stat /proc/loadavg /proc/uptime "$root/"
out=$("$bin" --proc-root "$root" --once --stdout --cpu-time --interval 50ms 2>"$work/err"); rc=$?
check "a missing meminfo disables mem only (exit 0)" '[ $rc -eq 0 ]' "rc=$rc"
check "exactly one warning, naming the file" '[ "$(wc -l < "$work/err")" -eq 1 ] && grep -q "mem collector disabled.*meminfo" "$work/err"' "$(cat "$work/err")"
check "cpu and system still emitted, no mem" 'printf "%s\n" "$out" | grep -q "^cpu," && printf "%s\n" "$out" | grep -q "^system," && ! printf "%s\n" "$out" | grep -q "^mem,"'
"$bin" --proc-root "$work/nowhere" --once --stdout >/dev/null 2>"$work/err"; rc=$?
check "no readable collector at all: exit 3 with a sentence" '[ $rc -eq 3 ] && grep -q "no collector could start" "$work/err"' "rc=$rc $(cat "$work/err")"
root="$work/proc-garbage"; mkdir -p "$root"
head -c 20000 /dev/urandom > "$root/stat"
printf 'MemTotal: 18446744073709551615 kB\nMemFree: -5 kB\nCached: 12abc kB\nnonsense\n' > "$root/meminfo"
printf 'nan inf -1 2/3 4\n' > "$root/loadavg"
printf '1e400 2\n' > "$root/uptime"
out=$("$bin" --proc-root "$root" --once --stdout --interval 50ms 2>"$work/err"); rc=$?
check "garbage /proc content: no crash (exit 0)" '[ $rc -eq 0 ]' "rc=$rc"
check "garbage /proc content: no line written" '[ -z "$out" ]' "$out"
check "garbage stat disables cpu with a warning" 'grep -q "cpu collector disabled" "$work/err"' "$(cat "$work/err")"

echo "== receiver down, then up"
port=$(free_port udp)
"$bin" --interval 50ms --flush 200ms --dest "127.0.0.1:$port" --stats-every 1s 2>"$work/down.err" &
pid=$!; pids+=("$pid")
sleep 2.5
INFLUX_UDP=$port; influxd_start || exit 1
influx_save A
up=$(now_ns)
sleep 2
kill -TERM "$pid"; wait "$pid"; rc=$?
sleep 0.6
check "exit 0 on SIGTERM after a refusing receiver" '[ $rc -eq 0 ]' "rc=$rc"
first=$(python3 "$PFHELP" value --col 0 --default 0 "$INFLUX_HTTP" "SELECT first(total) FROM mem" 2>/dev/null || echo 0)
# Lines sampled up to one flush (200ms) before the receiver came back are sent at the next flush.
check "delivers again within one flush of the receiver coming back" '[ "$first" -gt 0 ] && [ "$first" -le $((up + 200000000 + 100000000)) ]' "first point $(( (first - up) / 1000000 )) ms after up"
errs=$(final_stat send_errors); ticks=$(final_stat ticks); missed=$(final_stat ticks_missed); dropped=$(final_stat lines_dropped)
# Each refusal (ICMP port unreachable, reported on the next send) is a send
# error; the datagram that met it is retried once, and what is sent while the
# receiver refuses counts in lines_dropped once a later refusal says so.
check "refusals were counted while down" '[ "$errs" -gt 0 ]' "send_errors=$errs lines_dropped=$dropped"
check "kept sampling on time while down (ticks ~ 90, none missed)" '[ "$ticks" -ge 85 ] && [ "$missed" -eq 0 ]' "ticks=$ticks missed=$missed"
nlog=$(grep -c "failed" "$work/down.err")
check "at most one log line per 10 s about send failures" '[ "$nlog" -le 1 ]' "$(cat "$work/down.err")"

echo "== receiver restarted"
"$bin" --interval 50ms --flush 200ms --dest "127.0.0.1:$INFLUX_UDP" --stats-every 0s 2>/dev/null &
pid=$!; pids+=("$pid")
sleep 1
influxd_restart || exit 1
influx_save A
back=$(now_ns)
sleep 1.5
kill -TERM "$pid"; wait "$pid"
sleep 0.6
after=$(count "SELECT count(total) FROM mem WHERE time > $((back + 300000000))")
check "points land again after a receiver restart" '[ "$after" -ge 15 ]' "points after restart: $after"
influxd_stop; A_PID=; A_DIR=

echo "== SIGTERM with a long --flush sends everything sampled"
unset INFLUX_UDP
influxd_start || exit 1
influx_save A
"$bin" --interval 50ms --flush 1m --dest "127.0.0.1:$INFLUX_UDP" --stats-every 1h 2>/dev/null &
pid=$!; pids+=("$pid")
sleep 0.5
before=$(count "SELECT count(total) FROM mem")
sleep 1.5
kill -TERM "$pid"; wait "$pid"; rc=$?
sleep 0.6
n=$(count "SELECT count(total) FROM mem"); ticks=$(final_stat ticks)
check "nothing sent before the flush deadline" '[ "$before" -eq 0 ]' "$before points before SIGTERM"
check "every tick landed after SIGTERM (mem points == ticks)" '[ "$n" -eq "$ticks" ] && [ "$n" -ge 35 ] && [ $rc -eq 0 ]' "points=$n ticks=$ticks rc=$rc"
"$bin" --interval 50ms --flush 1m --dest "127.0.0.1:$INFLUX_UDP" --stats-every 1h --host sigint 2>/dev/null &
pid=$!; pids+=("$pid")
sleep 1; kill -INT "$pid"; wait "$pid"; rc=$?; sleep 0.6
n=$(count "SELECT count(total) FROM mem WHERE host = 'sigint'")
check "SIGINT also sends everything and exits 0" '[ $rc -eq 0 ] && [ "$n" -ge 15 ]' "rc=$rc points=$n"

echo "== a line longer than the payload"
"$bin" --interval 20ms --flush 100ms --payload 512 --dest "127.0.0.1:$INFLUX_UDP" --stats-every 1h \
    --host toolong 2>"$work/long.err" &
pid=$!; pids+=("$pid")
sleep 2; kill -TERM "$pid"; wait "$pid"; rc=$?; sleep 0.6
dropped=$(python3 "$PFHELP" value --default -1 "$INFLUX_HTTP" "SELECT last(lines_dropped) FROM procflux WHERE host = 'toolong'")
nmem=$(count "SELECT count(total) FROM mem WHERE host = 'toolong'")
ncpu=$(count "SELECT count(usage_idle) FROM cpu WHERE host = 'toolong'")
nwarn=$(grep -c "longer than the 512-byte payload" "$work/long.err")
check "too-long lines (mem) are counted, the rest still lands" '[ $rc -eq 0 ] && [ "$dropped" -ge 90 ] && [ "$nmem" -eq 0 ] && [ "$ncpu" -ge 150 ]' "rc=$rc dropped=$dropped mem=$nmem cpu=$ncpu"
check "and warned about once per 10 s, not per line" '[ "$nwarn" -eq 1 ]' "$(cat "$work/long.err")"

echo "== security"
"$bin" --interval 100ms --dest "127.0.0.1:$INFLUX_UDP" 2>/dev/null &
pid=$!; pids+=("$pid")
sleep 0.5
socks=$(ss -Hanp 2>/dev/null | grep "pid=$pid," || true)
check "no listening socket: one connected UDP socket" '[ "$(printf "%s\n" "$socks" | grep -c .)" -eq 1 ] && printf "%s" "$socks" | grep -q "^udp *ESTAB"' "$socks"
fds1=$(ls /proc/$pid/fd | wc -l); threads=$(awk '/^Threads:/ {print $2}' /proc/$pid/status)
sleep 1.5
fds2=$(ls /proc/$pid/fd | wc -l)
check "one thread, a fixed number of fds" '[ "$threads" -eq 1 ] && [ "$fds1" -eq "$fds2" ]' "threads=$threads fds $fds1 -> $fds2"
kill "$pid"; wait "$pid" 2>/dev/null
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    cp "$bin" "$work/procflux"; chmod 755 "$work" "$work/procflux"
    out=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$work/procflux" --once --stdout --interval 50ms 2>&1); rc=$?
    check "runs as an unprivileged user" '[ $rc -eq 0 ] && printf "%s" "$out" | grep -q "^mem,"' "rc=$rc $out"
else
    skip "runs as an unprivileged user" "setpriv or user nobody missing"
fi
if command -v strace >/dev/null; then
    strace -f -qq -e trace=open,openat -o "$work/strace" "$bin" --once --stdout --interval 50ms >/dev/null 2>&1
    # A sanitizer runtime reads /proc/self/* for itself; procflux never does.
    self='"/proc/self/'; grep -qa '__asan_init\|__ubsan_handle' "$bin" || self='^$'
    procs=$(grep -o '"/proc/[^"]*"' "$work/strace" | grep -v "$self" | sort -u | tr '\n' ' ')
    check "reads only its /proc files" '[ "$procs" = "\"/proc/loadavg\" \"/proc/meminfo\" \"/proc/stat\" \"/proc/uptime\" " ]' "$procs"
else
    skip "reads only its /proc files" "strace missing"
fi

echo "== a name that does not resolve at start, then moves"
if unshare -m true 2>/dev/null; then
    hosts="$work/hosts"; printf '127.0.0.1 localhost\n' > "$hosts"
    name=procflux-receiver
    port=$INFLUX_UDP
    unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$hosts" \
        "$bin" --interval 50ms --flush 200ms --dest "$name:$port" --resolve-every 1s --stats-every 0s \
        --host moving 2>"$work/dns.err" &
    pid=$!; pids+=("$pid")
    sleep 1
    check "starts anyway and says so, naming the host" 'kill -0 $pid && grep -q "cannot resolve $name" "$work/dns.err"' "$(cat "$work/dns.err")"
    printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$name" > "$hosts"   # in place: same inode
    sleep 3.5
    n1=$(count "SELECT count(total) FROM mem WHERE host = 'moving'")
    check "resolved on a retry: points land" '[ "$n1" -ge 10 ]' "points=$n1; $(cat "$work/dns.err")"
    # The receiver moves to 127.0.0.2 (same port): a second influxd there.
    INFLUX_UDP=$port; INFLUX_UDP_IP=127.0.0.2; influxd_start || exit 1; unset INFLUX_UDP_IP
    influx_save B
    printf '127.0.0.1 localhost\n127.0.0.2 %s\n' "$name" > "$hosts"
    sleep 3
    kill -TERM "$pid"; wait "$pid"; sleep 0.6
    influx_use B
    n2=$(count "SELECT count(total) FROM mem WHERE host = 'moving'")
    check "follows the receiver to its new address (--resolve-every)" '[ "$n2" -ge 20 ]' "points at new address=$n2"
    # SIGHUP resolves again at once, even with periodic resolution off.
    printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$name" > "$hosts"
    influx_use A
    unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$hosts" \
        "$bin" --interval 50ms --flush 200ms --dest "$name:$port" --resolve-every 0s --stats-every 0s \
        --host hup 2>"$work/hup.err" &
    pid=$!; pids+=("$pid")
    sleep 1
    printf '127.0.0.1 localhost\n127.0.0.2 %s\n' "$name" > "$hosts"
    kill -HUP "$pid"; hup=$(now_ns)
    sleep 1.5
    alive=0; kill -0 "$pid" 2>/dev/null && alive=1
    kill -TERM "$pid"; wait "$pid"; sleep 0.6
    influx_use B
    n3=$(count "SELECT count(total) FROM mem WHERE host = 'hup' AND time > $((hup + 300000000))")
    check "SIGHUP: keeps running, re-resolves at once" '[ $alive -eq 1 ] && [ "$n3" -ge 15 ]' "alive=$alive points=$n3; $(cat "$work/hup.err")"
    influxd_stop; B_PID=; B_DIR=
    influx_use A
else
    skip "name resolution tests" "unshare -m is not permitted here"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
