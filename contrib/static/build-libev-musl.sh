#!/bin/sh
# Build a static libev for musl from Debian's libev source package, for
# `make static`. Debian's libev.a is built against glibc and does not link
# with musl, and libev's code is never kept in this repository: it is
# fetched with `apt-get source` each time the build tree is empty.
#
#   contrib/static/build-libev-musl.sh PREFIX [CC]
#
# installs PREFIX/include/ev.h and PREFIX/lib/libev.a, built with CC
# (default musl-gcc). The deb-src entries exist only in a temporary apt
# configuration derived from the machine's own Debian entries, so the
# system's sources and package lists are left alone. Needs dpkg-dev (for
# dpkg-source) and network access to the Debian mirror.
set -eu
prefix=${1:?usage: build-libev-musl.sh PREFIX [CC]}
cc=${2:-musl-gcc}
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/procflux-libev.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt downloads as user _apt
mkdir -p "$work/etc/sources.list.d" "$work/lists/partial" \
         "$work/cache/archives/partial" "$work/src"

# deb-src twins of the Debian entries: deb822 files get Types: deb-src,
# one-line files get their `deb` lines copied as `deb-src`.
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -qi '/debian' "$f" || continue
    sed -e 's/^Types:.*/Types: deb-src/' -e '/^Architectures:/d' "$f" \
        >"$work/etc/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^deb \(.*\/debian.*\)/deb-src \1/p' "$f" \
        >>"$work/etc/sources.list.d/from-list.list"
done

apt() {
    apt-get -q -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$work/etc/sources.list.d" \
        -o Dir::State::Lists="$work/lists" \
        -o Dir::Cache="$work/cache" "$@"
}
apt update
(cd "$work/src" && apt source --download-only libev)
dsc=$(ls "$work"/src/libev_*.dsc)
dpkg-source --no-check -x "$dsc" "$work/src/libev" >/dev/null
echo "build-libev-musl.sh: $(basename "$dsc") unpacked, building with $cc"

cd "$work/src/libev"
# Size over speed for the static daemon; every function in its own section
# so that --gc-sections can drop the backends and watchers procflux does
# not use.
CC=$cc CFLAGS="-Os -ffunction-sections -fdata-sections" \
    ./configure --quiet --prefix="$prefix" --disable-shared --enable-static
make -s
rm -rf "$prefix"
make -s install
echo "build-libev-musl.sh: installed $prefix/lib/libev.a"
