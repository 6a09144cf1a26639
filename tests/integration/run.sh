#!/usr/bin/env bash
# Integration test: a real influxd (Debian's influxdb) on free loopback ports
# with a [[udp]] listener; procflux at 20 Hz for a few seconds with tag values
# that need escaping; everything read back over InfluxDB's HTTP API.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"
trap influxd_stop EXIT

influxd_start || exit 1
rcvbuf_before=$(awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp)

host='web 1,x=y'            # space, comma, equals in a tag value
seconds=4
"$bin" --interval 50ms --flush 250ms --dest "127.0.0.1:$INFLUX_UDP" --stats-every 1s \
    --host "$host" --tag 'my tag=a"b\c' --tag 'zone=eu=west,1' --tag 'k,=x= y' \
    2> "$INFLUX_DIR/procflux.err" &
pid=$!
sleep "$seconds"
kill -TERM "$pid"
wait "$pid"; rc=$?
sleep 1  # the listener's batch-timeout is 200ms
rcvbuf_after=$(awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp)

q() { influxd_query "$1"; echo; }
{
    echo "rc $rc"
    echo "seconds $seconds"
    echo "memtotal_kb $(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
    echo "rcvbuf_errors $((rcvbuf_after - rcvbuf_before))"
    echo "ncpu $(grep -c '^cpu[0-9]' /proc/stat)"
    echo "Q_final $(q 'SELECT last(ticks) AS ticks, last(ticks_missed) AS missed, last(lines_sent) AS lines_sent, last(lines_dropped) AS dropped, last(send_errors) AS errors FROM procflux')"
    echo "Q_counts $(q 'SELECT count(total) FROM mem; SELECT count(load1) FROM system; SELECT count(ticks) FROM procflux')"
    echo "Q_cpu $(q 'SELECT count(usage_idle) FROM cpu GROUP BY cpu')"
    echo "Q_tags $(q 'SHOW TAG KEYS FROM cpu; SHOW TAG VALUES FROM cpu WITH KEY IN ("host", "my tag", "zone", "k,")')"
    echo "Q_range $(q 'SELECT min(usage_user), max(usage_user), min(usage_system), max(usage_system), min(usage_idle), max(usage_idle), min(usage_iowait), max(usage_iowait), min(usage_nice), max(usage_nice), min(usage_softirq), max(usage_softirq), min(usage_steal), max(usage_steal), min(usage_irq), max(usage_irq) FROM cpu')"
    echo "Q_mem $(q 'SELECT min(total), max(total), min(used_percent), max(used_percent), min(available), max(available) FROM mem')"
    echo "Q_stats $(influxd_query "SHOW STATS FOR 'udp'")"
} > "$INFLUX_DIR/results"

python3 - "$INFLUX_DIR/results" "$host" <<'PY'
import json, sys
res = {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition(" ")
    res[k] = json.loads(v) if k.startswith("Q_") else v
host = sys.argv[2]
passed = failed = 0
def check(name, ok, detail=""):
    global passed, failed
    if ok: passed += 1
    else: failed += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))

def series(q, i=0):
    return q["results"][i].get("series", [])

check("procflux exited 0 on SIGTERM", res["rc"] == "0", res["rc"])
final = series(res["Q_final"])
cols = final[0]["columns"] if final else []
row = dict(zip(cols, final[0]["values"][0])) if final else {}
ticks = row.get("ticks", 0)
expected = int(res["seconds"]) * 20
check("ticks near 20 Hz x %s s" % res["seconds"], expected - 3 <= ticks <= expected + 3, ticks)
check("no missed ticks", row.get("missed") == 0, row.get("missed"))
check("no send errors, nothing dropped", row.get("errors") == 0 and row.get("dropped") == 0, row)

counts = [series(res["Q_counts"], i) for i in range(3)]
n_mem = counts[0][0]["values"][0][1] if counts[0] else 0
n_sys = counts[1][0]["values"][0][1] if counts[1] else 0
n_self = counts[2][0]["values"][0][1] if counts[2] else 0
check("every tick landed: mem points == ticks", n_mem == ticks, (n_mem, ticks))
# system is sampled at most once a second: once per wall-clock second of the run.
check("system once a second", int(res["seconds"]) <= n_sys <= int(res["seconds"]) + 2, (n_sys, res["seconds"]))
cpu = {s["tags"]["cpu"]: s["values"][0][1] for s in series(res["Q_cpu"])}
want = ["cpu-total"] + ["cpu%d" % i for i in range(int(res["ncpu"]))]
check("cpu series are cpu-total and one per core", sorted(cpu) == sorted(want), sorted(cpu))
check("every tick after the first has cpu usage", all(cpu.get(c) == ticks - 1 for c in want), (cpu, ticks))
landed = n_mem + n_sys + n_self + sum(cpu.values())
# The final self-telemetry line reports lines_sent before itself.
check("every line accounted for: landed == lines_sent + 1", landed == row.get("lines_sent", -1) + 1,
      (landed, row.get("lines_sent")))

keys = sorted(v[0] for v in series(res["Q_tags"], 0)[0]["values"]) if series(res["Q_tags"], 0) else []
check("tag keys round-trip", keys == sorted(["cpu", "host", "k,", "my tag", "zone"]), keys)
tv = {v[0]: v[1] for v in series(res["Q_tags"], 1)[0]["values"]} if series(res["Q_tags"], 1) else {}
check("tag values round-trip exactly", tv == {"host": host, "my tag": 'a"b\\c', "zone": "eu=west,1", "k,": "x= y"}, tv)

rng = series(res["Q_range"])
vals = rng[0]["values"][0][1:] if rng else []
check("cpu usage fields within [0, 100]", vals and all(v is not None and 0 <= v <= 100 for v in vals), vals)
mem = series(res["Q_mem"])
mt, Mt, mu, Mu, ma, Ma = mem[0]["values"][0][1:] if mem else [None] * 6
check("mem total == MemTotal * 1024", mt == Mt == int(res["memtotal_kb"]) * 1024, (mt, Mt, res["memtotal_kb"]))
check("mem used_percent within [0, 100]", mu is not None and 0 <= mu <= Mu <= 100, (mu, Mu))
check("mem available within (0, total]", ma is not None and 0 < ma <= Ma <= mt, (ma, Ma))

udp = series(res["Q_stats"])
st = dict(zip(udp[0]["columns"], udp[0]["values"][0])) if udp else {}
check("SHOW STATS FOR 'udp': no parse failures", udp and st.get("pointsParseFail", 0) == 0, st)
check("SHOW STATS FOR 'udp': no read failures", udp and st.get("readFail", 0) == 0, st)
check("SHOW STATS FOR 'udp': pointsRx == landed", st.get("pointsRx") == landed, (st.get("pointsRx"), landed))
print("kernel RcvbufErrors during the run: %s" % res["rcvbuf_errors"])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
status=$?
if [ $status -ne 0 ]; then echo "--- procflux stderr"; cat "$INFLUX_DIR/procflux.err"; fi
exit $status
