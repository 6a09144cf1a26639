# procflux — plain Makefile. Honours CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR and
# CROSS_COMPILE; probes nothing on the build host (cross builds stay honest).

CROSS_COMPILE ?=
ifeq ($(origin CC),default)
CC = $(CROSS_COMPILE)gcc
endif
# Cross builds: CROSS_COMPILE=aarch64-linux-gnu- picks $(CROSS_COMPILE)gcc and
# $(CROSS_COMPILE)pkg-config (Debian's pkgconf:<arch> wrapper, which reads the
# target's .pc files). With CC=... alone, pass PKG_CONFIG=... for the target.
PKG_CONFIG ?= $(CROSS_COMPILE)pkg-config
STRIP ?= $(CROSS_COMPILE)strip
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS ?=
LDFLAGS ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/procflux
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(SYSCONFDIR)/systemd/system
DESTDIR ?=
VERSION = 0.1.0

# 64-bit time_t and off_t on 32-bit glibc targets too (armhf, i386: Y2038);
# a no-op on 64-bit and musl. Safe with the distribution's libev because
# procflux uses no ev_stat (the one libev struct with time_t/off_t in it).
LFS_CFLAGS = -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
# Size: no .eh_frame (C without exceptions or backtrace() needs none; the
# sanitizer and debug builds add their own), code and read-only data on
# shared pages (two LOAD segments, not four: ~8 KiB of file and one mapping
# less), and unused functions dropped by the linker. Set either to empty to
# get the toolchain's defaults back.
SIZE_CFLAGS ?= -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
SIZE_LDFLAGS ?= -Wl,-z,noseparate-code -Wl,--gc-sections
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(LFS_CFLAGS) $(OPTIMIZATION) $(SIZE_CFLAGS) $(WARN) -Iinclude \
             -DPROCFLUX_VERSION='"$(VERSION)"' $(COLLECTOR_CFLAGS) \
             -MMD -MP $(CFLAGS)
# libev.so by default (smallest binary). LIBEV='-Wl,-Bstatic -lev -Wl,-Bdynamic'
# links Debian's libev.a instead: ~45 KiB more binary, ~170 KiB less max RSS.
LIBEV ?= -lev
LIBS = $(LIBEV) -pthread

# Optional collectors (cpu, mem and system are always built). kernel also
# brings processes; cgroup links pressure.c for its parser (the pressure
# collector stays out of the table unless asked for). The tiny build: make COLLECTORS= (what fits the size
# targets of `make size`); a collector left out is refused by --collect.
OPTIONAL_COLLECTORS = kernel pressure net diskio cgroup
COLLECTORS ?= $(OPTIONAL_COLLECTORS)
COLLECTORS_BUILT = $(filter $(OPTIONAL_COLLECTORS),$(COLLECTORS))
COLLECTORS_OFF = $(filter-out $(COLLECTORS_BUILT),$(OPTIONAL_COLLECTORS))
COLLECTOR_CFLAGS = $(foreach c,$(COLLECTORS_OFF),-DPROCFLUX_NO_$(shell echo $(c) | tr a-z A-Z))
# The small build (no optional collector) is the one for boxes where every KiB
# counts: optimised for size (-Os saves about 8 KiB of the dynamic build and
# 12 KiB of the static one); every other build for speed.
ifeq ($(strip $(COLLECTORS_BUILT)),)
OPTIMIZATION ?= -Os
else
OPTIMIZATION ?= -O2
endif

SRCS = src/log.c src/pages.c src/procfile.c src/procparse.c src/slots.c src/cpu.c src/mem.c src/system.c \
       $(sort $(COLLECTORS_BUILT:%=src/%.c) $(if $(filter cgroup,$(COLLECTORS_BUILT)),src/pressure.c)) \
       src/collector.c \
       src/match.c src/window.c src/tick.c src/series.c src/lineproto.c src/packer.c src/udp.c \
       src/output.c src/telemetry.c src/sampler.c src/config.c src/agent.c
OBJS = $(SRCS:src/%.c=build/%.o)

# Unit tests: a check suite per collector and for procparse, lineproto, packer,
# udp, match, window and config (agent.c, log.c and procfile.c have none; the
# integration scripts cover the loop).
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)
TESTS = test_procparse test_slots test_cpu test_mem test_system test_lineproto test_packer test_config test_udp \
        test_match test_window test_tick test_series test_collector $(COLLECTORS_BUILT:%=test_%)
TEST_BINS = $(TESTS:%=build/tests/%)
TEST_RUNNER ?=

.PHONY: all clean install install-systemd install-sysvinit uninstall check unit integration static size soak
all: procflux

procflux: $(OBJS) build/main.o
	$(CC) $(ALL_CFLAGS) $(SIZE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Code that runs once, at start-up (the command line, the config file):
# optimised for size. agent.c marks its set-up functions cold for the same.
SETUP_OBJS = build/config.o build/main.o build/log.o
$(SETUP_OBJS): OPTIMIZATION = -Os

# The objects know which collectors are built (collector.c's table, config's
# messages): a stamp that changes with COLLECTORS rebuilds them, so switching
# between `make` and `make COLLECTORS=` needs no `make clean`.
build/collectors.stamp: FORCE | build
	@echo '$(COLLECTORS_BUILT)' | cmp -s - $@ || echo '$(COLLECTORS_BUILT)' > $@
.PHONY: FORCE
FORCE:

build/%.o: src/%.c build/collectors.stamp | build
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build build/tests:
	mkdir -p $@

build/tests/%.o: tests/%.c build/collectors.stamp | build/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

build/tests/test_%: build/tests/test_%.o $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

unit: $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
	  CK_DEFAULT_TIMEOUT=30 FIXTURES=tests/fixtures $(TEST_RUNNER) ./$$t || fail=1; \
	done; exit $$fail

integration: procflux
	tests/integration/docs.py ./procflux
	tests/integration/run.sh ./procflux
	tests/integration/reliability.sh ./procflux
	tests/integration/dns.sh ./procflux
	tests/integration/fixtures.sh ./procflux
	tests/integration/window_fanout.sh ./procflux
	tests/integration/collectors.sh ./procflux
	tests/integration/cgroup.sh ./procflux
	tests/integration/precision.sh ./procflux
	tests/integration/readme.sh ./procflux
	tests/integration/fixtures_collectors.sh ./procflux
	tests/integration/promises.py ./procflux
	tests/integration/resolution.py ./procflux
	tests/integration/test_install.sh
	tests/integration/vmagent.sh ./procflux

# make soak: 50 agents at 100 Hz into one influxd for a minute (~1.5 min; not
# part of make check). As root, net.core.rmem_max is raised to SOAK_RMEM_MAX
# for influxd's socket only, then restored.
SOAK_RMEM_MAX ?= 8388608
soak: procflux
	SOAK_RMEM_MAX=$(SOAK_RMEM_MAX) tests/integration/soak.sh ./procflux

check: unit integration

install: procflux
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)
	install -m 0755 procflux $(DESTDIR)$(BINDIR)/procflux
	install -m 0644 procflux.1 $(DESTDIR)$(MANDIR)/man1/procflux.1
	install -m 0644 contrib/procflux.conf.example $(DESTDIR)$(DOCDIR)/procflux.conf.example

# Not part of install: a service for systemd, or for SysV/BusyBox init, each
# pointing at $(BINDIR)/procflux. Packagers: SYSTEMDUNITDIR=/usr/lib/systemd/system.
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/local/bin/procflux|$(BINDIR)/procflux|g' contrib/systemd/procflux.service \
	  > $(DESTDIR)$(SYSTEMDUNITDIR)/procflux.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/procflux.service

install-sysvinit:
	install -d $(DESTDIR)$(SYSCONFDIR)/init.d
	sed 's|/usr/local/bin/procflux|$(BINDIR)/procflux|g' contrib/init.d/procflux \
	  > $(DESTDIR)$(SYSCONFDIR)/init.d/procflux
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/init.d/procflux

# Removes what install, install-systemd and install-sysvinit put there (give it
# the same PREFIX, BINDIR, MANDIR, DOCDIR, SYSCONFDIR, SYSTEMDUNITDIR and
# DESTDIR): the files, and DOCDIR, which is procflux's own, once empty. The
# shared directories (bin, man1, init.d, ...) stay. Missing files are fine.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/procflux $(DESTDIR)$(MANDIR)/man1/procflux.1 \
	      $(DESTDIR)$(DOCDIR)/procflux.conf.example \
	      $(DESTDIR)$(SYSTEMDUNITDIR)/procflux.service $(DESTDIR)$(SYSCONFDIR)/init.d/procflux
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build procflux procflux-static

# make static: one fully static ./procflux-static. With musl (Debian's
# musl-tools, STATIC_CC=musl-gcc) libev is built for musl from Debian's
# source package into build/static/libev/ by contrib/static/build-libev-musl.sh,
# since Debian's libev.a is built for glibc. Without $(STATIC_CC) (a build host
# without musl-tools, or a cross build: Debian has no cross musl-gcc) it falls
# back to $(CC) -static against glibc and the system's libev.a, and says so.
STATIC_CC ?= $(CROSS_COMPILE)musl-gcc
STATIC_LIBC ?= musl
LIBEV_MUSL = build/static/libev
ifeq ($(STATIC_LIBC),musl)
STATIC_DIR = build/static
STATIC_CC_USED = $(STATIC_CC)
STATIC_CPPFLAGS = -isystem $(LIBEV_MUSL)/include
STATIC_LIBDIRS = -L$(LIBEV_MUSL)/lib
STATIC_PREREQ = $(LIBEV_MUSL)/lib/libev.a
else
STATIC_DIR = build/static-glibc
STATIC_CC_USED = $(CC)
STATIC_CPPFLAGS =
STATIC_LIBDIRS =
STATIC_PREREQ =
endif
STATIC_OBJS = $(SRCS:src/%.c=$(STATIC_DIR)/%.o) $(STATIC_DIR)/main.o

static:
	@if command -v $(STATIC_CC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory procflux-static STATIC_LIBC=musl; \
	else \
	  echo "make static: $(STATIC_CC) not found; FALLBACK to a static glibc build with $(CC)"; \
	  $(MAKE) --no-print-directory procflux-static STATIC_LIBC=glibc; \
	fi

procflux-static: $(STATIC_OBJS) $(STATIC_PREREQ)
	$(STATIC_CC_USED) $(ALL_CFLAGS) $(SIZE_LDFLAGS) $(LDFLAGS) -static $(STATIC_LIBDIRS) \
	  -o $@ $(STATIC_OBJS) $(LIBS)
	@echo "make static: ./procflux-static is a static $(STATIC_LIBC) binary"

$(STATIC_DIR)/%.o: src/%.c $(STATIC_PREREQ)
	@mkdir -p $(@D)
	$(STATIC_CC_USED) $(ALL_CFLAGS) $(STATIC_CPPFLAGS) -c -o $@ $<

$(LIBEV_MUSL)/lib/libev.a:
	contrib/static/build-libev-musl.sh $(LIBEV_MUSL) $(STATIC_CC)

# make size: stripped sizes of ./procflux and ./procflux-static (build both
# first) against the targets in BENCHMARKS.md. The targets are for the small
# build, `make COLLECTORS= procflux static` (cpu, mem, system): that is what
# .ci/cross.sh checks; the full default build is larger (see BENCHMARKS.md).
# Targets of the small build, restated as it grew (64 KiB and 150 KiB before):
# the collector table (pointers: PIE relocations), the resolver thread that
# keeps DNS off the loop (pthread), exit-3 paths for out of memory and fds,
# exact windows with counter rates, send jitter, and Telegraf's system fields
# (utmp users, physical CPUs, uptime_format: a string field) brought it to
# 76 768 bytes dynamic and 157 368 static musl at -Os, the small build's
# default. The static build's VmHWM target (256 KiB) is unchanged (BENCHMARKS.md:
# what brought it back from 312 to 252-260 KiB).
SIZE_MAX_DEFAULT = 81920
SIZE_MAX_STATIC = 163840
size: procflux
	@mkdir -p build
	@$(STRIP) -o build/procflux.stripped procflux
	@n=$$(wc -c <build/procflux.stripped); \
	 v=OK; [ $$n -le $(SIZE_MAX_DEFAULT) ] || v=OVER; \
	 echo "size: procflux stripped        $$n bytes ($$((n / 1024)) KiB), target <= $$(( $(SIZE_MAX_DEFAULT) / 1024 )) KiB: $$v (COLLECTORS='$(COLLECTORS_BUILT)')"
	@if [ -f procflux-static ]; then \
	  $(STRIP) -o build/procflux-static.stripped procflux-static; \
	  n=$$(wc -c <build/procflux-static.stripped); \
	  v=OK; [ $$n -le $(SIZE_MAX_STATIC) ] || v=OVER; \
	  echo "size: procflux-static stripped $$n bytes ($$((n / 1024)) KiB), target <= $$(( $(SIZE_MAX_STATIC) / 1024 )) KiB (musl): $$v"; \
	else echo "size: no ./procflux-static (run make static first)"; fi

# Fragments owned by their folders: the benchmark (make bench, the
# no-allocation check) and the fuzzers (make fuzz).
-include tests/bench/bench.mk
-include tests/fuzz/fuzz.mk

-include $(OBJS:.o=.d) build/main.d $(TEST_BINS:%=%.d) $(STATIC_OBJS:.o=.d)
