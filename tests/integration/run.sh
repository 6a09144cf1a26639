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

python3 "$here/run_check.py" "$INFLUX_DIR/results" "$host"
status=$?
if [ $status -ne 0 ]; then echo "--- procflux stderr"; cat "$INFLUX_DIR/procflux.err"; fi
exit $status
