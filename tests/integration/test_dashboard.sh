#!/usr/bin/env bash
# Checks that every InfluxQL query in the provisioned Chronograf dashboards
# (contrib/chronograf/**/*.dashboard) refers only to measurements, fields,
# tag keys and tag values that procflux really emits.
#
# Usage: tests/integration/test_dashboard.sh [path/to/procflux]   (default ./procflux)
#
# Nothing about procflux's schema is hard-coded here: it is read from the line
# protocol of two real runs,
#   1. `procflux --once --stdout --interval 200ms --cpu-time`, and
#   2. a few seconds of `procflux --stdout --interval 100ms --stats-every 500ms
#      --cpu-time` so that the self-telemetry measurement (emitted every
#      --stats-every) is present too,
# and the union of both is the schema the dashboards are checked against.
#
# For testing this checker itself: TEST_DASHBOARD_LP=file1[:file2...] replaces
# the two runs with the given line-protocol files.
#
# Prints one line per check and finally exactly "N passed, M failed";
# exits non-zero if anything failed.

set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-./procflux}
stats_run_secs=${STATS_RUN_SECS:-4}

pass=0
fail=0
ok()  { pass=$((pass + 1)); printf 'ok   - %s\n' "$*"; }
nok() { fail=$((fail + 1)); printf 'FAIL - %s\n' "$*"; }
finish() {
    printf '%d passed, %d failed\n' "$pass" "$fail"
    [ "$fail" -eq 0 ]
    exit
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v python3 >/dev/null 2>&1; then
    nok "python3 is required"
    finish
fi

lp_files=()
if [ -n "${TEST_DASHBOARD_LP:-}" ]; then
    IFS=: read -r -a lp_files <<<"$TEST_DASHBOARD_LP"
    echo "# using line protocol from TEST_DASHBOARD_LP instead of running procflux"
else
    if [ ! -x "$bin" ]; then
        nok "procflux binary '$bin' exists and is executable (build it with make)"
        finish
    fi

    # Run 1: one sample.
    "$bin" --once --stdout --interval 200ms --cpu-time >"$tmp/once.lp" 2>"$tmp/once.err"
    rc=$?
    if [ "$rc" -eq 0 ] && [ -s "$tmp/once.lp" ]; then
        ok "procflux --once --stdout --cpu-time exits 0 with output ($(wc -l <"$tmp/once.lp") lines)"
    else
        nok "procflux --once --stdout --cpu-time exited $rc with $(wc -c <"$tmp/once.lp") bytes of output: $(head -c 300 "$tmp/once.err")"
    fi

    # Run 2: long enough to include several --stats-every periods. SIGINT
    # first (graceful stop, final flush), SIGKILL 3s later if it hangs.
    timeout -s INT -k 3 "$stats_run_secs" \
        "$bin" --stdout --interval 100ms --stats-every 500ms --cpu-time \
        >"$tmp/run.lp" 2>"$tmp/run.err"
    rc=$?
    # 124: stopped by timeout's SIGINT (expected); 0: exited by itself on SIGINT
    if { [ "$rc" -eq 124 ] || [ "$rc" -eq 0 ]; } && [ -s "$tmp/run.lp" ]; then
        ok "procflux ran ${stats_run_secs}s with --stats-every 500ms and stopped on SIGINT ($(wc -l <"$tmp/run.lp") lines)"
    else
        nok "procflux ${stats_run_secs}s run (--stats-every 500ms) ended with status $rc, $(wc -c <"$tmp/run.lp") bytes of output: $(head -c 300 "$tmp/run.err")"
    fi
    lp_files=("$tmp/once.lp" "$tmp/run.lp")
    # Run 3: the cgroup collector on the v2 fixture tree (its usage fields
    # need two readings), when this build has it.
    if "$bin" --help | grep -q 'cgroup$\|cgroup,\|, cgroup'; then
        timeout -s INT -k 3 1.5 "$bin" --stdout --interval 200ms --stats-every 0 --collect cgroup \
            --cgroup-root "$root/tests/fixtures/cgroup-v2" >"$tmp/cgroup.lp" 2>"$tmp/cgroup.err"
        lp_files+=("$tmp/cgroup.lp")
    fi
fi

mapfile -t dashboards < <(find "$root/contrib/chronograf" -name '*.dashboard' -type f 2>/dev/null | sort)
if [ "${#dashboards[@]}" -eq 0 ]; then
    nok "found .dashboard files under contrib/chronograf"
    finish
fi

# The checker (dashboard_check.py) prints "ok<TAB>message" / "FAIL<TAB>message" lines.
python3 "$root/tests/integration/dashboard_check.py" "$root" "${#lp_files[@]}" "${lp_files[@]}" "${dashboards[@]}" >"$tmp/results" 2>"$tmp/py.err"
rc=$?
while IFS=$'\t' read -r status msg; do
    case $status in
        ok) ok "$msg" ;;
        FAIL) nok "$msg" ;;
        '#') echo "# $msg" ;;
        *) nok "unexpected checker output: $status $msg" ;;
    esac
done <"$tmp/results"
if [ "$rc" -ne 0 ]; then
    nok "dashboard checker crashed (exit $rc): $(tail -n 5 "$tmp/py.err")"
fi
finish
