# procflux container image.
#
# Build:  docker build -t procflux .
# Run:    docker run --rm -v /proc:/host/proc:ro -e HOST_PROC=/host/proc \
#             procflux --dest influxdb.example:8089 --interval 1s
#
# Two stages: the build stage compiles with the repository Makefile (plain
# `make`, nothing else invokes the compiler); the runtime stage carries only
# the binary and its one shared-library dependency, libev4.

FROM debian:bookworm-slim AS build

# gcc only *recommends* libc6-dev (headers, crt files); with
# --no-install-recommends it has to be named explicitly.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc make libc6-dev libev-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# The Makefile is the single source of truth for flags and sources.
# strip(1) only drops symbols from the finished binary; it compiles nothing.
RUN make \
 && strip --strip-unneeded procflux


FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends libev4 \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /src/procflux /usr/local/bin/procflux

# Unprivileged, numeric so that runAsNonRoot-style checks can verify it
# without an /etc/passwd entry. procflux needs no home and writes no files.
USER 10001:10001

ENTRYPOINT ["/usr/local/bin/procflux"]
