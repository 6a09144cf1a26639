#!/usr/bin/env bash
# Cost per tick of the cgroup collector: procflux's own CPU time (utime +
# stime of /proc/PID/stat, the process CPU clock as bench.sh reads it) over
# BENCH_CG_SECONDS at a 1 ms interval, --stdout to /dev/null, for the host
# collectors alone, and with cgroup over 10 and 200 cgroups made for the run
# (root and a writable cgroup fs; v2 when /sys/fs/cgroup is unified, else the
# v1 cpuacct, memory and blkio hierarchies). Prints a markdown table.
#   tests/bench/cgroup_bench.sh ./procflux
set -u
PROCFLUX=${1:?usage: cgroup_bench.sh PROCFLUX}
SECONDS_RUN=${BENCH_CG_SECONDS:-5}
ROOT=/sys/fs/cgroup
if [ -e $ROOT/cgroup.controllers ]; then DIRS=$ROOT; else DIRS="$ROOT/cpuacct $ROOT/memory $ROOT/blkio"; fi
[ "$(id -u)" = 0 ] || { echo "cgroup_bench: skip: not root"; exit 0; }
cleanup() { for d in $DIRS; do rmdir "$d"/pfbench/* "$d"/pfbench 2>/dev/null; done; }
trap cleanup EXIT
make_cgroups() {
    cleanup
    for d in $DIRS; do
        mkdir -p "$d/pfbench" || { echo "cgroup_bench: skip: $d not writable"; exit 0; }
        for i in $(seq "$1"); do mkdir "$d/pfbench/c$i"; done
    done
}
# run LABEL NCGROUPS ARGS...: µs of CPU per tick
run() {
    local label=$1 n=$2 pid s0 s1 hz=100 ticks
    shift 2
    "$PROCFLUX" --interval 1ms --stdout --stats-every 0 "$@" >/dev/null 2>&1 &
    pid=$!
    sleep 1
    s0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
    sleep "$SECONDS_RUN"
    s1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
    kill $pid; wait $pid 2>/dev/null
    ticks=$((SECONDS_RUN * 1000))
    awk -v l="$label" -v n="$n" -v a="$s0" -v b="$s1" -v hz=$hz -v t=$ticks \
        'BEGIN { us = (b - a) / hz * 1e6 / t; printf "| %s | %s | %.1f | %.2f |\n", l, n, us, us / 10 }'
}
echo "| run (1 kHz, ${SECONDS_RUN} s, --stdout) | cgroups | CPU µs per tick | % of one CPU |"
echo "| --- | --- | --- | --- |"
run "host only (cpu,mem,system)" 0 --collect cpu,mem,system
make_cgroups 10
run "host + cgroup" 10 --collect cpu,mem,system,cgroup --cgroups 'pfbench/*'
run "host + cgroup, --window 1s" 10 --collect cpu,mem,system,cgroup --cgroups 'pfbench/*' --window 1s
make_cgroups 200
run "host + cgroup" 200 --collect cpu,mem,system,cgroup --cgroups 'pfbench/*'
run "host + cgroup, --window 1s" 200 --collect cpu,mem,system,cgroup --cgroups 'pfbench/*' --window 1s
