#!/bin/sh
# Install what building and testing procflux needs on Debian (bookworm):
# one apt-get update, then one apt-get install. Re-running is harmless.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
    gcc clang make libc6-dev pkg-config libev-dev check \
    influxdb curl python3 ca-certificates procps \
    valgrind docker-compose
