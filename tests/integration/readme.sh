#!/usr/bin/env bash
# Integration test: the README's commands (readme_check.py says which run and
# which are skipped, and why). Starts a throwaway influxd, fills it with a few
# seconds of procflux --host web1 (the host the README's queries name), then
# hands it to readme_check.py. Prints "N passed, M failed, K skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"
trap influxd_stop EXIT

influxd_start || exit 1
"$bin" --config '' --interval 100ms --stats-every 1s --host web1 --dest "127.0.0.1:$INFLUX_UDP" \
    2> "$INFLUX_DIR/procflux.err" &
pid=$!
sleep 2.5
kill -TERM "$pid"; wait "$pid"
sleep 1   # batch-timeout 200ms
python3 "$here/readme_check.py" "$bin" "$INFLUX_HTTP"
