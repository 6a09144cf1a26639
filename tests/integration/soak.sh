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
    python3 - "$INFLUX_UDP" "$1" <<'PY'
import sys
port, key, s = int(sys.argv[1]), sys.argv[2], 0
for line in list(open("/proc/net/udp"))[1:]:
    f = line.split()
    if int(f[1].split(":")[1], 16) == port:
        s += int(f[-1]) if key == "drops" else int(f[4].split(":")[1], 16)
print(s)
PY
}
rxq_sampler() { # $1 period (s), $2 output: the listener's receive queue, peak bytes
    python3 - "$INFLUX_UDP" "$1" "$2" <<'PY' &
import signal, sys, time
port, period, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
peak = [0, 0]   # while the agents run; from their SIGTERM on (SIGUSR1)
phase = polls = 0
def stopping(*_):
    global phase
    phase = 1
signal.signal(signal.SIGUSR1, stopping)
f = open("/proc/net/udp")
try:
    while True:
        f.seek(0)
        for line in f.read().splitlines()[1:]:
            p = line.split()
            if int(p[1].split(":")[1], 16) == port:
                peak[phase] = max(peak[phase], int(p[4].split(":")[1], 16))
        polls += 1
        time.sleep(period)
finally:
    open(out, "w").write("%d %d %d\n" % (peak[0], peak[1], polls))
PY
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
points_rx() {
    stats_udp | python3 -c 'import json,sys
s = json.load(sys.stdin)["results"][0].get("series") or [{"columns": [], "values": [[]]}]
print(dict(zip(s[0]["columns"], s[0]["values"][0])).get("pointsRx", 0))'
}

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
    "$bin" --interval "$rate" --stats-every 1s --dest "127.0.0.1:$INFLUX_UDP" --host "$host" \
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
kill -TERM "${pids[@]}"
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
sleep "$(python3 -c "
s = '$batch_timeout'
u = {'ns': 1e-9, 'us': 1e-6, 'µs': 1e-6, 'ms': 1e-3, 's': 1, 'm': 60, 'h': 3600}
for k in sorted(u, key=len, reverse=True):
    if s.endswith(k): print(2 * float(s[:-len(k)]) * u[k] + 0.5); break
else: print(1)")"
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

python3 - "$work/results" "$work/mem.trend" <<'PY'
import json, sys
res = {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition(" ")
    res[k] = json.loads(v) if k.startswith("Q_") else v
passed = failed = 0
def check(name, ok, detail=""):
    global passed, failed
    if ok: passed += 1
    else: failed += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or detail == "" else ": " + str(detail)))

def by_host(q, i=0):
    return {s["tags"]["host"]: dict(zip(s["columns"], s["values"][0]))
            for s in q["results"][i].get("series", [])}

n = int(res["agents"])
hosts = ["agent-%02d" % i for i in range(1, n + 1)]
final = by_host(res["Q_final"])
last = by_host(res["Q_last"])
counts = [by_host(res["Q_counts"], i) for i in range(4)]
kill_ns = int(res["kill_ns"])

rows, tot = [], dict(expected=0, landed=0, ticks=0, missed=0, dropped=0, errors=0, read_errors=0)
missing_final = []
for h in hosts:
    f = final.get(h, {})
    landed = sum(c.get(h, {}).get("count", 0) for c in counts)
    expected = f.get("lines_sent", -1) + 1 if f else 0
    # The final line is stamped after the SIGTERM (kill_ns); the periodic ones
    # before it. Without it this agent's totals are not the final ones.
    if not f or last.get(h, {}).get("time", 0) < kill_ns:
        missing_final.append(h)
    # Without its final line an agent lost at least that line; its expected count
    # (from an earlier line) is then only a lower bound.
    lost = expected - landed if h not in missing_final else max(1, expected - landed)
    r = dict(final=h not in missing_final, host=h, ticks=f.get("ticks", 0), missed=f.get("missed", 0),
             expected=expected, landed=landed, lost=lost, dropped=f.get("dropped", 0),
             errors=f.get("errors", 0), read_errors=f.get("read_errors", 0))
    rows.append(r)
    for k in tot: tot[k] += r[k]
tot["lost"] = sum(r["lost"] for r in rows)

fmt = "%-9s %7s %7s %9s %9s %7s %8s %7s"
print(fmt % ("host", "ticks", "missed", "sent+1", "landed", "lost", "dropped", "senderr"))
for r in rows:
    print(fmt % (r["host"] + ("" if r["final"] else "*"), r["ticks"], r["missed"], r["expected"], r["landed"], r["lost"], r["dropped"], r["errors"]))
print(fmt % ("total", tot["ticks"], tot["missed"], tot["expected"], tot["landed"],
             tot["lost"], tot["dropped"], tot["errors"]))

loss = tot["lost"] / tot["expected"] if tot["expected"] else 1.0
missed_pct = 100.0 * tot["missed"] / (tot["ticks"] + tot["missed"]) if tot["ticks"] else 100.0
pts_per_s = tot["landed"] / float(res["seconds"])

udp = res["Q_stats"]["results"][0].get("series", [])
st = dict(zip(udp[0]["columns"], udp[0]["values"][0])) if udp else {}
ncpu, hz = int(res["ncpu"]), int(res["clk_tck"])
wall = float(res["wall"])
m_total, m_idle = map(int, res["machine"].split())
busy = 100.0 * (m_total - m_idle) / m_total if m_total else 0.0
cpu_influx = 100.0 * int(res["cpu_influx"]) / hz / wall
cpu_agents = 100.0 * int(res["cpu_agents"]) / hz / wall
cpu_rxq = 100.0 * int(res["cpu_rxq"]) / hz / wall
other = busy * ncpu - cpu_influx - cpu_agents - cpu_rxq
rxq_run, rxq_stop, rxq_polls = map(int, res["rxq"].split())
if missing_final:
    print("* this agent's final self-telemetry line was lost: its counters are from an earlier one,"
          " so its loss is a lower bound")
print()
print("loss: %s%d of %d lines (%.4f %%); ticks_missed %d of %d (%.3f %%); ~%.0f points/s landed"
      % (">= " if missing_final else "", tot["lost"], tot["expected"], 100 * loss, tot["missed"],
         tot["ticks"] + tot["missed"], missed_pct, pts_per_s))
print("influxd SHOW STATS FOR 'udp': pointsRx %s, pointsParseFail %s, batchesTxFail %s, readFail %s, batchesTx %s, bytesRx %s"
      % tuple(st.get(k, "?") for k in ("pointsRx", "pointsParseFail", "batchesTxFail", "readFail", "batchesTx", "bytesRx")))
print("kernel: listener socket drops %s; Udp RcvbufErrors +%s, InErrors +%s (system-wide, all sockets)"
      % (res["sock_drops"], res["rcvbuf_errors"], res["in_errors"]))
rb = max(1, int(res["rcvbuf"]))
print("receiver: read-buffer %s, net.core.rmem_max %s -> socket rcvbuf %s; peak receive queue seen"
      " %d bytes (%.0f %%) while running, %d bytes (%.0f %%) at the SIGTERM flush (%d polls)"
      % (res["read_buffer"], res["rmem_max"], res["rcvbuf"], rxq_run, 100.0 * rxq_run / rb,
         rxq_stop, 100.0 * rxq_stop / rb, rxq_polls))
print("CPU over %.0f s: machine %.0f %% busy of %d CPUs (load avg %s); influxd %.0f %% of a CPU, "
      "%d agents %.0f %% of a CPU in all (%.2f %% each), queue sampler %.0f %%, everything else %.0f %% of a CPU"
      % (wall, busy, ncpu, res["loadavg"], cpu_influx, n, cpu_agents, cpu_agents / n, cpu_rxq, other))
cols = ("VmRSS", "VmHWM", "RssAnon", "Rss", "Anonymous", "fds")
ms = dict(zip(cols, map(int, res["mem_start"].split())))
me = dict(zip(cols, map(int, res["mem_end"].split())))
print("agent-01 after the warm-up -> at the end (kB; smaps_rollup's Rss and Anonymous are exact): "
      + ", ".join("%s %d -> %d" % (c, ms[c], me[c]) for c in cols))
print("agent-01 trend (s after warm-up: " + " ".join(cols) + "): "
      + "; ".join("%s: %s" % (l.split()[0], " ".join(l.split()[1:])) for l in open(sys.argv[2])))
print()

rcs = res["rcs"].split()
check("all %d agents exited 0 on SIGTERM" % n, all(r == "0" for r in rcs) and len(rcs) == n,
      [(h, r) for h, r in zip(hosts, rcs) if r != "0"])
check("every agent's final self-telemetry line landed", not missing_final, missing_final)
check("no parse failures (pointsParseFail == 0)", udp and st.get("pointsParseFail", 0) == 0, st)
check("no failed writes or reads in influxd (batchesTxFail == readFail == 0)",
      udp and st.get("batchesTxFail", 0) == 0 and st.get("readFail", 0) == 0, st)
check("ticks_missed <= %s %% of ticks" % res["max_missed"], missed_pct <= float(res["max_missed"]),
      "%.3f %%" % missed_pct)
check("nothing dropped or failed in the agents (lines_dropped, send_errors, read_errors == 0)",
      tot["dropped"] == 0 and tot["errors"] == 0 and tot["read_errors"] == 0, tot)
check("no agent landed more than it sent (no double counting)",
      all(r["lost"] >= 0 for r in rows if r["final"]), [r["host"] for r in rows if r["final"] and r["lost"] < 0])
check("zero loss: landed == lines_sent + 1 for every agent", not missing_final and all(r["lost"] == 0 for r in rows),
      "%s%d lost (%.4f %%); kernel socket drops %s" % (">= " if missing_final else "", tot["lost"], 100 * loss,
                                                     res["sock_drops"]))
check("influxd pointsRx == points landed", st.get("pointsRx") == tot["landed"], (st.get("pointsRx"), tot["landed"]))
# "Must not grow" means 0 pages. procflux allocates nothing after start-up, and
# by the end of the warm-up (hundreds of ticks, several flushes and stats lines)
# every buffer and every steady-state code path has been touched; a process
# that faults in no new page has constant counters, so any growth at all is
# memory the steady state keeps taking. smaps_rollup's Anonymous (heap, stack,
# libev's arrays) is counted exactly from the page tables, free of the
# kernel's batched RSS counters behind VmRSS, which is why it, not VmRSS, is
# compared; VmHWM, the peak of VmRSS, catches growth that came and went
# between the two readings.
check("agent-01 open fds did not grow (%d -> %d)" % (ms["fds"], me["fds"]), me["fds"] <= ms["fds"])
check("agent-01 anonymous memory did not grow (smaps_rollup Anonymous %d -> %d kB)"
      % (ms["Anonymous"], me["Anonymous"]), me["Anonymous"] <= ms["Anonymous"])
check("agent-01 peak RSS did not grow (VmHWM %d -> %d kB)" % (ms["VmHWM"], me["VmHWM"]),
      me["VmHWM"] <= ms["VmHWM"])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
status=$?
if [ $status -ne 0 ]; then
    echo "--- agent warnings (first 3 of each agent that had any)"
    for f in "$work"/agent-*.err; do
        grep -q -v ': info: ' "$f" && { echo "$(basename "$f" .err):"; grep -v ': info: ' "$f" | head -3; }
    done
fi
exit $status
