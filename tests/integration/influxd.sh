# Sourced by the integration tests: start a throwaway influxd on free loopback
# ports in a temp dir, with a [[udp]] listener writing to database "procflux".
#   influxd_start            sets INFLUX_HTTP, INFLUX_UDP, INFLUX_DIR, INFLUX_PID
#   influxd_query "InfluxQL" prints the JSON answer
#   influxd_stop
#   influxd_restart          stop and start again on the same ports and data
# INFLUX_READ_BUFFER (bytes, default 8 MiB) sizes the UDP socket's receive buffer,
# INFLUX_BATCH_SIZE/_PENDING/_TIMEOUT set the listener's batching (5000, 10, 200ms);
# INFLUX_UDP_IP (default 127.0.0.1) and INFLUX_UDP (default: a free port) place
# the UDP listener. INFLUX_UDP2=free adds a second [[udp]] listener on a free
# port (INFLUX_UDP2 then holds it) writing to database "procflux2".
# INFLUX_UDP_PRECISION, when set, is the first listener's `precision` setting,
# written as given (InfluxDB knows n, u, ms, s, m, h; anything else, "" and
# "us" included, means nanoseconds).

# pfhelp.py (the integration tests' Python helpers) sits next to this file.
PFHELP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pfhelp.py

free_port() { # $1: tcp|udp
    python3 "$PFHELP" free-port "$1"
}

influxd_start() {
    INFLUX_DIR=$(mktemp -d /tmp/procflux-influxd.XXXXXX)
    INFLUX_HTTP=$(free_port tcp)
    INFLUX_UDP=${INFLUX_UDP:-$(free_port udp)}
    local rpc; rpc=$(free_port tcp)
    [ "${INFLUX_UDP2:-}" = free ] && INFLUX_UDP2=$(free_port udp)
    cat > "$INFLUX_DIR/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$INFLUX_DIR/meta"
[data]
  dir = "$INFLUX_DIR/data"
  wal-dir = "$INFLUX_DIR/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_HTTP"
  log-enabled = false
[monitor]
  store-enabled = false
[[udp]]
  enabled = true
  bind-address = "${INFLUX_UDP_IP:-127.0.0.1}:$INFLUX_UDP"
  database = "procflux"
  batch-size = ${INFLUX_BATCH_SIZE:-5000}
  batch-pending = ${INFLUX_BATCH_PENDING:-10}
  batch-timeout = "${INFLUX_BATCH_TIMEOUT:-200ms}"
  read-buffer = ${INFLUX_READ_BUFFER:-8388608}
CONF
    if [ -n "${INFLUX_UDP_PRECISION+set}" ]; then
        printf '  precision = "%s"\n' "$INFLUX_UDP_PRECISION" >> "$INFLUX_DIR/influxdb.conf"
    fi
    if [ -n "${INFLUX_UDP2:-}" ]; then
        cat >> "$INFLUX_DIR/influxdb.conf" <<CONF
[[udp]]
  enabled = true
  bind-address = "127.0.0.1:$INFLUX_UDP2"
  database = "procflux2"
  batch-timeout = "200ms"
  read-buffer = ${INFLUX_READ_BUFFER:-8388608}
CONF
    fi
    influxd_launch
}

influxd_launch() {
    : > "$INFLUX_DIR/influxd.log"
    influxd -config "$INFLUX_DIR/influxdb.conf" >> "$INFLUX_DIR/influxd.log" 2>&1 &
    INFLUX_PID=$!
    for _ in $(seq 1 100); do
        local want=1
        [ -n "${INFLUX_UDP2:-}" ] && want=2
        if curl -sf "http://127.0.0.1:$INFLUX_HTTP/ping" >/dev/null 2>&1 &&
            [ "$(grep -c "Started listening on UDP" "$INFLUX_DIR/influxd.log")" -ge $want ]; then
            # 1.6's UDP service creates its database only on its first write.
            if curl -sf -XPOST "http://127.0.0.1:$INFLUX_HTTP/query" \
                    --data-urlencode "q=CREATE DATABASE procflux" >/dev/null &&
                { [ $want = 1 ] || curl -sf -XPOST "http://127.0.0.1:$INFLUX_HTTP/query" \
                    --data-urlencode "q=CREATE DATABASE procflux2" >/dev/null; }; then
                return 0
            fi
        fi
        kill -0 "$INFLUX_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "influxd did not start; its log:" >&2
    cat "$INFLUX_DIR/influxd.log" >&2
    return 1
}

influxd_query() {
    curl -sf -G "http://127.0.0.1:$INFLUX_HTTP/query" --data-urlencode "db=${INFLUX_DB:-procflux}" \
        --data-urlencode "epoch=ns" --data-urlencode "q=$1"
}

influxd_restart() {
    kill "$INFLUX_PID" 2>/dev/null
    wait "$INFLUX_PID" 2>/dev/null
    influxd_launch
}

influxd_stop() {
    if [ -n "${INFLUX_PID:-}" ]; then
        kill "$INFLUX_PID" 2>/dev/null
        wait "$INFLUX_PID" 2>/dev/null
        INFLUX_PID=
    fi
    [ -n "${INFLUX_DIR:-}" ] && rm -rf "$INFLUX_DIR"
    INFLUX_DIR=
}
