#!/usr/bin/env bash
# Old and odd kernels: every tests/fixtures/<kernel>/ directory read through
# --proc-root with --once --stdout, and the emitted lines checked against values
# computed here, independently, from the fixture text (Telegraf's formulas).
#
#   tests/integration/fixtures.sh [PROCFLUX] [--self-test]
#
# Per fixture, three runs (all in parallel, about 3 s in all):
#   <kernel>        stat -> stat.next (the fixture's own second reading)
#   <kernel>+synth  stat -> a second reading made up here: guest and guest_nice
#                   grow (the fixtures' stat.next never moves them), a counter
#                   goes backwards, guest outgrows user, one CPU does not move
# plus <kernel>-nosys: no loadavg/uptime under --proc-root (procflux warns,
# drops the system collector, still exits 0).
#
# procflux holds /proc files open and preads them, so the second reading is
# written IN PLACE (same inode) while procflux sleeps between its two readings:
# --interval 2s, rewrite at 1 s. A rewrite that misses shows up as missing
# usage fields, i.e. as a failure, never as a pass.
#
# --self-test also re-runs the checker with deliberately wrong formulas (no
# guest subtraction, negative deltas, ...) and requires each to FAIL, so the
# checks are shown to be able to fail.
#
# Prints one line per check, then "N passed, M failed"; exits 1 on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="" self_test=0
for a in "$@"; do
    case $a in
    --self-test) self_test=1 ;;
    *) bin=$a ;;
    esac
done
bin=$(realpath "${bin:-$root/procflux}")
fixtures=${FIXTURES:-$root/tests/fixtures}
[ -x "$bin" ] || { echo "fixtures.sh: $bin is not executable (run make first)"; exit 1; }
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || { echo "fixtures.sh: needs python3"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/procflux-fixtures.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# The Python parts (the made-up second reading, the in-place rewrite, the
# checker) are in fixtures_check.py.
clk_tck=$(getconf CLK_TCK)
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "${t}000"; }

# prepare CASE FIXTURE_DIR NEXT_FILE WITH_SYSTEM_FILES: a proc root per run.
cases=()
prepare() {
    local case=$1 fx=$2 next=$3 sys=$4 i=${#cases[@]} d
    d=$work/$case
    mkdir -p "$d/proc"
    cp "$fx/stat" "$d/proc/stat"
    cp "$fx/meminfo" "$d/proc/meminfo"
    # mem's low watermarks (kernels without MemAvailable), system's physical CPUs
    for f in zoneinfo cpuinfo; do
        if [ -f "$fx/$f" ]; then cp "$fx/$f" "$d/proc/$f"; fi
    done
    cp "$fx/stat" "$d/prev"
    cp "$next" "$d/next"
    printf '%d.%02d %d.%02d 0.%02d %d/%d %d\n' $((i % 7)) $((i * 13 % 100)) $((i % 3)) \
        $((i * 7 % 100)) $((i * 3 % 100)) $((i + 1)) $((100 + i)) $((4000 + i)) > "$d/loadavg"
    printf '%d.%02d %d.%02d\n' $((86400 * i + 123)) $((i * 11 % 100)) $((1000 * i)) 17 > "$d/uptime"
    if [ "$sys" = 1 ]; then
        cp "$d/loadavg" "$d/uptime" "$d/proc/"
    fi
    echo "$fx" > "$d/fixture"
    cases+=("$d")
}

nfix=0
for fx in "$fixtures"/*/; do
    fx=${fx%/}
    if [ ! -f "$fx/stat" ] || [ ! -f "$fx/meminfo" ] || [ ! -f "$fx/stat.next" ]; then
        echo "fixtures.sh: $fx lacks stat, meminfo or stat.next; skipped"
        continue
    fi
    name=$(basename "$fx")
    nfix=$((nfix + 1))
    "$py" -I -S "$here/fixtures_check.py" synth "$fx/stat" "$work/$name.synth" || exit 1
    prepare "$name" "$fx" "$fx/stat.next" 1
    prepare "$name+synth" "$fx" "$work/$name.synth" 1
    # Without loadavg/uptime, and with an unchanged stat: time_* only.
    prepare "$name-nosys" "$fx" "$fx/stat" 0
done
[ "$nfix" -gt 0 ] || { echo "fixtures.sh: no fixtures under $fixtures"; exit 1; }

# All runs at once; the rewrite 1 s into their 2 s sleep.
for d in "${cases[@]}"; do
    now_ns > "$d/t0"
    (
        "$bin" --proc-root "$d/proc" --once --stdout --interval 2s --cpu-time --host fixture \
            > "$d/out" 2> "$d/err"
        echo $? > "$d/rc"
        now_ns > "$d/t1"
    ) &
    pids+=($!)
done
sleep 1
"$py" -I -S "$here/fixtures_check.py" rewrite "${cases[@]}"
for p in "${pids[@]}"; do wait "$p"; done
pids=()

run_checker() { "$py" -I -S "$here/fixtures_check.py" check "$clk_tck" "${cases[@]}"; }

st_bad=0
if [ "$self_test" = 1 ]; then
    st_ok=0
    for m in no-guest negative-deltas total-with-guest no-clamp clk-tck cached-without-sreclaimable \
             keep-overflow hugepages-scaled; do
        res=$(CHECK_MUTATION=$m run_checker | tail -n 1)
        if [ "${res##*, }" != "0 failed" ]; then
            echo "ok   self-test: a checker with mutation '$m' fails ($res)"
            st_ok=$((st_ok + 1))
        else
            echo "FAIL self-test: a checker with mutation '$m' still passes ($res)"
            st_bad=$((st_bad + 1))
        fi
    done
    echo "self-test: $st_ok mutations caught, $st_bad missed"
    echo
fi

run_checker
rc=$?
[ "$st_bad" -eq 0 ] || rc=1
exit $rc
