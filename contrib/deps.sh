#!/bin/sh
# Install what building and testing procflux needs on Debian (bookworm):
# one apt-get update, then one apt-get install. Re-running is harmless.
#
#   contrib/deps.sh        native build, unit and integration tests (README);
#                          victoria-metrics (its vmagent and single-node server)
#                          for tests/integration/vmagent.sh. Like influxdb, the
#                          package enables its service (:8428) where systemd
#                          runs; the tests start their own on free ports.
#   contrib/deps.sh --ci   also what .ci/cross.sh needs: aarch64 and armhf
#                          cross toolchains with the targets' libev and check,
#                          qemu-user to run their tests, musl-tools and
#                          dpkg-dev for `make static`.
#
# --ci adds the foreign dpkg architectures arm64 and armhf. The 32-bit
# architecture's bookworm-security indexes are served with the wrong size
# here, which breaks `apt-get update`; so before adding it we restrict the
# security entry to the native architecture and arm64. The 32-bit packages
# then come from the main suite. Every step checks first, so running it again
# changes nothing.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

CI_PKGS=
if [ "${1:-}" = "--ci" ]; then
    native=$(dpkg --print-architecture)
    sources=/etc/apt/sources.list.d/debian.sources
    # Restrict the stanza that names bookworm-security (deb822 format) to
    # the native architecture and arm64, unless it already has a restriction.
    if [ -f "$sources" ] && ! awk '
            /^[[:space:]]*$/ { if (sec && arch) found = 1; sec = 0; arch = 0; next }
            /^Suites:.*-security/ { sec = 1 }
            /^Architectures:/ { arch = 1 }
            END { if (sec && arch) found = 1; exit !found }' "$sources"; then
        tmp=$(mktemp)
        awk -v archs="$native arm64" '
            /^Suites:.*-security/ { print; print "Architectures: " archs; next }
            { print }' "$sources" >"$tmp"
        $SUDO cp "$tmp" "$sources"
        rm -f "$tmp"
        echo "deps.sh: $sources: bookworm-security limited to $native arm64"
    fi
    for a in arm64 armhf; do
        dpkg --print-foreign-architectures | grep -qx "$a" || $SUDO dpkg --add-architecture "$a"
    done
    CI_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross libev-dev:arm64 check:arm64 pkgconf:arm64
             gcc-arm-linux-gnueabihf libc6-dev-armhf-cross libev-dev:armhf check:armhf pkgconf:armhf
             qemu-user-static musl-tools dpkg-dev binutils libclang-rt-14-dev"
fi

$SUDO apt-get update -q
# shellcheck disable=SC2086  # CI_PKGS is a word list
$SUDO apt-get install -y -q --no-install-recommends \
    gcc clang make libc6-dev pkg-config libev-dev check \
    influxdb curl python3 ca-certificates procps iproute2 strace util-linux \
    valgrind docker-compose victoria-metrics pyflakes3 $CI_PKGS
