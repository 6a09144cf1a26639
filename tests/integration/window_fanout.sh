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
# 100 ms ticks, 1 s windows, on standard output, on a fixture proc root (the
# host's load plays no part). A 0.5 s burst on cpu0 at X.05, then procflux is
# stopped (SIGSTOP) at X.8, 8000 user jiffies land while it is stopped, and it
# is continued at X+2.3: window (X, X+1] never got its last tick, so it must
# not be sent at all, and neither it nor the stopped time turns up under a
# later window's time; the window procflux started in is not sent.
python3 "$here/window_fanout_check.py" stall "$bin" "$INFLUX_DIR" > "$INFLUX_DIR/stall"
python3 "$here/window_fanout_check.py" check "$INFLUX_DIR/fanout" "$INFLUX_DIR/window" "$INFLUX_DIR/stall"
status=$?
if [ $status -ne 0 ]; then echo "--- procflux stderr"; cat "$INFLUX_DIR/fanout.err" "$INFLUX_DIR/window.err"; fi
exit $status
