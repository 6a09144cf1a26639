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
#   3. the same few seconds sent over UDP to a listener on loopback (what the
#      receiver really gets: the self-telemetry line carries the tag dest
#      there, one line per --dest, and not with --stdout),
# and the union of all three is the schema the dashboards are checked against.
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
    # Run 3: over UDP to a loopback listener that writes what it receives.
    port=$(python3 "$root/tests/integration/pfhelp.py" free-port udp)
    python3 - "$port" "$((stats_run_secs + 2))" >"$tmp/udp.lp" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(0.2)
end = time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        sys.stdout.write(s.recv(65536).decode())
    except socket.timeout:
        pass
PY
    listener=$!
    sleep 0.3
    timeout -s INT -k 3 "$stats_run_secs" \
        "$bin" --dest "127.0.0.1:$port" --flush 200ms --interval 100ms --stats-every 500ms --cpu-time \
        2>"$tmp/udp.err"
    rc=$?
    wait "$listener"
    if { [ "$rc" -eq 124 ] || [ "$rc" -eq 0 ]; } && grep -q '^procflux,.*dest=' "$tmp/udp.lp"; then
        ok "procflux ran ${stats_run_secs}s over UDP to 127.0.0.1:$port; its procflux lines carry dest ($(wc -l <"$tmp/udp.lp") lines)"
    else
        nok "procflux ${stats_run_secs}s over UDP ended with status $rc, $(wc -c <"$tmp/udp.lp") bytes received, no procflux line with dest: $(head -c 300 "$tmp/udp.err")"
    fi
    lp_files=("$tmp/once.lp" "$tmp/run.lp" "$tmp/udp.lp")
    # Run 4: the cgroup collector on the v2 fixture tree (its usage fields
    # need two readings), when this build has it.
    if "$bin" --help | grep -q 'cgroup$\|cgroup,\|, cgroup'; then
        timeout -s INT -k 3 1.5 "$bin" --stdout --interval 200ms --stats-every 0 --collect cgroup \
            --cgroup-root "$root/tests/fixtures/cgroup-v2" >"$tmp/cgroup.lp" 2>"$tmp/cgroup.err"
        lp_files+=("$tmp/cgroup.lp")
    fi
fi

# The self-telemetry counters are per destination (tag dest): a panel that took max() over a host's
# lines without grouping by dest would mix destinations whenever procflux has several --dest.
check_dest_grouping() {
    python3 - "$@" <<'PY'
import json, re, sys
for path in sys.argv[1:]:
    for c in json.load(open(path))["cells"]:
        for q in c["queries"]:
            if re.search(r'FROM\s+("procflux"\.)?("autogen"\.)?"?procflux"?\s', q["query"]):
                gb = re.search(r"GROUP BY (.*?)(?: FILL|$)", q["query"])
                print(("ok" if gb and '"dest"' in gb.group(1) else "FAIL") + "\t%s / %s: self-telemetry grouped by dest" % (path.rsplit("/", 1)[-1], c["name"]))
PY
}

mapfile -t dashboards < <(find "$root/contrib/chronograf" -name '*.dashboard' -type f 2>/dev/null | sort)
if [ "${#dashboards[@]}" -eq 0 ]; then
    nok "found .dashboard files under contrib/chronograf"
    finish
fi

while IFS=$'\t' read -r status msg; do
    if [ "$status" = ok ]; then ok "$msg"; else nok "$msg"; fi
done < <(check_dest_grouping "${dashboards[@]}")

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
