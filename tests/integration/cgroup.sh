#!/usr/bin/env bash
# Live cgroup test (root, writable cgroup fs): two cgroups, a busy loop in one.
# The busy one reads near 100 % of one CPU, the idle sibling near 0; after the
# busy one is removed its series stops. "Near 100 %" is near what the loop got
# per its own /proc/PID/stat (100 % on an idle host; less when others load it). Through --stdout (the line protocol
# path is the one UDP takes; influxd is covered by collectors.sh).
# Prints "N passed, M failed[, K skipped]".
set -u
PROCFLUX=${1:?usage: cgroup.sh PROCFLUX}
HERE=$(cd "$(dirname "$0")" && pwd)
skip() { echo "skip: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
# shellcheck source=built.sh
. "$HERE/built.sh"
collector_built "$PROCFLUX" cgroup || skip "cgroup not built into this procflux"
[ "$(id -u)" = 0 ] || skip "not root"
ROOT=/sys/fs/cgroup
if [ -e $ROOT/cgroup.controllers ]; then DIR=$ROOT; else DIR=$ROOT/cpuacct; fi
[ -d "$DIR" ] && [ -w "$DIR" ] || skip "cgroup fs not writable ($DIR)"
NAME=pftest$$
mkdir "$DIR/$NAME-busy" "$DIR/$NAME-idle" 2>/dev/null || skip "cannot mkdir in $DIR"
TMP=$(mktemp -d)
BUSY=
cleanup() {
    [ -n "$BUSY" ] && kill "$BUSY" 2>/dev/null
    [ -n "${PF:-}" ] && kill "$PF" 2>/dev/null
    wait 2>/dev/null
    rmdir "$DIR/$NAME-busy" "$DIR/$NAME-idle" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
sh -c 'while :; do :; done' &
BUSY=$!
echo "$BUSY" > "$DIR/$NAME-busy/cgroup.procs"
# 1 ms ticks: the cgroup's CPU time moves a scheduler tick (4 ms here) at a time, so single ticks read
# 0 or 400 %; the window's min and max are over runs of at least 50 ms (README: --window)
"$PROCFLUX" --collect cgroup --cgroup-root $ROOT --cgroups "$NAME-*" --interval 1ms --window 1s \
    --stdout --stats-every 0 >"$TMP/out" 2>"$TMP/err" &
PF=$!
# What the loop really got, from its own /proc/PID/stat (utime + stime, USER_HZ
# 100): on a loaded host "one CPU" is less than 100 %.
ticks() { awk '{ print $14 + $15 }' "/proc/$BUSY/stat"; }
t0=$(date +%s%N); c0=$(ticks)
sleep 4.5
t1=$(date +%s%N); c1=$(ticks)
GOT=$(awk "BEGIN { print ($c1 - $c0) * 1e9 / ($t1 - $t0) }")
kill "$BUSY"; wait "$BUSY" 2>/dev/null; BUSY=
sleep 0.3
rmdir "$DIR/$NAME-busy"
date +%s%N > "$TMP/removed"
sleep 3
kill "$PF"; wait "$PF" 2>/dev/null; PF=
python3 "$HERE/cgroup_check.py" "$TMP/out" "$NAME" "$(cat "$TMP/removed")" "$TMP/err" "$GOT"
