#!/usr/bin/env bash
# Integration test of the optional collectors (kernel, processes, pressure, net,
# diskio) against a real influxd over real UDP, read back over its HTTP API:
#  1. everything at 20 Hz for 3 s on this host's /proc: Telegraf's names, one
#     point per tick, values that agree with /proc, counters that never go
#     back, every line accounted for, no parse failure;
#  2. interfaces that come and go: a --proc-root whose net/dev (two real
#     readings of a network namespace, tests/fixtures/linux-6.x/net/dev.netns*)
#     is rewritten mid-run; new interfaces get series, gone ones stop, a name
#     with ',' and '=' round-trips, one ending in '\' (not writable) is left out;
#  3. --window with every collector: the non-windowed collectors send once per
#     window, not once per tick; --fields on net.
# A collector this procflux was built without (make COLLECTORS=...) is not
# asked for, and each check that needs it prints "skip ...: skipped: X not
# built" and counts as skipped, not passed.
# Prints "N passed, M failed, K skipped" and exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../fixtures" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"
. "$here/built.sh"
trap influxd_stop EXIT
[ -n "${KEEP:-}" ] && trap : EXIT

influxd_start || exit 1
q() { influxd_query "$1"; echo; }
built=$(collectors_built "$bin")
all=cpu,mem,system${built:+,$built}
has_net() { case ",$built," in *,net,*) return 0;; esac; return 1; }
# net's own options are refused when net is not among the collectors
net_opts=()
has_net && net_opts=(--net-interfaces 'lo,eth*,en*')

# ---- 1. every collector on this host ------------------------------------------
"$bin" --interval 50ms --flush 250ms --stats-every 1s --collect "$all" --host h1 \
    "${net_opts[@]}" --dest "127.0.0.1:$INFLUX_UDP" 2> "$INFLUX_DIR/all.err" &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"; rc1=$?
sleep 1
{
    echo "rc1 $rc1"
    echo "built $built"
    echo "btime $(awk '/^btime/ {print $2}' /proc/stat)"
    echo "psi $([ -r /proc/pressure/cpu ] && cat /proc/pressure/cpu >/dev/null 2>&1 && echo 1 || echo 0)"
    echo "lo_tx_now $(awk -F'[: ]+' '$2 == "lo" {print $11}' /proc/net/dev)"
    # whole disks with any I/O, not loop/ram/zram: what diskio reports by default
    echo "disks $(for d in /sys/block/*; do n=${d##*/}; case $n in loop*|ram*|zram*) continue;; esac
        awk -v n="$n" '$3 == n { s = 0; for (i = 4; i <= NF; i++) s += $i; if (s > 0) print n }' /proc/diskstats
        done | sort | tr '\n' ',')"
    echo "ifaces $(ls /sys/class/net | grep -E '^(lo|eth.*|en.*)$' | sort | tr '\n' ',')"
    echo "Q_final $(q "SELECT last(ticks) AS ticks, last(lines_sent) AS lines_sent FROM procflux WHERE host = 'h1'")"
    echo "Q_keys $(q 'SHOW FIELD KEYS FROM kernel; SHOW FIELD KEYS FROM processes; SHOW FIELD KEYS FROM pressure; SHOW FIELD KEYS FROM net; SHOW FIELD KEYS FROM diskio')"
    echo "Q_kernel $(q "SELECT boot_time, context_switches, interrupts, processes_forked FROM kernel WHERE host = 'h1'")"
    echo "Q_proc $(q "SELECT running, blocked FROM processes WHERE host = 'h1'")"
    echo "Q_psi $(q "SELECT avg10, avg60, avg300, total FROM pressure WHERE host = 'h1' GROUP BY resource, type")"
    echo "Q_net $(q "SELECT bytes_sent, bytes_recv, packets_sent FROM net WHERE host = 'h1' GROUP BY interface")"
    echo "Q_disk $(q "SELECT reads, writes, read_bytes, io_time FROM diskio WHERE host = 'h1' GROUP BY \"name\"")"
    echo "Q_counts $(q "SELECT count(usage_idle) FROM cpu WHERE host = 'h1' GROUP BY cpu; SELECT count(total) FROM mem WHERE host = 'h1'; SELECT count(load1) FROM system WHERE host = 'h1'; SELECT count(ticks) FROM procflux WHERE host = 'h1'")"
} > "$INFLUX_DIR/r1"

# ---- 2. interfaces that come and go -------------------------------------------
: > "$INFLUX_DIR/r2"
: > "$INFLUX_DIR/dyn.err"
if has_net; then
root=$INFLUX_DIR/proc
mkdir -p "$root/net"
cp "$fixtures/linux-6.x/net/dev.netns" "$root/net/dev"
"$bin" --interval 50ms --flush 100ms --stats-every 0s --collect net --proc-root "$root" --host h2 \
    --net-interfaces '*' --dest "127.0.0.1:$INFLUX_UDP" 2> "$INFLUX_DIR/dyn.err" &
pid=$!
sleep 1.5
# in place (procflux keeps the file open): the namespace's second reading
python3 - "$fixtures/linux-6.x/net/dev.netns.next" "$root/net/dev" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "r+b") as f:
    f.write(data); f.truncate()
PY
sleep 1.5
kill -TERM "$pid"
wait "$pid"; rc2=$?
sleep 1
{
    echo "rc2 $rc2"
    echo "Q_dyn $(q "SELECT count(bytes_sent), first(bytes_sent), last(bytes_sent) FROM net WHERE host = 'h2' GROUP BY interface")"
    echo "Q_dynt $(q "SELECT first(bytes_sent) FROM net WHERE host = 'h2' GROUP BY interface; SELECT last(bytes_sent) FROM net WHERE host = 'h2' GROUP BY interface")"
} > "$INFLUX_DIR/r2"
fi

# ---- 3. --window with every collector, --fields on net ----------------------------
net_opts=()
has_net && net_opts=(--net-interfaces lo --fields 'net:bytes_*')
"$bin" --interval 10ms --window 500ms --flush 250ms --stats-every 0s --collect "$all" --host h3 \
    "${net_opts[@]}" --dest "127.0.0.1:$INFLUX_UDP" 2> "$INFLUX_DIR/win.err" &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"; rc3=$?
sleep 1
{
    echo "rc3 $rc3"
    echo "Q_win $(q "SELECT count(context_switches) FROM kernel WHERE host = 'h3'; SELECT count(running) FROM processes WHERE host = 'h3'; SELECT count(bytes_sent) FROM net WHERE host = 'h3'; SELECT count(usage_idle_max) FROM cpu WHERE host = 'h3' AND cpu = 'cpu-total'")"
    echo "Q_winkeys $(q "SELECT * FROM net WHERE host = 'h3'")"
    echo "Q_stats $(influxd_query "SHOW STATS FOR 'udp'")"
} > "$INFLUX_DIR/r3"

python3 - "$INFLUX_DIR"/r1 "$INFLUX_DIR"/r2 "$INFLUX_DIR"/r3 <<'PY'
import json, sys
res = {}
for path in sys.argv[1:]:
    for line in open(path):
        k, _, v = line.rstrip("\n").partition(" ")
        res[k] = json.loads(v) if k.startswith("Q_") else v
passed = failed = skipped = 0
built = set(x for x in res["built"].split(",") if x)
# section 2 runs only with net: empty answers for the checks that then skip
res.setdefault("rc2", "")
for k in ("Q_dyn", "Q_dynt"):
    res.setdefault(k, {"results": [{}, {}]})
def check(name, ok, detail="", needs=()):
    global passed, failed, skipped
    off = [c for c in needs if c not in built]
    if off:
        skipped += 1
        print("skip %s: skipped: %s not built" % (name, ", ".join(off)))
        return
    if ok: passed += 1
    else: failed += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)[:600]))
def series(q, i=0):
    return q["results"][i].get("series", [])
def rows(q, i=0):
    return [dict(zip(s["columns"], v), **{"_tags": s.get("tags", {})}) for s in series(q, i) for v in s["values"]]
def monotone(vals):
    return all(b >= a for a, b in zip(vals, vals[1:]))

# 1. every collector
check("all: procflux exited 0", res["rc1"] == "0", res["rc1"])
final = rows(res["Q_final"])
ticks = final[0]["ticks"] if final else 0
check("all: about 60 ticks in 3 s at 20 Hz", 55 <= ticks <= 65, ticks)
keys = [sorted(v[0] for s in series(res["Q_keys"], i) for v in s["values"]) for i in range(5)]
kern_want = ["boot_time", "context_switches", "interrupts", "processes_forked"]
check("kernel: Telegraf's fields", [k for k in keys[0] if k != "entropy_avail"] == kern_want, keys[0], needs=("kernel",))
check("processes: running, blocked", keys[1] == ["blocked", "running"], keys[1], needs=("processes",))
if res["psi"] == "1":
    check("pressure: avg10, avg60, avg300, total", keys[2] == ["avg10", "avg300", "avg60", "total"], keys[2],
          needs=("pressure",))
net_want = sorted(["bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "err_in", "err_out", "drop_in", "drop_out"])
check("net: Telegraf's fields", keys[3] == net_want, keys[3], needs=("net",))
disk_want = sorted(["reads", "writes", "read_bytes", "write_bytes", "read_time", "write_time", "io_time",
                    "weighted_io_time", "iops_in_progress", "merged_reads", "merged_writes"])
if res["disks"].strip(","):
    check("diskio: Telegraf's fields", keys[4] == disk_want, keys[4], needs=("diskio",))

k = rows(res["Q_kernel"])
check("kernel: one point per tick", len(k) == ticks, (len(k), ticks), needs=("kernel",))
check("kernel: boot_time is /proc/stat's btime", k and all(r["boot_time"] == int(res["btime"]) for r in k),
      (k[:1], res["btime"]), needs=("kernel",))
for f in ("context_switches", "interrupts", "processes_forked"):
    check("kernel: %s never goes back, and grows" % f, k and monotone([r[f] for r in k]) and k[-1][f] > k[0][f]
          if f != "processes_forked" else monotone([r[f] for r in k]), [r[f] for r in k][:5], needs=("kernel",))
p = rows(res["Q_proc"])
check("processes: one point per tick, running >= 1 (procflux itself), blocked >= 0",
      len(p) == ticks and all(r["running"] >= 1 and r["blocked"] >= 0 for r in p), p[:3], needs=("processes",))
if res["psi"] == "1":
    ps = series(res["Q_psi"])
    got = sorted((s["tags"]["resource"], s["tags"]["type"]) for s in ps)
    check("pressure: cpu/some, memory/some+full, io/some+full (cpu/full left out)", got == sorted(
        [("cpu", "some"), ("memory", "some"), ("memory", "full"), ("io", "some"), ("io", "full")]), got,
        needs=("pressure",))
    pr = rows(res["Q_psi"])
    check("pressure: avg* within [0, 100]", pr and all(0 <= r[a] <= 100 for r in pr for a in ("avg10", "avg60", "avg300")), pr[:2],
          needs=("pressure",))
    check("pressure: total never goes back", all(monotone([v[4] for v in s["values"]]) for s in ps), needs=("pressure",))
    check("pressure: one point per tick per series", all(len(s["values"]) == ticks for s in ps),
          [len(s["values"]) for s in ps], needs=("pressure",))
else:
    print("skip pressure: /proc/pressure is not readable here")
ns = {s["tags"]["interface"]: s for s in series(res["Q_net"])}
check("net: the interfaces asked for (lo, eth*, en*) and only those",
      sorted(ns) == sorted(x for x in res["ifaces"].split(",") if x), (sorted(ns), res["ifaces"]), needs=("net",))
lo = [dict(zip(ns["lo"]["columns"], v)) for v in ns["lo"]["values"]] if "lo" in ns else []
check("net: lo bytes_sent grows (procflux's own datagrams) and never goes back",
      lo and monotone([r["bytes_sent"] for r in lo]) and lo[-1]["bytes_sent"] > lo[0]["bytes_sent"], lo[:2],
      needs=("net",))
check("net: lo's last bytes_sent <= /proc/net/dev now", lo and lo[-1]["bytes_sent"] <= int(res["lo_tx_now"]),
      (lo[-1:] , res["lo_tx_now"]), needs=("net",))
check("net: one point per tick per interface", all(len(s["values"]) == ticks for s in ns.values()),
      {n: len(s["values"]) for n, s in ns.items()}, needs=("net",))
ds = {s["tags"]["name"]: s for s in series(res["Q_disk"])}
want = sorted(x for x in res["disks"].split(",") if x)
check("diskio: whole disks with I/O, no partitions/loop/ram/zram", sorted(ds) == want, (sorted(ds), want),
      needs=("diskio",))
check("diskio: counters never go back", all(monotone([v[i] for v in s["values"]]) for s in ds.values() for i in (1, 2, 3, 4)),
      needs=("diskio",))
cnt = [series(res["Q_counts"], i) for i in range(4)]
landed = sum(s["values"][0][1] for c in cnt for s in c) + len(k) + len(p) + \
    (sum(len(s["values"]) for s in series(res["Q_psi"])) if res["psi"] == "1" else 0) + \
    sum(len(s["values"]) for s in ns.values()) + sum(len(s["values"]) for s in ds.values())
check("all: every line accounted for: landed == lines_sent + 1", final and landed == final[0]["lines_sent"] + 1,
      (landed, final))

# 2. dynamic interfaces
check("dynamic: procflux exited 0", res["rc2"] == "0", res["rc2"], needs=("net",))
dyn = {s["tags"]["interface"]: dict(zip(s["columns"][1:], s["values"][0][1:])) for s in series(res["Q_dyn"])}
check("dynamic: every writable name got a series; 'back\\' (ends in a backslash) did not",
      sorted(dyn) == sorted(["lo", "veth-a", "veth-b", "br,x=y", "abcdefghijklmno", "veth-c", "veth-d"]), sorted(dyn),
      needs=("net",))
first = {s["tags"]["interface"]: s["values"][0][0] for s in series(res["Q_dynt"], 0)}
last = {s["tags"]["interface"]: s["values"][0][0] for s in series(res["Q_dynt"], 1)}
check("dynamic: veth-a/b stop when gone, veth-c/d start when new",
      first and last and max(last[i] for i in ("veth-a", "veth-b")) < min(first[i] for i in ("veth-c", "veth-d")),
      (first, last), needs=("net",))
check("dynamic: lo reads both files' values (6844 then 9826)",
      dyn.get("lo", {}).get("first") == 6844 and dyn.get("lo", {}).get("last") == 9826, dyn.get("lo"), needs=("net",))
check("dynamic: interfaces present throughout have a point every tick (~60)",
      all(55 <= dyn[i]["count"] <= 65 for i in ("lo", "br,x=y", "abcdefghijklmno") if i in dyn), dyn, needs=("net",))

# 3. window
check("window: procflux exited 0", res["rc3"] == "0", res["rc3"])
wc = [series(res["Q_win"], i)[0]["values"][0][1] if series(res["Q_win"], i) else 0 for i in range(4)]
win = [(n, c) for n, c in zip(("kernel", "processes", "net (lo)", "cpu-total"), wc)
       if n.split()[0] in built or n == "cpu-total"]
win_off = [n for n in ("kernel", "processes", "net") if n not in built]
check("window: %s once per 500 ms window (5 to 7 in 3 s), not per tick" % ", ".join(n for n, _ in win),
      all(5 <= c <= 7 for _, c in win), wc)
if win_off:
    check("window: %s once per window" % ", ".join(win_off), False, needs=win_off)
# the fields h3's points hold (SELECT * lists every field of the measurement, null where absent)
wk = sorted({c for s in series(res["Q_winkeys"]) for v in s["values"] for c, x in zip(s["columns"], v)
             if x is not None and c not in ("time", "host", "interface")})
check("window: --fields net:bytes_* keeps bytes_recv and bytes_sent only", wk == ["bytes_recv", "bytes_sent"], wk,
      needs=("net",))
udp = series(res["Q_stats"])
fails = sum(dict(zip(s["columns"], s["values"][0])).get("pointsParseFail", 0) for s in udp)
check("SHOW STATS FOR 'udp': no parse failures", udp and fails == 0, udp)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
PY
status=$?
if [ $status -ne 0 ]; then echo "--- procflux stderr"; cat "$INFLUX_DIR"/all.err "$INFLUX_DIR"/dyn.err "$INFLUX_DIR"/win.err; fi
exit $status
