# Fuzzers (included by the top Makefile): one libFuzzer target per parser and
# one for the encoder. Needs clang and its runtime (Debian: clang,
# libclang-rt-14-dev for clang 14).
#
#   make fuzz                  build, then run each target FUZZ_SECONDS (60)
#   make fuzz-short            the same for FUZZ_SHORT_SECONDS (15), for CI
#   make fuzz-build            only build build/fuzz/fuzz_*
#   make fuzz FUZZ_TARGETS=fuzz_mem FUZZ_SECONDS=600
#
# Targets run one after another on a copy of tests/fuzz/corpus/<target> in
# build/fuzz/run/<target>/ (the committed corpus never grows). A crash leaves
# build/fuzz/run/<target>/crash-*; reproduce with build/fuzz/<target> <file>
# (inputs that once failed are kept as seeds in the corpus, named regress-*).
# The run fails when any target failed.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 15
FUZZ_FLAGS ?=
# The fuzzers of the collectors this build has (make COLLECTORS=... leaves the
# others' sources out of SRCS, so their fuzzers could not link).
FUZZ_TARGETS ?= fuzz_cpu fuzz_mem fuzz_system $(COLLECTORS_BUILT:%=fuzz_%) fuzz_lineproto
FUZZ_SANITIZE = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# The project's flags, without its optimisation and dependency files.
FUZZ_CFLAGS = $(filter-out -O% -MMD -MP,$(ALL_CFLAGS)) -g -O1 $(FUZZ_SANITIZE)
FUZZ_DIR = build/fuzz
# Only the pure parsers and the encoder (procfile.c: the collectors call it;
# log.c: their table entries log warnings; slots.c: net.c and diskio.c). A
# filter on SRCS, so a collector left out of the build is simply not linked.
FUZZ_LIB = $(filter src/log.c src/procparse.c src/procfile.c src/slots.c src/cpu.c src/mem.c src/system.c \
                    src/kernel.c src/pressure.c src/net.c src/diskio.c src/cgroup.c src/match.c \
                    src/lineproto.c,$(SRCS))
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)

.PHONY: fuzz fuzz-short fuzz-build

$(FUZZ_DIR):
	mkdir -p $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/lpcheck.h $(FUZZ_LIB) $(wildcard include/*.h) \
                   | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -o $@ $< $(FUZZ_LIB) -lm

fuzz-build: $(FUZZ_BINS)

# $(1): seconds per target.
define fuzz_run
	@fail=""; for t in $(FUZZ_TARGETS); do \
	  run=$(FUZZ_DIR)/run/$$t; rm -rf $$run; mkdir -p $$run/corpus; \
	  cp tests/fuzz/corpus/$$t/* $$run/corpus/; \
	  dict=; if [ -f tests/fuzz/$$t.dict ]; then dict=-dict=tests/fuzz/$$t.dict; fi; \
	  echo "== $$t: $(1) s"; \
	  if ! ./$(FUZZ_DIR)/$$t -max_total_time=$(1) -timeout=10 -max_len=16384 -print_final_stats=1 \
	        -artifact_prefix=$$run/ $$dict $(FUZZ_FLAGS) $$run/corpus >$$run/log 2>&1; then \
	    fail="$$fail $$t"; tail -n 60 $$run/log; \
	  fi; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec' $$run/log; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: failed:$$fail (artifacts in $(FUZZ_DIR)/run/)"; exit 1; fi; \
	echo "fuzz: all targets ran $(1) s without a finding"
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-short: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SHORT_SECONDS))
