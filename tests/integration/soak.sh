#!/usr/bin/env bash
# Soak (make soak; not part of make check): many procflux agents into one real
# influxd on loopback for a while, then, per agent, what landed vs the agent's
# own final self-telemetry (points landed == lines_sent + 1), the kernel's and
# influxd's drop counters, the CPU load, and agent 1's RSS and open fds after
# the warm-up and at the end. Prints a summary table and "N passed, M failed";
# exits non-zero on any failure.
#
#   tests/integration/soak.sh [BIN]           BIN defaults to ./procflux
#
# Knobs (environment):
#   SOAK_AGENTS=50          number of agents (--host agent-01, agent-02, ...)
#   SOAK_RATE=10ms          their --interval
#   SOAK_SECONDS=60         run length, counted from when the last agent started
#   SOAK_WARMUP=2           seconds before agent 1's first RSS/fd reading
#   SOAK_MAX_MISSED=0.1     allowed ticks_missed, percent of all ticks
#   INFLUX_READ_BUFFER=8388608  the [[udp]] listener's read-buffer (bytes; 0 = OS
#                           default, net.core.rmem_default). The kernel caps it at
#                           net.core.rmem_max and then doubles it (SO_RCVBUF).
#   SOAK_BATCH_SIZE=5000 SOAK_BATCH_PENDING=10 SOAK_BATCH_TIMEOUT=200ms
#                           the listener's batch-size, batch-pending, batch-timeout
#   SOAK_RMEM_MAX=BYTES     (root) raise net.core.rmem_max to at least this while influxd
#                           opens its socket, then put the old value back at once
#   SOAK_RXQ_POLL=0.005     period (s) of the sampler of the listener socket's receive
#                           queue (its peak vs rcvbuf is the headroom left); 0: off
#   SOAK_KEEP=1             keep the work dir (agent logs, influxd log, results)
#   SOAK_ARGS="..."         more options for every agent (e.g. --flush-jitter 0)
#   SOAK_STOP_SPREAD=0      seconds over which the agents get their SIGTERM, one after
#                           another (0: all at once, a burst of 50 final flushes)
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"

agents=${SOAK_AGENTS:-50}
rate=${SOAK_RATE:-10ms}
seconds=${SOAK_SECONDS:-60}
warmup=${SOAK_WARMUP:-2}
max_missed=${SOAK_MAX_MISSED:-0.1}
read_buffer=${INFLUX_READ_BUFFER:-8388608}
batch_size=${SOAK_BATCH_SIZE:-5000}
batch_pending=${SOAK_BATCH_PENDING:-10}
batch_timeout=${SOAK_BATCH_TIMEOUT:-200ms}
rxq_poll=${SOAK_RXQ_POLL:-0.005}

work=$(mktemp -d /tmp/procflux-soak.XXXXXX)
pids=()
rxq_pid='' rmem_saved=''
restore_rmem() {
    if [ -n "$rmem_saved" ]; then echo "$rmem_saved" > /proc/sys/net/core/rmem_max; fi
    rmem_saved=
}
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$rxq_pid" ] && kill "$rxq_pid" 2>/dev/null
    restore_rmem
    influxd_stop
    if [ -n "${SOAK_KEEP:-}" ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# influxd_start with the soak's listener knobs.
soak_influxd_start() {
    INFLUX_BATCH_SIZE=$batch_size INFLUX_BATCH_PENDING=$batch_pending \
        INFLUX_BATCH_TIMEOUT=$batch_timeout INFLUX_READ_BUFFER=$read_buffer influxd_start
}

snmp_udp() { # $1: column of /proc/net/snmp's Udp line (system-wide, all sockets)
    awk -v k="$1" '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c[k] }' /proc/net/snmp
}
sock_udp() { # $1: rx_queue|drops of the listener's own socket (/proc/net/udp)
    python3 "$here/soak_check.py" sock "$INFLUX_UDP" "$1"
}
rxq_sampler() { # $1 period (s), $2 output: the listener's receive queue, peak bytes
    python3 "$here/soak_check.py" rxq-sampler "$INFLUX_UDP" "$1" "$2" &
    rxq_pid=$!
}
proc_mem() { # $1 pid → "VmRSS VmHWM RssAnon Rss Anonymous fds": kB from status (the kernel's
    # counters), kB from smaps_rollup (exact: a walk of the page tables), open fds
    local st sm
    st=$(awk '/^(VmRSS|VmHWM|RssAnon):/ { v[$1] = $2 } END { print v["VmRSS:"], v["VmHWM:"], v["RssAnon:"] }' \
        "/proc/$1/status" 2>/dev/null)
    sm=$(awk '/^(Rss|Anonymous):/ { v[$1] = $2 } END { print v["Rss:"], v["Anonymous:"] }' \
        "/proc/$1/smaps_rollup" 2>/dev/null)
    echo "$st $sm $(ls "/proc/$1/fd" 2>/dev/null | wc -l)"
}
cpu_ticks() { # $1 pid → utime + stime (clock ticks)
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
cpu_ticks_sum() { local s=0 p; for p in "$@"; do s=$((s + $(cpu_ticks "$p"))); done; echo "$s"; }
machine() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat; } # total idle
stats_udp() { influxd_query "SHOW STATS FOR 'udp'"; }
points_rx() { python3 "$here/soak_check.py" points-rx "$INFLUX_HTTP"; }

if [ -n "${SOAK_RMEM_MAX:-}" ] && [ "$(cat /proc/sys/net/core/rmem_max)" -lt "$SOAK_RMEM_MAX" ]; then
    rmem_saved=$(cat /proc/sys/net/core/rmem_max)
    if ! (echo "$SOAK_RMEM_MAX" > /proc/sys/net/core/rmem_max) 2>/dev/null; then
        echo "soak: note: cannot raise net.core.rmem_max to $SOAK_RMEM_MAX (not root?); going on with $rmem_saved"
        rmem_saved=
    fi
fi
soak_influxd_start || { restore_rmem; exit 1; }
rmem_max=$(cat /proc/sys/net/core/rmem_max)
rmem_default=$(cat /proc/sys/net/core/rmem_default)
rcvbuf=$(ss -uamnH "sport = :$INFLUX_UDP" 2>/dev/null | grep -o 'rb[0-9]*' | head -1 | tr -d rb)
# The socket keeps its buffer size: the old limit can go back at once.
[ -n "$rmem_saved" ] && echo "soak: net.core.rmem_max was $rmem_saved, set to $rmem_max for influxd's socket, restored"
restore_rmem
echo "soak: $agents agents at --interval $rate for ${seconds}s into influxd $(influxd version 2>/dev/null | awk '{print $2}')" \
     "on 127.0.0.1:$INFLUX_UDP; $(nproc) CPUs"
echo "soak: read-buffer $read_buffer, net.core.rmem_max $rmem_max, rmem_default $rmem_default" \
     "-> socket rcvbuf ${rcvbuf:-?} bytes; batch-size $batch_size, batch-pending $batch_pending," \
     "batch-timeout $batch_timeout"
if [ "$read_buffer" -gt "$rmem_max" ]; then
    echo "soak: note: read-buffer $read_buffer > net.core.rmem_max $rmem_max: the kernel silently caps it"
fi

rcvbuf_before=$(snmp_udp RcvbufErrors) inerr_before=$(snmp_udp InErrors)
echo "0 0 0" > "$work/rxq"
[ "$rxq_poll" != 0 ] && rxq_sampler "$rxq_poll" "$work/rxq"
for i in $(seq 1 "$agents"); do
    host=$(printf 'agent-%02d' "$i")
    # shellcheck disable=SC2086  # SOAK_ARGS is a word list
    "$bin" --interval "$rate" --stats-every 1s --dest "127.0.0.1:$INFLUX_UDP" --host "$host" ${SOAK_ARGS:-} \
        2> "$work/$host.err" &
    pids+=($!)
done
pid1=${pids[0]}
t0=$(date +%s.%N)
sleep "$warmup"
kill -0 "$pid1" 2>/dev/null || { echo "agent-01 is not running"; cat "$work/agent-01.err"; exit 1; }
mem_start=$(proc_mem "$pid1")
read -r m_total0 m_idle0 <<< "$(machine)"
cpu_influx0=$(cpu_ticks "$INFLUX_PID") cpu_agents0=$(cpu_ticks_sum "${pids[@]}")
cpu_rxq0=$(cpu_ticks_sum $rxq_pid)
ts0=$(date +%s.%N)
echo "soak: agent-01 after ${warmup}s warm-up: VmRSS VmHWM RssAnon, smaps Rss Anonymous (kB), fds = $mem_start"
# Agent 1's memory every 10 s, for the trend (the verdict compares start and end).
echo "0 $mem_start" > "$work/mem.trend"
end=$(python3 -c "print($t0 + $seconds)")
while :; do
    left=$(python3 -c "import time; print(max(0.0, min(10.0, $end - time.time())))")
    [ "$left" = "0.0" ] && break
    sleep "$left"
    echo "$(python3 -c "import time; print(round(time.time() - $ts0))") $(proc_mem "$pid1")" >> "$work/mem.trend"
done
mem_end=$(proc_mem "$pid1")
read -r m_total1 m_idle1 <<< "$(machine)"
cpu_influx1=$(cpu_ticks "$INFLUX_PID") cpu_agents1=$(cpu_ticks_sum "${pids[@]}")
cpu_rxq1=$(cpu_ticks_sum $rxq_pid)
ts1=$(date +%s.%N)
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)

kill_ns=$(date +%s%N)
if [ "${SOAK_STOP_SPREAD:-0}" = 0 ]; then
    kill -TERM "${pids[@]}"
else
    # agents of a real fleet do not all stop in one instant: each one's final flush apart
    gap=$(python3 -c "print(${SOAK_STOP_SPREAD} / ${#pids[@]})")
    for p in "${pids[@]}"; do kill -TERM "$p"; sleep "$gap"; done
fi
[ -n "$rxq_pid" ] && kill -USR1 "$rxq_pid"
rcs=()
for p in "${pids[@]}"; do wait "$p"; rcs+=($?); done
pids=()
# Drain: the socket's queue empty and pointsRx steady, then the batch timeout twice over.
prev=-1
for _ in $(seq 1 60); do
    now_rx=$(points_rx)
    [ "$(sock_udp rx_queue)" = 0 ] && [ "$now_rx" = "$prev" ] && break
    prev=$now_rx
    sleep 0.5
done
sleep "$(python3 "$here/soak_check.py" settle "$batch_timeout")"
if [ -n "$rxq_pid" ]; then kill "$rxq_pid"; wait "$rxq_pid"; rxq_pid=; fi
rcvbuf_after=$(snmp_udp RcvbufErrors) inerr_after=$(snmp_udp InErrors)
sock_drops=$(sock_udp drops)

q() { influxd_query "$1"; echo; }
{
    echo "agents $agents"
    echo "rate $rate"
    echo "seconds $seconds"
    echo "warmup $warmup"
    echo "max_missed $max_missed"
    echo "rcs ${rcs[*]}"
    echo "kill_ns $kill_ns"
    echo "mem_start $mem_start"
    echo "mem_end $mem_end"
    echo "rcvbuf_errors $((rcvbuf_after - rcvbuf_before))"
    echo "in_errors $((inerr_after - inerr_before))"
    echo "sock_drops $sock_drops"
    echo "ncpu $(nproc)"
    echo "clk_tck $(getconf CLK_TCK)"
    echo "wall $(python3 -c "print($ts1 - $ts0)")"
    echo "machine $((m_total1 - m_total0)) $((m_idle1 - m_idle0))"
    echo "cpu_influx $((cpu_influx1 - cpu_influx0))"
    echo "cpu_agents $((cpu_agents1 - cpu_agents0))"
    echo "cpu_rxq $((cpu_rxq1 - cpu_rxq0))"
    echo "rxq $(cat "$work/rxq")"
    echo "loadavg $loadavg"
    echo "read_buffer $read_buffer"
    echo "rmem_max $rmem_max"
    echo "rcvbuf ${rcvbuf:-0}"
    echo "Q_final $(q 'SELECT last(ticks) AS ticks, last(ticks_missed) AS missed, last(lines_sent) AS lines_sent, last(lines_dropped) AS dropped, last(send_errors) AS errors, last(read_errors) AS read_errors, last(datagrams_sent) AS datagrams FROM procflux GROUP BY host')"
    echo "Q_last $(q 'SELECT last(ticks) FROM procflux GROUP BY host')"
    echo "Q_counts $(q 'SELECT count(total) FROM mem GROUP BY host; SELECT count(load1) FROM system GROUP BY host; SELECT count(ticks) FROM procflux GROUP BY host; SELECT count(usage_idle) FROM cpu GROUP BY host')"
    echo "Q_stats $(stats_udp)"
} > "$work/results"

python3 "$here/soak_check.py" report "$work/results" "$work/mem.trend"
status=$?
if [ $status -ne 0 ]; then
    echo "--- agent warnings (first 3 of each agent that had any)"
    for f in "$work"/agent-*.err; do
        grep -q -v ': info: ' "$f" && { echo "$(basename "$f" .err):"; grep -v ': info: ' "$f" | head -3; }
    done
fi
exit $status
