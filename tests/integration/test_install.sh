#!/usr/bin/env bash
# make install honours PREFIX and DESTDIR (and BINDIR, MANDIR): the binary, the
# man page procflux.1 and the example config land where they should, and
# nothing is written outside DESTDIR. When the Makefile has them,
# install-systemd and install-sysvinit are checked too (the installed unit and
# init script must point at the installed binary), and so is make uninstall
# (everything those put under DESTDIR goes again, and nothing else).
#
#   tests/integration/test_install.sh      (from any directory; uses this tree)
#
# Prints one line per check, then "N passed, M failed"; exits 1 on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/procflux-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1${2:+: $2}"; }
skip() { skipped=$((skipped + 1)); echo "skip $1"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
mode_is() { [ "$(stat -c %a "$1" 2>/dev/null)" = "$2" ]; }
has_target() { make -C "$root" -n "$1" DESTDIR="$tmp/probe" >/dev/null 2>&1; }

version=$(sed -n 's/^VERSION *= *//p' "$root/Makefile")

# 1. First, dry runs: every absolute path each install below would write must
#    lie under its DESTDIR. If not, stop before installing anything for real.
#    (Compile and link lines, "-o ...", are not install commands.)
outside() { # outside DESTDIR MAKEARGS...
    local dest=$1
    shift
    make -C "$root" --no-print-directory -n "$@" DESTDIR="$dest" 2>/dev/null | grep -v -e ' -o ' |
        tr -s ' \t' '\n' | sed 's/^>//' | grep '^/' | grep -v "^$dest/"
}
targets=install
has_target install-systemd && targets="$targets install-systemd"
has_target install-sysvinit && targets="$targets install-sysvinit"
has_target uninstall && targets="$targets uninstall"
stray_paths=""
for args in "PREFIX=/usr" "" "BINDIR=/opt/pf/sbin MANDIR=/opt/pf/man" \
            "PREFIX=/usr SYSTEMDUNITDIR=/usr/lib/systemd/system"; do
    # shellcheck disable=SC2086
    p=$(outside "$tmp/dry" $targets $args)
    [ -z "$p" ] || stray_paths="$stray_paths $p"
done
if [ -z "$stray_paths" ]; then
    ok "make -n $targets: writes only under DESTDIR"
else
    bad "make -n $targets: writes only under DESTDIR" "would write$(echo "$stray_paths" | tr '\n' ' ')"
    echo "$passed passed, $failed failed, $skipped skipped (stopped: not installing outside DESTDIR)"
    exit 1
fi

# 2. PREFIX=/usr with a DESTDIR.
d=$tmp/pkg
if make -C "$root" --no-print-directory install PREFIX=/usr DESTDIR="$d" > "$tmp/make.log" 2>&1; then
    ok "make install PREFIX=/usr DESTDIR=... succeeds"
else
    bad "make install PREFIX=/usr DESTDIR=... succeeds" "$(tail -n 3 "$tmp/make.log" | tr '\n' ' ')"
fi
bin=$d/usr/bin/procflux
man=$d/usr/share/man/man1/procflux.1
check "binary at \$DESTDIR/usr/bin/procflux, mode 755" mode_is "$bin" 755
out=$("$bin" --version 2>&1)
check "installed binary runs: --version says 'procflux $version'" [ "$out" = "procflux $version" ]
check "man page at \$DESTDIR/usr/share/man/man1/procflux.1, mode 644" mode_is "$man" 644
check "installed man page is procflux.1 of the tree" cmp -s "$man" "$root/procflux.1"
check "example config at \$DESTDIR/usr/share/doc/procflux/procflux.conf.example, mode 644" \
    mode_is "$d/usr/share/doc/procflux/procflux.conf.example" 644
stray=$(cd "$d" 2>/dev/null && find . -type f | grep -v -e '^./usr/bin/procflux$' -e '^./usr/share/man/man1/procflux.1$' \
    -e '^./usr/share/doc/procflux/procflux.conf.example$')
check "nothing else installed" [ -z "$stray" ]
[ -z "$stray" ] || echo "     extra: $stray"

if [ -f "$man" ]; then
    if command -v groff >/dev/null 2>&1; then
        warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
        check "man page renders without groff warnings" [ -z "$warn" ]
        [ -z "$warn" ] || echo "$warn" | head -n 5 | sed 's/^/     /'
    else
        skip "man page renders without groff warnings (no groff)"
    fi
    if command -v lexgrog >/dev/null 2>&1; then
        check "man page has a NAME line (lexgrog)" lexgrog "$man" >/dev/null 2>&1
    else
        skip "man page has a NAME line (no lexgrog)"
    fi
    if command -v man >/dev/null 2>&1; then
        # shellcheck disable=SC2016 # expanded by the inner sh
        check "man finds it under \$DESTDIR/usr/share/man" \
            sh -c 'MANPATH="$1" man -w procflux 2>/dev/null | grep -qx "$2"' sh "$d/usr/share/man" "$man"
    fi
fi

# 3. The default PREFIX is /usr/local; BINDIR and MANDIR may be set alone.
d2=$tmp/local
make -C "$root" --no-print-directory install DESTDIR="$d2" > "$tmp/make2.log" 2>&1
check "default PREFIX: \$DESTDIR/usr/local/bin/procflux" mode_is "$d2/usr/local/bin/procflux" 755
check "default PREFIX: \$DESTDIR/usr/local/share/man/man1/procflux.1" \
    mode_is "$d2/usr/local/share/man/man1/procflux.1" 644
d3=$tmp/dirs
make -C "$root" --no-print-directory install DESTDIR="$d3" BINDIR=/opt/pf/sbin MANDIR=/opt/pf/man \
    > "$tmp/make3.log" 2>&1
check "BINDIR=/opt/pf/sbin honoured" mode_is "$d3/opt/pf/sbin/procflux" 755
check "MANDIR=/opt/pf/man honoured" mode_is "$d3/opt/pf/man/man1/procflux.1" 644

# 4. The service files, when the Makefile installs them.
if has_target install-systemd; then
    make -C "$root" --no-print-directory install-systemd PREFIX=/usr DESTDIR="$d" \
        SYSTEMDUNITDIR=/usr/lib/systemd/system > "$tmp/make4.log" 2>&1
    unit=$d/usr/lib/systemd/system/procflux.service
    check "install-systemd: unit at \$DESTDIR\$SYSTEMDUNITDIR, mode 644" mode_is "$unit" 644
    check "install-systemd: ExecStart=/usr/bin/procflux (follows PREFIX)" \
        grep -qx 'ExecStart=/usr/bin/procflux' "$unit"
    # shellcheck disable=SC2016 # expanded by the inner sh
    check "install-systemd: no /usr/local left in the unit's settings" \
        sh -c '! grep -v "^#" "$1" | grep -q /usr/local' sh "$unit"
    if command -v systemd-analyze >/dev/null 2>&1; then
        # Verify a copy pointing at the installed binary (it is not in /usr/bin here).
        sed "s|/usr/bin/procflux|$bin|g" "$unit" > "$tmp/procflux.service"
        msg=$(MANPATH="$d/usr/share/man" systemd-analyze verify "$tmp/procflux.service" 2>&1)
        check "install-systemd: systemd-analyze verify is clean" [ -z "$msg" ]
        [ -z "$msg" ] || echo "$msg" | head -n 5 | sed 's/^/     /'
    else
        skip "install-systemd: systemd-analyze verify (no systemd-analyze)"
    fi
else
    skip "install-systemd (no such make target)"
fi
if has_target install-sysvinit; then
    make -C "$root" --no-print-directory install-sysvinit PREFIX=/usr DESTDIR="$d" > "$tmp/make5.log" 2>&1
    init=$d/etc/init.d/procflux
    check "install-sysvinit: \$DESTDIR/etc/init.d/procflux, mode 755" mode_is "$init" 755
    check "install-sysvinit: DAEMON=/usr/bin/procflux (follows PREFIX)" grep -qx 'DAEMON=/usr/bin/procflux' "$init"
    check "install-sysvinit: sh -n accepts it" sh -n "$init"
else
    skip "install-sysvinit (no such make target)"
fi

# 5. make uninstall, with the same variables, takes away every file the
#    install targets put under DESTDIR, and only those.
if has_target uninstall; then
    # make variables | their bin directory | their SYSCONFDIR
    while IFS='|' read -r args bindir sysconfdir; do
        u=$(mktemp -d "$tmp/un.XXXXXX")
        # someone else's files in the shared directories must stay
        mkdir -p "$u$bindir" "$u$sysconfdir"
        echo keep > "$u$bindir/other-tool"
        echo keep > "$u$sysconfdir/other.conf"
        # shellcheck disable=SC2086
        make -C "$root" --no-print-directory install install-systemd install-sysvinit $args DESTDIR="$u" \
            > "$tmp/make6.log" 2>&1
        n=$(find "$u" -name '*procflux*' | wc -l)
        check "uninstall [${args:-defaults}]: install put procflux files there first ($n)" [ "$n" -ge 5 ]
        # shellcheck disable=SC2086
        if make -C "$root" --no-print-directory uninstall $args DESTDIR="$u" > "$tmp/make7.log" 2>&1; then
            ok "uninstall [${args:-defaults}]: succeeds"
        else
            bad "uninstall [${args:-defaults}]: succeeds" "$(tail -n 3 "$tmp/make7.log" | tr '\n' ' ')"
        fi
        left=$(find "$u" -name '*procflux*')
        check "uninstall [${args:-defaults}]: no procflux file or directory left" [ -z "$left" ]
        [ -z "$left" ] || echo "     left: $left"
        check "uninstall [${args:-defaults}]: other files in the same directories stay" \
            test -f "$u$bindir/other-tool" -a -f "$u$sysconfdir/other.conf"
        # shellcheck disable=SC2086
        check "uninstall [${args:-defaults}]: again, on the emptied tree, succeeds" \
            make -C "$root" --no-print-directory -s uninstall $args DESTDIR="$u"
    done <<'CASES'
PREFIX=/usr SYSTEMDUNITDIR=/usr/lib/systemd/system|/usr/bin|/etc
|/usr/local/bin|/etc
BINDIR=/opt/pf/sbin MANDIR=/opt/pf/man DOCDIR=/opt/pf/doc SYSCONFDIR=/opt/pf/etc|/opt/pf/sbin|/opt/pf/etc
CASES
else
    bad "uninstall (no such make target)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
