#!/usr/bin/env bash
# CI, embedded targets: the unit-test suite cross-built for aarch64 and for
# 32-bit armhf and run under qemu-user; then `make static` (musl), the
# stripped sizes, and the static binary's footprint at 10 Hz (max RSS,
# threads, open fds) against the targets in BENCHMARKS.md.
#
# Unit-test failures fail the run. Size and footprint targets are printed
# as OK/OVER and fail the run only with CROSS_STRICT=1.
#
# Every build happens in a copy of the tree in a temp dir, so a developer's
# build/ and ./procflux are left alone. Installs what it needs with
# `contrib/deps.sh --ci` when something is missing (CI runs that already).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
strict=${CROSS_STRICT:-0}
over=0
failed=

need_cmds="aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc aarch64-linux-gnu-pkg-config
           arm-linux-gnueabihf-pkg-config qemu-aarch64-static qemu-arm-static musl-gcc dpkg-source"
need_pkgs="libev-dev:arm64 check:arm64 libev-dev:armhf check:armhf"
missing=0
for c in $need_cmds; do command -v "$c" >/dev/null || missing=1; done
# shellcheck disable=SC2086  # a word list
dpkg -s $need_pkgs >/dev/null 2>&1 || missing=1
if [ $missing = 1 ]; then
    echo "== cross: installing cross toolchains, qemu-user, musl (contrib/deps.sh --ci)"
    contrib/deps.sh --ci
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/procflux-cross.XXXXXX")
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# A copy of the sources, without anything built.
copy_tree() {
    mkdir -p "$1"
    tar -C "$root" --exclude=./build --exclude=./procflux --exclude=./procflux-static \
        --exclude=./.git -cf - . | tar -C "$1" -xf -
}

# --- unit tests per target ---------------------------------------------------
# Emulation is 5-10x slower than native: stretch check's per-test timeout
# (the Makefile's CK_DEFAULT_TIMEOUT) rather than the tests.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}
# name  CROSS_COMPILE prefix  qemu-user runner
targets="aarch64:aarch64-linux-gnu-:qemu-aarch64-static armhf:arm-linux-gnueabihf-:qemu-arm-static"
for t in $targets; do
    IFS=: read -r name prefix runner <<<"$t"
    echo "== cross: $name: make unit CROSS_COMPILE=$prefix TEST_RUNNER=$runner"
    copy_tree "$work/$name"
    start=$SECONDS
    if ! make -C "$work/$name" -j"$(nproc)" build/tests/test_procparse \
            CROSS_COMPILE="$prefix" >"$work/$name.build.log" 2>&1; then
        cat "$work/$name.build.log"; echo "== cross: $name: build FAILED"; exit 1
    fi
    echo "   $(file -b "$work/$name/build/tests/test_procparse" | cut -d, -f1-2)"
    if make -C "$work/$name" -j"$(nproc)" unit CROSS_COMPILE="$prefix" TEST_RUNNER="$runner" \
            >"$work/$name.log" 2>&1; then
        result=passed
    else
        result=FAILED
    fi
    # The suites' summaries and failures; compiler warnings for this target.
    grep -E '^[0-9]+%: Checks|:[FE]:|error:' "$work/$name.log" | sed 's/^/   /' || true
    warn='^[^ :]+\.[ch]:[0-9]+:[0-9]+: warning:'
    w=$(cat "$work/$name.build.log" "$work/$name.log" | grep -Ec "$warn" || true)
    [ "$w" = 0 ] || { echo "   $w compiler warning(s) for $name:";
                      cat "$work/$name.build.log" "$work/$name.log" | grep -E "$warn" | sort -u | sed 's/^/   /'; }
    echo "== cross: $name: unit tests $result ($((SECONDS - start)) s)"
    [ $result = passed ] || failed="$failed $name"
done

# --- static build, sizes -------------------------------------------------------
echo "== static: make static COLLECTORS= (the small build: cpu, mem, system; musl, libev from Debian's source package)"
copy_tree "$work/static"
make -C "$work/static" -j"$(nproc)" procflux static COLLECTORS= >"$work/static.log" 2>&1 ||
    { cat "$work/static.log"; echo "== static: build FAILED"; exit 1; }
grep -E '^make static:' "$work/static.log" | sed 's/^/   /'
bin=$work/static/procflux-static
if readelf -lW "$bin" | grep -q INTERP || readelf -dW "$bin" 2>/dev/null | grep -q NEEDED; then
    echo "   procflux-static is NOT static:"; readelf -dW "$bin" | grep NEEDED; exit 1
fi
echo "   $(file -b "$bin" | cut -d, -f1-5)"
make -C "$work/static" --no-print-directory -s size COLLECTORS= | tee "$work/size.txt" | sed 's/^/   /'
grep -q OVER "$work/size.txt" && over=1

# --- footprint at 10 Hz --------------------------------------------------------
echo "== footprint: procflux-static --interval 100ms --stdout for 5 s"
# Start it with only fds 0-2 open, so what it holds is its own.
(
    for fd in /proc/self/fd/*; do
        n=${fd##*/}; [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null || true
    done
    exec "$bin" --interval 100ms --stdout >/dev/null 2>"$work/run.err"
) &
pid=$!
fds() { ls "/proc/$pid/fd" | wc -l; }
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
sleep 0.5
fd_start=$(fds)
sleep 5
fd_end=$(fds); hwm=$(field VmHWM); threads=$(field Threads)
echo "   open fds: $fd_start at 0.5 s, $fd_end at 5.5 s:" \
     "$(for f in /proc/$pid/fd/*; do printf '%s=%s ' "${f##*/}" "$(readlink "$f")"; done)"
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ $rc = 0 ] || { cat "$work/run.err"; echo "   procflux-static exited $rc on SIGTERM"; exit 1; }
v=OK; [ "$hwm" -le 256 ] || { v=OVER; over=1; }
echo "   max RSS (VmHWM): $hwm kB, target <= 256 KiB: $v"
v=OK; [ "$threads" = 1 ] || { v=OVER; over=1; }
echo "   threads: $threads, target 1: $v"
v=OK; [ "$fd_start" = "$fd_end" ] || { v=OVER; over=1; }
echo "   fds fixed over the run: $fd_start -> $fd_end: $v"

if [ -n "$failed" ]; then
    echo "== cross: unit tests FAILED for:$failed"
    exit 1
fi
if [ $over = 1 ]; then
    echo "== cross: a size or footprint target is OVER (see above)"
    [ "$strict" = 1 ] && exit 1
fi
echo "== cross: done"
