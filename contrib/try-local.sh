#!/usr/bin/env bash
# Try procflux on this machine: install what it needs, build it, start a
# throwaway InfluxDB with a UDP listener on loopback (temp dir, free ports),
# run procflux against it at 10 Hz and show what InfluxDB received, refreshed
# every second, until Ctrl-C. Everything is removed on exit.
set -eu
cd "$(dirname "$0")/.."
contrib/deps.sh
make
. tests/integration/influxd.sh
interval=${PROCFLUX_INTERVAL:-100ms}
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; influxd_stop; }
trap cleanup EXIT
trap 'exit 0' INT TERM
influxd_start
./procflux --interval "$interval" --dest "127.0.0.1:$INFLUX_UDP" --stats-every 1s &
pid=$!
while sleep 1; do
    out=$(influxd_query "SELECT last(usage_user) AS usage_user, last(usage_system) AS usage_system, last(usage_idle) AS usage_idle FROM cpu WHERE time > now() - 10s GROUP BY cpu; SELECT last(used_percent) AS used_percent, last(available) AS available, last(total) AS total FROM mem WHERE time > now() - 10s; SELECT last(load1) AS load1, last(uptime) AS uptime FROM system WHERE time > now() - 10s; SELECT last(ticks) AS ticks, last(lines_sent) AS lines_sent, last(datagrams_sent) AS datagrams FROM procflux")
    clear 2>/dev/null || true
    echo "procflux -> InfluxDB udp 127.0.0.1:$INFLUX_UDP (http 127.0.0.1:$INFLUX_HTTP, db procflux), every $interval; Ctrl-C to stop"
    echo
    printf '%s' "$out" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    for s in r.get("series", []):
        tags = ",".join("%s=%s" % kv for kv in sorted(s.get("tags", {}).items()))
        vals = dict(zip(s["columns"], s["values"][-1]))
        vals.pop("time", None)
        print("%-8s %-16s %s" % (s["name"], tags, "  ".join(
            "%s=%s" % (k, ("%.2f" % v) if isinstance(v, float) else v) for k, v in vals.items())))
'
done
