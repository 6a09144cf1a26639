#!/usr/bin/env bash
# Every unit suite and a short procflux run under valgrind: no invalid access,
# no leak. Run after `make unit procflux`. Prints "N passed, M failed".
# The runs stopped by SIGTERM are ended by the PID this script started them
# with (valgrind runs the program in its own process), never by name.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=integration/built.sh
. "$here/integration/built.sh"
passed=0 failed=0
pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM
vg_opts=(-q --leak-check=full '--show-leak-kinds=definite,indirect,possible'
         '--errors-for-leak-kinds=definite,indirect,possible' --error-exitcode=99)
vg_report() { # $1: name, $2: exit status
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1)); echo "ok   valgrind $1"
    else
        failed=$((failed + 1)); echo "FAIL valgrind $1"; tail -40 /tmp/procflux-vg.out
    fi
}
vg() { # $1: name, rest: command
    local name=$1; shift
    valgrind "${vg_opts[@]}" "$@" > /tmp/procflux-vg.out 2>&1
    vg_report "$name" $?
}
vg_term() { # $1: seconds, $2: name, rest: command; SIGTERM to it after $1 s
    local secs=$1 name=$2 pid rc; shift 2
    # a simple command, so $! is valgrind itself (Debian's valgrind wrapper
    # execs valgrind.bin, which runs the program: one PID throughout)
    valgrind "${vg_opts[@]}" "$@" > /tmp/procflux-vg.out 2>&1 &
    pid=$!; pids+=("$pid")
    sleep "$secs"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"; rc=$?
    pids=()
    vg_report "$name" "$rc"
}
for t in build/tests/test_*; do
    case $t in *.o|*.d) continue ;; esac
    CK_FORK=no FIXTURES=tests/fixtures vg "$(basename "$t")" "$t"
done
vg "procflux --once --stdout" ./procflux --once --stdout --interval 100ms --cpu-time --tag a=b
# A UDP run stopped by SIGTERM: the exit path frees everything too.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
vg_term 3 "procflux UDP run, SIGTERM" ./procflux --interval 20ms --dest "127.0.0.1:$port" --stats-every 1s
# Every collector this build has, --window, --fields and two destinations.
built=$(collectors_built ./procflux)
all=cpu,mem,system${built:+,$built}
net_opts=()
case ",$built," in *,net,*) net_opts=(--net-interfaces '*');; esac
vg_term 3 "procflux all collectors, window, fan-out" ./procflux --interval 20ms --window 100ms \
    --dest "127.0.0.1:$port" --dest "[::1]:$port" --collect "$all" \
    "${net_opts[@]}" --fields 'cpu:usage_*' --stats-every 1s
vg "procflux all collectors on a fixture root" ./procflux --once --stdout --interval 10ms \
    --collect "$all" --proc-root tests/fixtures/linux-6.x
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
