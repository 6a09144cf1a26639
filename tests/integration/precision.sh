#!/usr/bin/env bash
# Integration test: every precision pairing the docs give lands at the right
# time in a real influxd. For each [[udp]] `precision` (unset, n, u, ms, s) an
# influxd is started with it, procflux runs against it with each --precision
# the docs pair with it (procflux's spelling and InfluxDB's), and the points'
# timestamps are read back: all within seconds of now, whole units of the
# precision. The demo's pairs come from docker-compose.yml itself: for each
# PROCFLUX_PRECISION value, procflux's --precision and the listener precision
# the influxdb service's entrypoint sets (precision_check.py compose). One
# wrong pairing (us on both sides, which InfluxDB reads as nanoseconds) is run
# too, and must land in January 1970: the failure the docs warn about.
# Prints "N passed, M failed[, K skipped]" and exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-./procflux}")
. "$here/influxd.sh"

results=$(mktemp /tmp/procflux-precision.XXXXXX)
trap 'influxd_stop; rm -f "$results"' EXIT

# label procflux-arg listener-precision ("-": no precision line) expect
combos=(
    "doc_ns_unset ns - now"
    "doc_ns_n ns n now"
    "doc_n_n n n now"
    "doc_us_u us u now"
    "doc_u_u u u now"
    "doc_ms_ms ms ms now"
    "doc_s_s s s now"
    "wrong_us_us us us 1970"
)
if python3 -c 'import yaml' 2>/dev/null &&
    { command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1; }; then
    for v in ns n us u ms s; do
        if pair=$(python3 "$here/precision_check.py" compose "$v" 2>&1); then
            read -r arg listener <<<"$pair"
            combos+=("compose_$v $arg ${listener:--} now")
        else
            echo "combo_compose_$v $v ? now" >> "$results"
            echo "compose PROCFLUX_PRECISION=$v: $pair" >&2
        fi
    done
else
    echo "skip_compose docker-compose or python3-yaml missing: the demo's pairs were not read" >> "$results"
fi

for listener in - n u ms s us; do
    if [ "$listener" = - ]; then unset INFLUX_UDP_PRECISION; else INFLUX_UDP_PRECISION=$listener; fi
    INFLUX_UDP=
    influxd_start || exit 1
    pids=() labels=()
    for c in "${combos[@]}"; do
        read -r label arg l expect <<<"$c"
        [ "$l" = "$listener" ] || continue
        "$bin" --config '' --interval 1s --collect mem --stats-every 0s --precision "$arg" \
            --dest "127.0.0.1:$INFLUX_UDP" --tag "combo=$label" 2>> "$INFLUX_DIR/procflux.err" &
        pids+=($!) labels+=("$label")
        echo "combo_$label $label $arg ${l/-/(unset)} $expect" >> "$results"
    done
    sleep 3.5
    for p in "${pids[@]}"; do kill -TERM "$p"; wait "$p"; done
    sleep 1   # batch-timeout 200ms
    for label in "${labels[@]}"; do
        echo "Q_$label $(influxd_query "SELECT total FROM mem WHERE combo = '$label'")" >> "$results"
        echo "now_$label $(date +%s%N)" >> "$results"
    done
    if grep -qv "info: signal" "$INFLUX_DIR/procflux.err"; then
        echo "--- procflux stderr (listener precision $listener)"; cat "$INFLUX_DIR/procflux.err"
    fi
    influxd_stop
done

python3 "$here/precision_check.py" check "$results" "$bin"
