#!/usr/bin/env bash
# Integration test of --window, --fields and repeated --dest, with a
# real influxd holding two [[udp]] listeners (databases procflux, procflux2),
# everything read back over its HTTP API.
#  1. fan-out: three destinations, two listening and one port with nothing on
#     it; both listeners get every line, each destination has its own procflux
#     line (tag dest) and counters; the dead one's errors stay its own.
#  2. burst capture: 5 ms ticks, 500 ms windows, a 150 ms CPU burst on cpu0;
#     the window holding it shows usage_user_max near 100 with a mean far below;
#     min <= mean <= max everywhere; only the --fields asked for arrive.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"
trap influxd_stop EXIT

INFLUX_UDP2=free
influxd_start || exit 1
dead=$(free_port udp)   # nothing listens here: sends are refused
q() { influxd_query "$1"; echo; }
q2() { INFLUX_DB=procflux2 influxd_query "$1"; echo; }

# ---- 1. fan-out ---------------------------------------------------------------
"$bin" --interval 50ms --flush 250ms --stats-every 1s --collect cpu,mem --no-percpu \
    --dest "127.0.0.1:$INFLUX_UDP" --dest "127.0.0.1:$dead" --dest "127.0.0.1:$INFLUX_UDP2" \
    2> "$INFLUX_DIR/fanout.err" &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"; rc1=$?
sleep 1
{
    echo "rc1 $rc1"
    echo "dead $dead"
    echo "udp1 $INFLUX_UDP"
    echo "udp2 $INFLUX_UDP2"
    for db in 1 2; do
        f=q; [ $db = 2 ] && f=q2
        echo "Q_count$db $($f 'SELECT count(usage_idle) FROM cpu; SELECT count(total) FROM mem; SELECT count(ticks) FROM procflux')"
        echo "Q_self$db $($f 'SELECT last(lines_sent) AS lines_sent, last(send_errors) AS send_errors, last(ticks) AS ticks, last(datagrams_sent) AS datagrams FROM procflux GROUP BY dest')"
    done
} > "$INFLUX_DIR/fanout"

# ---- 2. burst capture with field selection --------------------------------------
influxd_query 'DROP MEASUREMENT cpu' >/dev/null; influxd_query 'DROP MEASUREMENT mem' >/dev/null
"$bin" --interval 5ms --window 500ms --flush 250ms --stats-every 0s --collect cpu,mem \
    --fields 'cpu:usage_user*,usage_system_max' --fields 'mem:used_percent_max' \
    --dest "127.0.0.1:$INFLUX_UDP" 2> "$INFLUX_DIR/window.err" &
pid=$!
sleep 1.2
taskset -c 0 timeout 0.15 sh -c 'while :; do :; done'
sleep 1.8
kill -TERM "$pid"
wait "$pid"; rc2=$?
sleep 1
{
    echo "rc2 $rc2"
    echo "Q_keys $(q 'SHOW FIELD KEYS FROM cpu; SHOW FIELD KEYS FROM mem')"
    echo "Q_win $(q "SELECT usage_user, usage_user_min, usage_user_mean, usage_user_max FROM cpu WHERE cpu = 'cpu0'")"
    echo "Q_all $(q 'SELECT usage_user, usage_user_min, usage_user_mean, usage_user_max FROM cpu GROUP BY cpu')"
    echo "Q_stats $(influxd_query "SHOW STATS FOR 'udp'")"
} > "$INFLUX_DIR/window"

# ---- 3. a stall across a window's end ---------------------------------------------
# 100 ms ticks, 1 s windows, on standard output. A 0.5 s burst on cpu0 at X.05,
# then procflux is stopped (SIGSTOP) at X.8 and continued at X+2.3: window
# (X, X+1] never got its last tick, so it must not be sent at all, least of all
# under a later window's time; the window procflux started in is not sent.
python3 - "$bin" > "$INFLUX_DIR/stall" <<'PY'
import os, signal, subprocess, sys, time
start = time.time()
p = subprocess.Popen([sys.argv[1], "--stdout", "--interval", "100ms", "--window", "1s", "--collect", "cpu",
                      "--no-totalcpu", "--stats-every", "0s", "--fields", "cpu:usage_user_max,usage_user_mean"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def until(t):
    time.sleep(max(0, t - time.time()))
X = int(start) + 2
until(X + 0.05)
burn = subprocess.Popen(["taskset", "-c", "0", "timeout", "0.5", "sh", "-c", "while :; do :; done"])
until(X + 0.8); p.send_signal(signal.SIGSTOP)
until(X + 2.3); p.send_signal(signal.SIGCONT)
until(X + 4.2); p.terminate()
out = p.communicate()[0].decode()
burn.wait()
print("start %.6f X %d" % (start, X))
sys.stdout.write(out)
PY
python3 - "$INFLUX_DIR/fanout" "$INFLUX_DIR/window" "$INFLUX_DIR/stall" <<'PY'
import json, sys
res = {}
stall = open(sys.argv[3]).read().split("\n")
for path in sys.argv[1:3]:
    for line in open(path):
        k, _, v = line.rstrip("\n").partition(" ")
        res[k] = json.loads(v) if k.startswith("Q_") else v
passed = failed = 0
def check(name, ok, detail=""):
    global passed, failed
    if ok: passed += 1
    else: failed += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
def series(q, i=0):
    return q["results"][i].get("series", [])
def count(q, i):
    s = series(q, i)
    return s[0]["values"][0][1] if s else 0

# 1. fan-out
check("fan-out: procflux exited 0", res["rc1"] == "0", res["rc1"])
c1 = [count(res["Q_count1"], i) for i in range(3)]
c2 = [count(res["Q_count2"], i) for i in range(3)]
check("fan-out: both listeners got the same lines", c1 == c2 and c1[0] > 40, (c1, c2))
dests = {}
for db in (1, 2):
    for s in series(res["Q_self%d" % db]):
        dests.setdefault(db, {})[s["tags"]["dest"]] = dict(zip(s["columns"], s["values"][0]))
want = {"127.0.0.1:%s" % res[k] for k in ("udp1", "udp2", "dead")}
check("fan-out: one procflux series per destination, tagged dest", set(dests.get(1, {})) == want and
      set(dests.get(2, {})) == want, dests)
d1 = dests.get(1, {})
a, b, dead = (d1.get("127.0.0.1:%s" % res[k], {}) for k in ("udp1", "udp2", "dead"))
landed = sum(c1)
# the final lines (one per destination) are counted before they are sent
check("fan-out: every line accounted for at each listener: landed == lines_sent + 3",
      landed == a.get("lines_sent", -9) + 3 and landed == b.get("lines_sent", -9) + 3,
      (landed, a.get("lines_sent"), b.get("lines_sent")))
check("fan-out: live destinations have no send errors", a.get("send_errors") == 0 and b.get("send_errors") == 0,
      (a, b))
check("fan-out: the dead destination counts its own refusals", dead.get("send_errors", 0) > 0, dead)
check("fan-out: shared counters agree (ticks)", a.get("ticks") == b.get("ticks") == dead.get("ticks"), (a, b, dead))

# 2. window
check("window: procflux exited 0", res["rc2"] == "0", res["rc2"])
keys = lambda i: sorted(v[0] for s in series(res["Q_keys"], i) for v in s["values"])
check("window: only the --fields asked for (cpu)", keys(0) == sorted(
    ["usage_user", "usage_user_min", "usage_user_max", "usage_user_mean", "usage_system_max"]), keys(0))
check("window: only the --fields asked for (mem)", keys(1) == ["used_percent_max"], keys(1))
rows = [dict(zip(s["columns"], v)) for s in series(res["Q_all"]) for v in s["values"]]
check("window: one point per 500 ms window per series (3 s run: 5 to 7)",
      all(5 <= len(s["values"]) <= 7 for s in series(res["Q_all"])) and len(series(res["Q_all"])) >= 2,
      [(s["tags"], len(s["values"])) for s in series(res["Q_all"])])
check("window: min <= mean <= max, and usage_user is the mean", rows and all(
    r["usage_user_min"] <= r["usage_user_mean"] <= r["usage_user_max"] and r["usage_user"] == r["usage_user_mean"]
    for r in rows), rows[:3])
check("window: points land on the window grid (ts mod 500 ms < 50 ms)",
      rows and all(r["time"] % 500000000 < 50000000 for r in rows), [r["time"] % 500000000 for r in rows])
cpu0 = [dict(zip(s["columns"], v)) for s in series(res["Q_win"]) for v in s["values"]]
burst = max(cpu0, key=lambda r: r["usage_user_max"]) if cpu0 else {}
check("window: the 150 ms burst on cpu0 shows in usage_user_max (>= 80)", burst.get("usage_user_max", 0) >= 80, burst)
check("window: ... while that window's mean stays far below (max - mean >= 30)",
      burst and burst["usage_user_max"] - burst["usage_user_mean"] >= 30, burst)
# 3. stall
hdr = stall[0].split()
start, X = float(hdr[1]), int(hdr[3])
pts = []
for l in stall[1:]:
    if not l.startswith("cpu,cpu=cpu0"): continue
    f = dict(kv.split("=") for kv in l.split(" ")[1].split(","))
    pts.append((int(l.split(" ")[2]) / 1e9, float(f["usage_user_max"]), float(f["usage_user_mean"])))
check("stall: points on the 1 s grid", pts and all(t % 1 < 0.05 for t, _, _ in pts), pts)
# (a window is whole when its first tick, 0.9 s before its end, came after procflux started)
check("stall: the window procflux started in is not sent (the first one's first tick is after the start)",
      pts and pts[0][0] - 0.9 >= start - 0.001 and pts[0][0] - 2.9 < start, (start, pts[:1]))
check("stall: the window whose end was missed is not sent", not any(X + 0.9 < t < X + 1.1 for t, _, _ in pts), pts)
check("stall: its burst does not turn up in a later window (max < 80 after the stall)",
      all(m < 80 for t, m, _ in pts if t > X + 1.5) and any(t > X + 2.5 for t, _, _ in pts), pts)
udp = series(res["Q_stats"])
fails = sum(dict(zip(s["columns"], s["values"][0])).get("pointsParseFail", 0) for s in udp)
check("SHOW STATS FOR 'udp': no parse failures", udp and fails == 0, udp)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
status=$?
if [ $status -ne 0 ]; then echo "--- procflux stderr"; cat "$INFLUX_DIR/fanout.err" "$INFLUX_DIR/window.err"; fi
exit $status
