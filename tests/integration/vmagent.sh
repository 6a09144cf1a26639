#!/usr/bin/env bash
# Past one receiver: procflux -> vmagent (UDP line protocol, -influxListenAddr)
# -> two victoria-metrics servers (-remoteWrite.url twice: every sample to
# each), all on free loopback ports in a temp dir. After VMA_BEFORE seconds one
# server is stopped for VMA_OUTAGE seconds (vmagent queues its share on disk)
# and started again on the same port and data; procflux runs VMA_AFTER seconds
# more and is stopped. Both servers must end with every line procflux counted
# in lines_sent (its last procflux line counts every line before itself; a
# second --dest, a counting sink, gives that line independently of vmagent).
# Checks in vmagent_check.py; prints "N passed, M failed". Skips (a "skip"
# line, exit 0) when vmagent or victoria-metrics is not installed (Debian:
# apt-get install victoria-metrics, which contrib/deps.sh does).
#
#   tests/integration/vmagent.sh [BIN]      BIN defaults to ./procflux
#
# Environment: VMA_INTERVAL=100ms, VMA_BEFORE=5, VMA_OUTAGE=10, VMA_AFTER=5,
# VMA_CATCHUP=90 (seconds allowed for vmagent to deliver the queue), VMA_KEEP=1
# keeps the work dir.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
PFHELP=$here/pfhelp.py

for b in vmagent victoria-metrics; do
    if ! command -v "$b" >/dev/null; then
        echo "skip vmagent: $b is not installed (apt-get install victoria-metrics)"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
done

interval=${VMA_INTERVAL:-100ms}
before=${VMA_BEFORE:-5} outage=${VMA_OUTAGE:-10} after=${VMA_AFTER:-5}
work=$(mktemp -d /tmp/procflux-vmagent.XXXXXX)
pids=() vm_pid=() pf_pid='' sink_pid='' agent_pid=''
cleanup() {
    local p
    for p in $pf_pid $sink_pid $agent_pid "${vm_pid[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "${VMA_KEEP:-}" ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 "$PFHELP" free-port "$1"; }
wait_http() { # $1 port, $2 pid: /health answers, or the process died
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "vmagent.sh: the server on :$1 did not start; its log:" >&2
    cat "$work"/*.log >&2
    return 1
}
vm_start() { # $1 index (1|2): a single-node victoria-metrics on vm_port[$1], data in $work/vm$1
    # -search.latencyOffset=0s: queries see the newest samples (the default
    # hides the last 30 s); no -dedup.minScrapeInterval: every sample stays.
    victoria-metrics -storageDataPath="$work/vm$1" -httpListenAddr="127.0.0.1:${vm_port[$1]}" \
        -search.latencyOffset=0s -search.disableCache -loggerLevel=ERROR >>"$work/vm$1.log" 2>&1 &
    vm_pid[$1]=$!
    wait_http "${vm_port[$1]}" "${vm_pid[$1]}"
}
vm_stop() { kill "${vm_pid[$1]}" 2>/dev/null; wait "${vm_pid[$1]}" 2>/dev/null; vm_pid[$1]=''; }
agent_metric() { # $1: a vmagent metric name prefix -> the sum of its samples
    curl -sf "http://127.0.0.1:$agent_http/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'
}

declare -A vm_port
vm_port[1]=$(free_port tcp) vm_port[2]=$(free_port tcp)
agent_http=$(free_port tcp)
# -influxListenAddr takes TCP and UDP on the same port: find one free for both.
for _ in $(seq 1 20); do
    agent_lp=$(free_port udp)
    python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$agent_lp" \
        2>/dev/null && break
done
sink_port=$(free_port udp)

vm_start 1 || exit 1
vm_start 2 || exit 1
# -remoteWrite.tmpDataPath: the per-URL on-disk queues. flushInterval 1s
# (default) is how long vmagent gathers samples before a request.
vmagent -influxListenAddr="127.0.0.1:$agent_lp" -httpListenAddr="127.0.0.1:$agent_http" \
    -remoteWrite.url="http://127.0.0.1:${vm_port[1]}/api/v1/write" \
    -remoteWrite.url="http://127.0.0.1:${vm_port[2]}/api/v1/write" \
    -remoteWrite.tmpDataPath="$work/vmagent" -remoteWrite.flushInterval=1s \
    -loggerLevel=ERROR >>"$work/vmagent.log" 2>&1 &
agent_pid=$!
wait_http "$agent_http" "$agent_pid" || exit 1

python3 "$here/vmagent_check.py" sink "$sink_port" "$work/sink.lp" &
sink_pid=$!
sleep 0.3
t0=$(date +%s.%N)
"$bin" --dest "127.0.0.1:$agent_lp" --dest "127.0.0.1:$sink_port" --interval "$interval" \
    --host vmagent-test --stats-every 1s 2>"$work/procflux.log" &
pf_pid=$!
echo "vmagent: procflux --interval $interval -> vmagent -> 2 x victoria-metrics" \
     "$(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null); server 2 away for ${outage}s after ${before}s"
sleep "$before"
vm_stop 2
t_stop=$(date +%s.%N)
peak=0
for _ in $(seq 1 "$outage"); do
    sleep 1
    p=$(agent_metric vmagent_remotewrite_pending_data_bytes)
    [ "${p%.*}" -gt "$peak" ] 2>/dev/null && peak=${p%.*}
done
vm_start 2 || exit 1
t_back=$(date +%s.%N)
sleep "$after"
kill -TERM "$pf_pid"; wait "$pf_pid"; pf_pid=''
sleep 0.5
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null; sink_pid=''

# Every answer and timing to the checker, which waits (up to VMA_CATCHUP s)
# for both servers to hold every line and then checks.
python3 "$here/vmagent_check.py" check --sink "$work/sink.lp" --host vmagent-test \
    --vm "${vm_port[1]}" --vm "${vm_port[2]}" --agent "$agent_http" --t0 "$t0" --t-stop "$t_stop" \
    --t-back "$t_back" --peak-pending "$peak" --catchup "${VMA_CATCHUP:-90}" \
    --procflux-log "$work/procflux.log"
