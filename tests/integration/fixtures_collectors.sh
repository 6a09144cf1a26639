#!/usr/bin/env bash
# The optional collectors on every kernel's fixtures: each tests/fixtures/<kernel>/
# read through --proc-root by procflux --once --stdout --collect
# kernel,processes,pressure,net,diskio --net-interfaces '*', and every line
# checked against values computed here, independently, from the fixture text:
# /proc/stat's ctxt/intr/processes/btime/procs_* lines, pressure/*, net/dev
# (gopsutil's columns; a name ending in '\' cannot be written and is left out),
# diskstats (whole disks by the name rule, as there is no sysfs under a
# --proc-root; loop, ram, zram and all-zero devices left out). A collector
# whose file a fixture lacks must be off with a warning, the others still run.
# A collector this procflux was built without (make COLLECTORS=...) is not
# asked for; the checks that need it print "skip ...: skipped: X not built"
# and count as skipped, not passed (with none built, procflux is not run).
# Prints one line per check, then "N passed, M failed, K skipped"; exits 1 on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/procflux}")
fixtures=${FIXTURES:-$root/tests/fixtures}
work=$(mktemp -d /tmp/procflux-fixc.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$here/built.sh"
# (the collectors that read the proc root: cgroup reads a cgroup tree, tested by test_cgroup and cgroup.sh)
built=$(collectors_built "$bin" | tr ',' '\n' | grep -vx cgroup | paste -sd, -)
net_opts=()
case ",$built," in *,net,*) net_opts=(--net-interfaces '*');; esac
for d in "$fixtures"/*/; do
    k=$(basename "$d")
    case $k in cgroup-*) continue;; esac # cgroup trees, not proc roots
    : > "$work/$k.out"; : > "$work/$k.err"; echo none > "$work/$k.rc"
    [ -n "$built" ] || continue
    "$bin" --once --stdout --interval 10ms --collect "$built" \
        "${net_opts[@]}" --proc-root "$d" --host fx > "$work/$k.out" 2> "$work/$k.err"
    echo $? > "$work/$k.rc"
done
python3 "$here/fixtures_collectors_check.py" "$fixtures" "$work" "$built"
