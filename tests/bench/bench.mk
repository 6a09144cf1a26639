# The benchmark and the no-allocation check; included by the top Makefile.
#
#   make bench        side-by-side table (procflux, the floor, collectd) -> bench-out/, tests/bench/bench.png
#   make bench-long   60 s at 1 kHz: missed ticks <= 0.1 %, every line accounted for
#   make noalloc      no malloc/calloc/realloc after start-up (LD_PRELOAD counter)
#   make bench-receiver  how many simulated procflux hosts one influxd takes without loss,
#                     packed vs one point per datagram, at 1 s and 100 ms (~10 min) -> bench-out/receiver.*,
#                     tests/bench/receiver.png
#
# bench installs collectd-core and gnuplot-nox from Debian when they are
# missing and it runs as root (it says so); otherwise it goes without them.

BENCH_DIR = build/bench
NOALLOC_DIR = build/noalloc
BENCH_BINS = $(BENCH_DIR)/sink $(BENCH_DIR)/floor $(BENCH_DIR)/cpuclock $(BENCH_DIR)/replay

.PHONY: bench bench-long bench-tools bench-deps bench-receiver bench-receiver-deps noalloc bench-cgroup

$(BENCH_DIR) $(NOALLOC_DIR):
	mkdir -p $@

$(BENCH_DIR)/sink: tests/bench/sink.c | $(BENCH_DIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BENCH_DIR)/cpuclock: tests/bench/cpuclock.c | $(BENCH_DIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BENCH_DIR)/replay: tests/bench/replay.c | $(BENCH_DIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BENCH_DIR)/floor: tests/bench/floor.c | $(BENCH_DIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS)

bench-tools: $(BENCH_BINS)

bench-deps:
	@missing=""; \
	command -v collectd >/dev/null || [ -x /usr/sbin/collectd ] || missing="$$missing collectd-core"; \
	command -v gnuplot >/dev/null || missing="$$missing gnuplot-nox"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "bench: installing$$missing from Debian (apt-get install --no-install-recommends)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >/dev/null || \
	      echo "bench: could not install$$missing; going on without"; \
	  else \
	    echo "bench: not installed:$$missing (not root: not installing; rows/chart left out)"; \
	  fi; \
	fi

# bench-receiver needs only gnuplot (for its chart), installed the same way.
bench-receiver-deps:
	@if ! command -v gnuplot >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "bench-receiver: installing gnuplot-nox from Debian (apt-get install --no-install-recommends)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gnuplot-nox >/dev/null || \
	      echo "bench-receiver: could not install gnuplot-nox; going on without the chart"; \
	  else \
	    echo "bench-receiver: gnuplot not installed (not root: not installing; no chart)"; \
	  fi; \
	fi

bench-receiver: procflux $(BENCH_DIR)/replay bench-receiver-deps
	tests/bench/receiver.py

bench: procflux bench-tools bench-deps
	tests/bench/bench.sh

# make bench-cgroup: cost per tick with 10 and 200 cgroups beside the host-only
# cost (root: it makes the cgroups); the table in BENCHMARKS.md.
bench-cgroup: procflux
	tests/bench/cgroup_bench.sh ./procflux

bench-long: procflux bench-tools
	BENCH_LONG=1 tests/bench/bench.sh

$(NOALLOC_DIR)/countalloc.so: tests/noalloc/countalloc.c | $(NOALLOC_DIR)
	$(CC) $(ALL_CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $< -ldl

noalloc: procflux $(NOALLOC_DIR)/countalloc.so $(BENCH_DIR)/sink
	tests/noalloc/run.sh ./procflux $(NOALLOC_DIR)/countalloc.so $(BENCH_DIR)/sink
