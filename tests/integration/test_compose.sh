#!/usr/bin/env bash
# Static checks of the container demo (no Docker engine needed):
#   - docker-compose.yml passes `docker-compose config -q`
#   - the Dockerfile's build stage compiles only through `make`
#   - the runtime stage is bookworm-slim with libev4 only, runs as a numeric
#     non-root user, and has procflux as its ENTRYPOINT
#   - .dockerignore keeps host build outputs out of the context
#   - the compose file points Chronograf's RESOURCES_PATH at a mounted
#     directory that holds the .src / .dashboard resources (mounted there, or
#     mounted apart and copied in by the chronograf service's entrypoint)
#   - that entrypoint, run on a copy of the resources made with umask 027,
#     leaves them mode 0644 in RESOURCES_PATH and then runs the image's own
#     entrypoint with the image's command (needs python3-yaml)
#
# Usage: tests/integration/test_compose.sh
# Needs docker-compose (Debian package `docker-compose`) or the `docker
# compose` plugin; when neither is present and we are root, the Debian
# package is installed with apt-get.
#
# Prints one line per check and finally exactly "N passed, M failed";
# exits non-zero if anything failed.

set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

pass=0
fail=0
ok()  { pass=$((pass + 1)); printf 'ok   - %s\n' "$*"; }
nok() { fail=$((fail + 1)); printf 'FAIL - %s\n' "$*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ------------------------------------------------------------ compose config
compose=()
if command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "# docker-compose not found; installing the Debian package"
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; } \
        >"$tmp/apt.log" 2>&1; then
        compose=(docker-compose)
    else
        tail -n 5 "$tmp/apt.log"
    fi
fi

if [ "${#compose[@]}" -eq 0 ]; then
    nok "docker-compose available (apt-get install -y docker-compose)"
else
    # The variables the file interpolates must not be needed: unset them so
    # the check sees the defaults whatever the caller's environment holds.
    if env -u PROCFLUX_INTERVAL -u PROCFLUX_PRECISION -u PROCFLUX_HOST \
        -u CHRONOGRAF_BIND -u INFLUXDB_UDP_BIND \
        "${compose[@]}" -f docker-compose.yml config -q >"$tmp/config.out" 2>&1; then
        ok "${compose[*]} -f docker-compose.yml config -q"
    else
        nok "${compose[*]} -f docker-compose.yml config -q: $(head -c 600 "$tmp/config.out")"
    fi
    # A non-default interval must reach procflux's command line.
    if PROCFLUX_INTERVAL=250ms "${compose[@]}" -f docker-compose.yml config >"$tmp/config.yml" 2>&1 \
        && grep -Eq '^[[:space:]]*-[[:space:]]*"?250ms"?[[:space:]]*$' "$tmp/config.yml"; then
        ok "PROCFLUX_INTERVAL=250ms is passed to procflux"
    else
        nok "PROCFLUX_INTERVAL=250ms is passed to procflux: $(head -c 300 "$tmp/config.yml")"
    fi
fi

# ------------------------------------------------------------ Dockerfile
if [ ! -f Dockerfile ]; then
    nok "Dockerfile exists"
else
    # Join continuation lines, drop comments, then split into stages.
    sed -e 's/[[:space:]]*#.*$//' Dockerfile | sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' \
        | awk -v dir="$tmp" '
            toupper($1) == "FROM" { n++ }
            n > 0 { print > (dir "/stage" n) }
        '
    nstages=$(find "$tmp" -maxdepth 1 -name 'stage*' | wc -l)
    if [ "$nstages" -ge 2 ]; then
        ok "Dockerfile is multi-stage ($nstages stages)"
    else
        nok "Dockerfile is multi-stage ($nstages stages)"
    fi
    build="$tmp/stage1"
    runtime="$tmp/stage$nstages"

    if grep -Eiq '^FROM[[:space:]]+debian:bookworm-slim[[:space:]]+AS[[:space:]]+' "$build" \
        && grep -Eiq '^FROM[[:space:]]+debian:bookworm-slim[[:space:]]*$' "$runtime"; then
        ok "both stages are debian:bookworm-slim"
    else
        nok "both stages are debian:bookworm-slim"
    fi

    # Build-stage RUN commands, split on && ; | so each is one command.
    grep -Ei '^RUN[[:space:]]' "$build" | sed -E 's/^RUN[[:space:]]+//I' \
        | sed -E 's/(&&|\|\||;|\|)/\n/g' | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' \
        | grep -v '^$' >"$tmp/build_cmds"
    if grep -Eq '^make([[:space:]]|$)' "$tmp/build_cmds"; then
        ok "build stage runs make"
    else
        nok "build stage runs make: $(tr '\n' '|' <"$tmp/build_cmds")"
    fi
    for pkg in gcc make libev-dev; do
        if grep -E '^apt-get install' "$tmp/build_cmds" | grep -Eq "(^|[[:space:]])$pkg([[:space:]]|$)"; then
            ok "build stage installs $pkg"
        else
            nok "build stage installs $pkg"
        fi
    done
    # No compiler/linker is invoked except by make. Package names on the
    # apt-get install line are not invocations.
    compilers='(^|[[:space:]/])(gcc|cc|c99|c89|clang|tcc|g\+\+|c\+\+|ld|ld\.bfd|ld\.gold|as)(-[0-9]+)?([[:space:]]|$)'
    if grep -Ev '^apt-get' "$tmp/build_cmds" | grep -Eq "$compilers"; then
        nok "build stage invokes no compiler except through make: $(grep -Ev '^apt-get' "$tmp/build_cmds" | grep -E "$compilers" | head -n 3 | tr '\n' '|')"
    else
        ok "build stage invokes no compiler except through make"
    fi

    # Runtime stage: libev4 only, numeric non-root USER, ENTRYPOINT procflux.
    pkgs=$(grep -Ei '^RUN[[:space:]]' "$runtime" | sed -E 's/(&&|;)/\n/g' | grep -E 'apt-get install' \
        | sed -E 's/.*apt-get install//; s/(^|[[:space:]])-[^[:space:]]*//g' | tr -s ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' ')
    if [ "$pkgs" = "libev4 " ]; then
        ok "runtime stage installs only libev4"
    else
        nok "runtime stage installs only libev4 (got: ${pkgs:-nothing})"
    fi
    if grep -Ei '^COPY[[:space:]]+--from=' "$runtime" | grep -q 'procflux'; then
        ok "runtime stage copies the procflux binary from the build stage"
    else
        nok "runtime stage copies the procflux binary from the build stage"
    fi
    user=$(grep -Ei '^USER[[:space:]]' "$runtime" | tail -n 1 | awk '{print $2}')
    if [[ "$user" =~ ^[0-9]+(:[0-9]+)?$ ]] && [ "${user%%:*}" -ne 0 ]; then
        ok "runtime stage runs as numeric non-root USER $user"
    else
        nok "runtime stage runs as numeric non-root USER (got '${user}')"
    fi
    if grep -Eiq '^ENTRYPOINT[[:space:]]+\[[[:space:]]*"[^"]*procflux"' "$runtime"; then
        ok "ENTRYPOINT is procflux (exec form)"
    else
        nok "ENTRYPOINT is procflux (exec form)"
    fi
fi

# ------------------------------------------------------------ .dockerignore
if [ -f .dockerignore ]; then
    missing=()
    for pat in .git procflux '*.o'; do
        grep -qxF -- "$pat" .dockerignore || missing+=("$pat")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        ok ".dockerignore excludes .git, a host-built procflux and *.o"
    else
        nok ".dockerignore excludes ${missing[*]}"
    fi
    for keep in Makefile src include; do
        if grep -qxE -- "/?$keep/?" .dockerignore; then
            nok ".dockerignore must not exclude $keep"
        fi
    done
else
    nok ".dockerignore exists"
fi

# ------------------------------------------------------------ Chronograf resources
res_path=$(grep -E '^[[:space:]]*RESOURCES_PATH:' docker-compose.yml | head -n 1 | sed -E 's/.*RESOURCES_PATH:[[:space:]]*//; s/["'\'']//g; s/[[:space:]]+$//')
mount_src=$(grep -E "^[[:space:]]*-[[:space:]]*\"?[^:\"]+:${res_path}(:ro)?\"?[[:space:]]*$" docker-compose.yml | head -n 1 \
    | sed -E 's/^[[:space:]]*-[[:space:]]*"?//; s/:.*//')
copied_from=
if [ -z "$mount_src" ] && [ -n "$res_path" ]; then
    # Mounted apart and copied into RESOURCES_PATH at start: the mount whose
    # target the chronograf entrypoint copies from.
    for target in $(grep -Eo '^[[:space:]]*-[[:space:]]*"?[^:"]+:/[^:"]+(:ro)?"?[[:space:]]*$' docker-compose.yml \
            | sed -E 's/^[[:space:]]*-[[:space:]]*"?[^:]+://; s/(:ro)?"?[[:space:]]*$//'); do
        if grep -Eq "for f in $target/\*\.src $target/\*\.dashboard" docker-compose.yml; then
            copied_from=$target
            mount_src=$(grep -E "^[[:space:]]*-[[:space:]]*\"?[^:\"]+:${target}(:ro)?\"?[[:space:]]*$" docker-compose.yml \
                | head -n 1 | sed -E 's/^[[:space:]]*-[[:space:]]*"?//; s/:.*//')
        fi
    done
fi
if [ -n "$copied_from" ] && [ -d "$mount_src" ] \
    && ls "$mount_src"/*.src >/dev/null 2>&1 && ls "$mount_src"/*.dashboard >/dev/null 2>&1; then
    ok "RESOURCES_PATH=$res_path is filled at start from $copied_from, mounted from $mount_src, which has .src and .dashboard files"
elif [ -n "$res_path" ] && [ -n "$mount_src" ] && [ -d "$mount_src" ] \
    && ls "$mount_src"/*.src >/dev/null 2>&1 && ls "$mount_src"/*.dashboard >/dev/null 2>&1; then
    ok "RESOURCES_PATH=$res_path is mounted from $mount_src, which has .src and .dashboard files"
else
    nok "RESOURCES_PATH ('$res_path') is mounted from a directory ('$mount_src') with .src and .dashboard files"
fi

# The copy at start, as the chronograf service runs it, on resources checked out
# with umask 027 (files 0640, directory 0750): what lands in RESOURCES_PATH is
# 0644 whoever owns the checkout. The image's /entrypoint.sh is a stub here.
if [ -n "$copied_from" ] && [ "${#compose[@]}" -gt 0 ] && python3 -c 'import yaml' 2>/dev/null; then
    (umask 027; mkdir -p "$tmp/res" && cp "$mount_src"/*.src "$mount_src"/*.dashboard "$tmp/res/")
    "${compose[@]}" -f docker-compose.yml config >"$tmp/full.yml" 2>&1
    if python3 - "$tmp" "$copied_from" >"$tmp/copy.out" 2>&1 <<'PY'
import os, stat, subprocess, sys, yaml
tmp, copied_from = sys.argv[1], sys.argv[2]
svc = yaml.safe_load(open(os.path.join(tmp, "full.yml")))["services"]["chronograf"]
ep, cmd = svc["entrypoint"], svc.get("command") or []
stub = os.path.join(tmp, "entrypoint.sh")
with open(stub, "w") as f:
    f.write('#!/bin/sh\necho "ran: $*"\n')
os.chmod(stub, 0o755)
dest = os.path.join(tmp, "resources-path")
script = (ep[2].replace("$$", "$").replace("/entrypoint.sh", stub)
          .replace(copied_from + "/", os.path.join(tmp, "res") + "/"))
env = dict(os.environ, RESOURCES_PATH=dest)
out = subprocess.run(ep[:2] + [script] + ep[3:] + cmd, env=env, capture_output=True, text=True)
src = sorted(os.listdir(os.path.join(tmp, "res")))
got = sorted(os.listdir(dest)) if os.path.isdir(dest) else []
modes = {n: oct(stat.S_IMODE(os.stat(os.path.join(dest, n)).st_mode)) for n in got}
same = all(open(os.path.join(dest, n), "rb").read() == open(os.path.join(tmp, "res", n), "rb").read() for n in got)
print("src %s (modes %s) -> %s %s; %s" % (src, [oct(stat.S_IMODE(os.stat(os.path.join(tmp, "res", n)).st_mode)) for n in src],
                                          modes, out.stdout.strip(), out.stderr.strip()))
ok = (got == src and same and all(m == "0o644" for m in modes.values())
      and out.stdout.strip() == "ran: chronograf" and out.returncode == 0)
sys.exit(0 if ok else 1)
PY
    then
        ok "chronograf entrypoint copies umask-027 resources into RESOURCES_PATH as 0644, then runs the image's entrypoint: $(cat "$tmp/copy.out")"
    else
        nok "chronograf entrypoint copies umask-027 resources into RESOURCES_PATH as 0644: $(head -c 600 "$tmp/copy.out")"
    fi
fi

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
