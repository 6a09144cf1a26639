# procflux — plain Makefile. Honours CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR and
# CROSS_COMPILE; probes nothing on the build host (cross builds stay honest).

CROSS_COMPILE ?=
ifeq ($(origin CC),default)
CC = $(CROSS_COMPILE)gcc
endif
PKG_CONFIG ?= pkg-config
OPTIMIZATION ?= -O2
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS ?=
LDFLAGS ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
VERSION = 0.1.0

ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(OPTIMIZATION) $(WARN) -Iinclude -DPROCFLUX_VERSION='"$(VERSION)"' \
             -MMD -MP $(CFLAGS)
LIBS = -lev -lm

SRCS = src/log.c src/procfile.c src/procparse.c src/cpu.c src/mem.c src/system.c \
       src/lineproto.c src/packer.c src/udp.c src/config.c src/agent.c
OBJS = $(SRCS:src/%.c=build/%.o)

# Unit tests: one check suite per module.
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)
TESTS = test_procparse test_cpu test_mem test_system test_lineproto test_packer test_config test_udp
TEST_BINS = $(TESTS:%=build/tests/%)
TEST_RUNNER ?=

.PHONY: all clean install check unit integration
all: procflux

procflux: $(OBJS) build/main.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

build/%.o: src/%.c | build
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build build/tests:
	mkdir -p $@

build/tests/%.o: tests/%.c | build/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

build/tests/test_%: build/tests/test_%.o $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

unit: $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
	  CK_DEFAULT_TIMEOUT=30 FIXTURES=tests/fixtures $(TEST_RUNNER) ./$$t || fail=1; \
	done; exit $$fail

integration: procflux
	tests/integration/run.sh ./procflux

check: unit integration

install: procflux
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 procflux $(DESTDIR)$(BINDIR)/procflux

clean:
	rm -rf build procflux

# Fragments owned by their folders: the benchmark (make bench, the
# no-allocation check) and the fuzzers (make fuzz).
-include tests/bench/bench.mk
-include tests/fuzz/fuzz.mk

-include $(OBJS:.o=.d) build/main.d $(TEST_BINS:%=%.d)
