#!/usr/bin/env bash
# Every unit suite and a short procflux run under valgrind: no invalid access,
# no leak. Run after `make unit procflux`. Prints "N passed, M failed".
set -u
passed=0 failed=0
vg() { # $1: name, rest: command
    local name=$1; shift
    if valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 "$@" \
        > /tmp/procflux-vg.out 2>&1; then
        passed=$((passed + 1)); echo "ok   valgrind $name"
    else
        failed=$((failed + 1)); echo "FAIL valgrind $name"; tail -40 /tmp/procflux-vg.out
    fi
}
for t in build/tests/test_*; do
    case $t in *.o|*.d) continue ;; esac
    CK_FORK=no FIXTURES=tests/fixtures vg "$(basename "$t")" "$t"
done
vg "procflux --once --stdout" ./procflux --once --stdout --interval 100ms --cpu-time --tag a=b
# A UDP run stopped by SIGTERM: the exit path frees everything too.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
( sleep 3; pkill -TERM -f "procflux --interval 20ms --dest 127.0.0.1:$port" ) &
vg "procflux UDP run, SIGTERM" ./procflux --interval 20ms --dest "127.0.0.1:$port" --stats-every 1s
wait
# Every collector, --window, --fields and two destinations (issue 7).
( sleep 3; pkill -TERM -f "procflux --interval 20ms --window 100ms" ) &
vg "procflux all collectors, window, fan-out" ./procflux --interval 20ms --window 100ms \
    --dest "127.0.0.1:$port" --dest "[::1]:$port" --collect cpu,mem,system,kernel,processes,pressure,net,diskio \
    --net-interfaces '*' --fields 'cpu:usage_*' --stats-every 1s
wait
vg "procflux all collectors on a fixture root" ./procflux --once --stdout --interval 10ms \
    --collect cpu,mem,system,kernel,processes,pressure,net,diskio --proc-root tests/fixtures/linux-6.x
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
