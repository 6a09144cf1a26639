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
python3 "$here/pfhelp.py" rewrite "$fixtures/linux-6.x/net/dev.netns.next" "$root/net/dev"
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

python3 "$here/collectors_check.py" "$INFLUX_DIR"/r1 "$INFLUX_DIR"/r2 "$INFLUX_DIR"/r3
status=$?
if [ $status -ne 0 ]; then echo "--- procflux stderr"; cat "$INFLUX_DIR"/all.err "$INFLUX_DIR"/dyn.err "$INFLUX_DIR"/win.err; fi
exit $status
