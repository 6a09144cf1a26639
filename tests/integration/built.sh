# shellcheck shell=bash
# Sourced by the integration tests that need optional collectors: which of
# them this procflux has. A collector left out by `make COLLECTORS=...` is
# refused by --collect with exit 2 and "not built into this procflux"; that
# behaviour, not the Makefile, is the source of truth here.
#   collectors_built BIN   prints the built optional collectors, comma-separated
#   collectors_off BIN     prints the left-out ones, comma-separated

OPTIONAL_COLLECTORS="kernel processes pressure net diskio cgroup"

collector_built() { # $1: binary, $2: collector
    local err rc
    err=$("$1" --collect "$2" --once --stdout --interval 1ms 2>&1 >/dev/null); rc=$?
    ! { [ "$rc" -eq 2 ] && printf '%s\n' "$err" | grep -q "not built into this procflux"; }
}

_collectors_list() { # $1: binary, $2: yes (built) or no (left out)
    local c out=""
    for c in $OPTIONAL_COLLECTORS; do
        if collector_built "$1" "$c"; then
            [ "$2" = yes ] && out="$out,$c"
        else
            [ "$2" = no ] && out="$out,$c"
        fi
    done
    printf '%s\n' "${out#,}"
}
collectors_built() { _collectors_list "$1" yes; }
collectors_off() { _collectors_list "$1" no; }
