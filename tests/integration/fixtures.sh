#!/usr/bin/env bash
# Old and odd kernels: every tests/fixtures/<kernel>/ directory read through
# --proc-root with --once --stdout, and the emitted lines checked against values
# computed here, independently, from the fixture text (Telegraf's formulas).
#
#   tests/integration/fixtures.sh [PROCFLUX] [--self-test]
#
# Per fixture, three runs (all in parallel, about 3 s in all):
#   <kernel>        stat -> stat.next (the fixture's own second reading)
#   <kernel>+synth  stat -> a second reading made up here: guest and guest_nice
#                   grow (the fixtures' stat.next never moves them), a counter
#                   goes backwards, guest outgrows user, one CPU does not move
# plus <kernel>-nosys: no loadavg/uptime under --proc-root (procflux warns,
# drops the system collector, still exits 0).
#
# procflux holds /proc files open and preads them, so the second reading is
# written IN PLACE (same inode) while procflux sleeps between its two readings:
# --interval 2s, rewrite at 1 s. A rewrite that misses shows up as missing
# usage fields, i.e. as a failure, never as a pass.
#
# --self-test also re-runs the checker with deliberately wrong formulas (no
# guest subtraction, negative deltas, ...) and requires each to FAIL, so the
# checks are shown to be able to fail.
#
# Prints one line per check, then "N passed, M failed"; exits 1 on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="" self_test=0
for a in "$@"; do
    case $a in
    --self-test) self_test=1 ;;
    *) bin=$a ;;
    esac
done
bin=$(realpath "${bin:-$root/procflux}")
fixtures=${FIXTURES:-$root/tests/fixtures}
[ -x "$bin" ] || { echo "fixtures.sh: $bin is not executable (run make first)"; exit 1; }
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || { echo "fixtures.sh: needs python3"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/procflux-fixtures.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/check.py" <<'PY'
import os, re, sys

MUTATION = os.environ.get("CHECK_MUTATION", "")
INT64_MAX = (1 << 63) - 1

COUNTERS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"]

# What the fixture README says about each kernel: numbers per cpu line, cpuN
# lines, MemAvailable, SReclaimable. A guard on this checker's own parsing.
KNOWN = {
    "armhf-32bit":  (10, 1, False, True),
    "linux-2.6.18": (8, 4, False, False),
    "linux-2.6.32": (9, 32, False, True),
    "linux-2.6.9":  (7, 8, False, False),
    "linux-3.2":    (10, 8, False, True),
    "linux-4.x":    (10, 2, True, True),
    "linux-5.x":    (10, 2, True, True),
    "linux-6.x":    (10, 2, True, True),
    "manycore":     (10, 128, False, True),
}

# meminfo key -> (Telegraf field, value in kB)
MEMKEYS = {
    "MemTotal": ("total", True), "MemFree": ("free", True), "MemAvailable": ("available", True),
    "Buffers": ("buffered", True), "Cached": ("cached", True), "SwapCached": ("swap_cached", True),
    "Active": ("active", True), "Inactive": ("inactive", True),
    "HighTotal": ("high_total", True), "HighFree": ("high_free", True),
    "LowTotal": ("low_total", True), "LowFree": ("low_free", True),
    "SwapTotal": ("swap_total", True), "SwapFree": ("swap_free", True),
    "Dirty": ("dirty", True), "Writeback": ("write_back", True),
    "WritebackTmp": ("write_back_tmp", True), "Mapped": ("mapped", True),
    "Shmem": ("shared", True), "Slab": ("slab", True),
    "SReclaimable": ("sreclaimable", True), "SUnreclaim": ("sunreclaim", True),
    "PageTables": ("page_tables", True), "CommitLimit": ("commit_limit", True),
    "Committed_AS": ("committed_as", True), "VmallocTotal": ("vmalloc_total", True),
    "VmallocUsed": ("vmalloc_used", True), "VmallocChunk": ("vmalloc_chunk", True),
    "HugePages_Total": ("huge_pages_total", False), "HugePages_Free": ("huge_pages_free", False),
    "Hugepagesize": ("huge_page_size", True),
}

# InfluxDB line protocol, as procflux may write it.
NAME = r"(?:[^,=\s\\]|\\[,= ])+"
MEAS = r"(?:[^,\s\\]|\\[, ])+"
VALUE = r"(?:-?\d+i|-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
LINE_RE = re.compile(r"^(%s)((?:,%s=%s)*) (%s=%s(?:,%s=%s)*) (-?\d+)$" % (MEAS, NAME, NAME, NAME, VALUE, NAME, VALUE))

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (": " + detail if detail else ""))


def close(got, want):
    return abs(got - want) <= 1e-9 * max(abs(got), abs(want)) + 1e-12


def parse_stat(text):
    """{'cpu-total': [counters], 'cpu0': [...], ...} from /proc/stat text."""
    out = {}
    for line in text.split("\n"):
        m = re.match(r"^cpu(\d*)[ \t]+([\d \t]+)$", line)
        if not m:
            continue
        out["cpu" + m.group(1) if m.group(1) else "cpu-total"] = [int(x) for x in m.group(2).split()]
    return out


def expected_cpu(prev, cur, clk_tck):
    n = len(cur)
    exp = {}
    ticks = 1000 if MUTATION == "clk-tck" else clk_tck
    for i in range(n):
        exp["time_" + COUNTERS[i]] = cur[i] / ticks
    if len(prev) != n:
        return exp
    if MUTATION == "negative-deltas":
        d = [c - p for p, c in zip(prev, cur)]
    else:
        d = [max(c - p, 0) for p, c in zip(prev, cur)]
    total = sum(d[:8])  # user nice system idle iowait irq softirq steal
    if MUTATION == "total-with-guest":
        total = sum(d)
    if total == 0:
        return exp
    for i in range(n):
        x = d[i]
        if i == 0 and n > 8 and MUTATION != "no-guest":
            x = d[0] - d[8]
        if i == 1 and n > 9 and MUTATION != "no-guest":
            x = d[1] - d[9]
        v = 100.0 * x / total
        if MUTATION != "no-clamp":
            v = min(max(v, 0.0), 100.0)
        exp["usage_" + COUNTERS[i]] = v
    return exp


def expected_mem(text):
    raw = {}
    for line in text.split("\n"):
        m = re.match(r"^([^:]+):[ \t]*(\d+)(?:[ \t]+(kB))?$", line)
        if m and m.group(1) in MEMKEYS:
            raw[m.group(1)] = (int(m.group(2)), m.group(3) == "kB")
    vals = {}
    for key, (n, has_kb) in raw.items():
        field, kb = MEMKEYS[key]
        if kb != has_kb:
            continue
        v = n * 1024 if kb or MUTATION == "hugepages-scaled" else n
        if v > INT64_MAX and MUTATION != "keep-overflow":
            continue
        vals[key] = v
    exp = {MEMKEYS[k][0]: v for k, v in vals.items() if k not in ("MemAvailable", "Cached")}
    if "MemTotal" not in vals:
        return {}
    sre = 0 if MUTATION == "cached-without-sreclaimable" else vals.get("SReclaimable", 0)
    cached = vals.get("Cached", 0) + sre
    if "Cached" in vals:
        exp["cached"] = cached
    if "MemAvailable" in vals:
        avail = vals["MemAvailable"]
    else:
        avail = vals.get("MemFree", 0) + cached
    total = vals["MemTotal"]
    exp["available"] = avail
    exp["used"] = total - avail
    if total > 0:
        exp["used_percent"] = 100.0 * (total - avail) / total
        exp["available_percent"] = 100.0 * avail / total
    return exp


def compare(what, got, exp, types):
    """Field sets equal, integers exact (with 'i'), floats to 1e-9 relative."""
    missing = sorted(set(exp) - set(got))
    extra = sorted(set(got) - set(exp))
    check(not missing and not extra, what + " field set",
          "missing %s, unexpected %s" % (missing, extra))
    bad = []
    for k in sorted(set(got) & set(exp)):
        s, want = got[k], exp[k]
        if types.get(k, "float") == "int":
            if not s.endswith("i") or int(s[:-1]) != want:
                bad.append("%s=%s want %di" % (k, s, want))
        else:
            if s.endswith("i") or not close(float(s), want):
                bad.append("%s=%s want %.17g" % (k, s, want))
    check(not bad, what + " values", "; ".join(bad))


def read(d, f):
    with open(os.path.join(d, f)) as fp:
        return fp.read()


def check_case(d, clk_tck):
    case = os.path.basename(d)
    fixture_dir = read(d, "fixture").strip()
    rc, t0, t1, tw = (int(read(d, f).strip() or -1) for f in ("rc", "t0", "t1", "trewrite"))
    loadavg, uptime = read(d, "loadavg"), read(d, "uptime")
    prev_path, next_path = os.path.join(d, "prev"), os.path.join(d, "next")
    out_path, err_path = os.path.join(d, "out"), os.path.join(d, "err")
    name = os.path.basename(fixture_dir.rstrip("/"))
    nosys = case.endswith("-nosys")
    prev = parse_stat(open(prev_path).read())
    cur = parse_stat(open(next_path).read())
    meminfo = open(os.path.join(fixture_dir, "meminfo")).read()
    out = open(out_path).read()
    err = open(err_path).read()

    check(rc == 0, case + ": exit status 0", "got %d; stderr: %s" % (rc, err.strip()))
    # procflux reads stat right after start and 2 s later; the in-place rewrite
    # must fall well inside that sleep, or the run says nothing about deltas.
    check(t0 + 300e6 <= tw <= t0 + 1700e6, case + ": stat rewritten 0.3-1.7 s after launch",
          "%.3f s" % ((tw - t0) / 1e9))
    if nosys:
        check("system collector disabled" in err and "loadavg" in err,
              case + ": warns that the system collector is disabled", "stderr: %r" % err)
    else:
        check(err == "", case + ": nothing on stderr", repr(err))
    check(out.endswith("\n") or out == "", case + ": output ends with a newline")

    series, stamps, bad = {}, set(), []
    for line in out.split("\n")[:-1]:
        m = LINE_RE.match(line)
        if not m:
            bad.append(line)
            continue
        meas, tagtext, fieldtext, ts = m.groups()
        tags = [t.split("=", 1) for t in tagtext[1:].split(",")] if tagtext else []
        if [k for k, _ in tags] != sorted(k for k, _ in tags):
            bad.append(line + "   (tags not sorted)")
        tagd = dict(tags)
        if tagd.get("host") != "fixture":
            bad.append(line + "   (host tag)")
        key = meas + ("/" + tagd["cpu"] if "cpu" in tagd else "")
        if key in series:
            bad.append(line + "   (series repeated)")
        series[key] = dict(f.split("=", 1) for f in fieldtext.split(","))
        stamps.add(int(ts))
    check(not bad, case + ": every line is valid line protocol", " | ".join(bad[:3]))
    check(len(stamps) == 1 and t0 <= min(stamps) <= max(stamps) <= t1,
          case + ": one integer timestamp per tick, in ns within the run",
          "stamps %s, run %d..%d" % (sorted(stamps)[:3], t0, t1))

    # Series: cpu-total, one per cpuN line of the second reading, mem, system.
    want_series = {"cpu/" + c for c in cur} | {"mem"} | (set() if nosys else {"system"})
    check(set(series) == want_series, case + ": series present",
          "missing %s, unexpected %s" % (sorted(want_series - set(series))[:5],
                                          sorted(set(series) - want_series)[:5]))

    for cpu in sorted(cur, key=lambda c: (c != "cpu-total", int(c[3:]) if c != "cpu-total" else 0)):
        if "cpu/" + cpu not in series:
            continue
        exp = expected_cpu(prev.get(cpu, []), cur[cpu], clk_tck)
        compare("%s: cpu %s" % (case, cpu), series["cpu/" + cpu], exp, {})

    if "mem" in series:
        exp = expected_mem(meminfo)
        types = {k: "int" for k in exp if not k.endswith("_percent")}
        compare(case + ": mem", series["mem"], exp, types)

    if "system" in series:
        l = loadavg.split()
        exp = {"load1": float(l[0]), "load5": float(l[1]), "load15": float(l[2]),
               "n_cpus": len([c for c in cur if c != "cpu-total"]),
               "uptime": int(float(uptime.split()[0]))}
        compare(case + ": system", series["system"], exp, {"n_cpus": "int", "uptime": "int"})

    # What the README says each kernel prints, checked on procflux's output.
    if name in KNOWN and not MUTATION:
        ncount, ncpus, has_avail, has_sre = KNOWN[name]
        tot = series.get("cpu/cpu-total", {})
        times = [k for k in tot if k.startswith("time_")]
        usages = [k for k in tot if k.startswith("usage_")]
        check(len(times) == ncount and (len(usages) == ncount or case.endswith("-nosys")),
              "%s: %d cpu counters (time_*/usage_*) as kernel prints" % (case, ncount),
              "time %d, usage %d" % (len(times), len(usages)))
        check(len([k for k in series if k.startswith("cpu/cpu") and k != "cpu/cpu-total"]) == ncpus,
              "%s: %d per-cpu series" % (case, ncpus))
        mem = series.get("mem", {})
        check(("sreclaimable" in mem) == has_sre, "%s: sreclaimable %s" % (case, "present" if has_sre else "absent"))
        if not has_avail and "free" in mem and "cached" in mem:
            check(int(mem["available"][:-1]) == int(mem["free"][:-1]) + int(mem["cached"][:-1]),
                  case + ": no MemAvailable: available = free + cached (cached has SReclaimable)")
        if name == "manycore":
            check("commit_limit" not in mem and "committed_as" in mem,
                  case + ": CommitLimit of 737869762947802600 kB (beyond int64 bytes) omitted")
        if name == "linux-2.6.9":
            check("commit_limit" not in mem and "high_total" in mem,
                  case + ": 2.6.9 has no CommitLimit, has HighTotal")



def main():
    clk_tck = int(sys.argv[1])
    for d in sys.argv[2:]:
        try:
            check_case(d, clk_tck)
        except Exception as e:  # a crash in the checker is a failure, never a pass
            check(False, os.path.basename(d) + ": checker", "%s: %s" % (type(e).__name__, e))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
PY

# A made-up second /proc/stat that moves guest, guest_nice and steal, sends a
# counter backwards, lets guest outgrow user and keeps one CPU still.
cat > "$work/synth.py" <<'PY'
import sys
src, dst = sys.argv[1:3]
out, j = [], 0
for line in open(src).read().split("\n"):
    w = line.split()
    if w and w[0].startswith("cpu"):
        v = [int(x) for x in w[1:]]
        #     user     nice sys idle iow irq sirq steal guest gnice
        d = [100 + j, 20, 30, 300, 5, 1, 4, 10, 40, 7]
        kind = j % 5
        if kind == 1:
            d[4] = -3          # iowait goes backwards (real kernels do this)
        elif kind == 2:
            d[8] = 150         # guest beyond user: usage_user clamps at 0
            d[9] = 25          # guest_nice beyond nice
        elif kind == 3:
            d = [0] * 10       # nothing moved: no usage fields this tick
        elif kind == 4:
            d[3] = -1000       # idle goes backwards
        v = [max(x + dx, 0) if x + dx >= 0 else x for x, dx in zip(v, d)]
        line = w[0] + (" " if w[0] != "cpu" else "  ") + " ".join(str(x) for x in v)
        j += 1
    out.append(line)
open(dst, "w").write("\n".join(out))
PY

# Rewrite each run's stat in place (truncate + write: same inode), noting when.
cat > "$work/rewrite.py" <<'PY'
import os, sys, time
for d in sys.argv[1:]:
    data = open(os.path.join(d, "next"), "rb").read()
    with open(os.path.join(d, "proc", "stat"), "r+b") as f:
        f.truncate(0)
        f.write(data)
    open(os.path.join(d, "trewrite"), "w").write("%d\n" % time.time_ns())
PY

clk_tck=$(getconf CLK_TCK)
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "${t}000"; }

# prepare CASE FIXTURE_DIR NEXT_FILE WITH_SYSTEM_FILES: a proc root per run.
cases=()
prepare() {
    local case=$1 fx=$2 next=$3 sys=$4 i=${#cases[@]} d
    d=$work/$case
    mkdir -p "$d/proc"
    cp "$fx/stat" "$d/proc/stat"
    cp "$fx/meminfo" "$d/proc/meminfo"
    cp "$fx/stat" "$d/prev"
    cp "$next" "$d/next"
    printf '%d.%02d %d.%02d 0.%02d %d/%d %d\n' $((i % 7)) $((i * 13 % 100)) $((i % 3)) \
        $((i * 7 % 100)) $((i * 3 % 100)) $((i + 1)) $((100 + i)) $((4000 + i)) > "$d/loadavg"
    printf '%d.%02d %d.%02d\n' $((86400 * i + 123)) $((i * 11 % 100)) $((1000 * i)) 17 > "$d/uptime"
    if [ "$sys" = 1 ]; then
        cp "$d/loadavg" "$d/uptime" "$d/proc/"
    fi
    echo "$fx" > "$d/fixture"
    cases+=("$d")
}

nfix=0
for fx in "$fixtures"/*/; do
    fx=${fx%/}
    if [ ! -f "$fx/stat" ] || [ ! -f "$fx/meminfo" ] || [ ! -f "$fx/stat.next" ]; then
        echo "fixtures.sh: $fx lacks stat, meminfo or stat.next; skipped"
        continue
    fi
    name=$(basename "$fx")
    nfix=$((nfix + 1))
    "$py" -I -S "$work/synth.py" "$fx/stat" "$work/$name.synth" || exit 1
    prepare "$name" "$fx" "$fx/stat.next" 1
    prepare "$name+synth" "$fx" "$work/$name.synth" 1
    # Without loadavg/uptime, and with an unchanged stat: time_* only.
    prepare "$name-nosys" "$fx" "$fx/stat" 0
done
[ "$nfix" -gt 0 ] || { echo "fixtures.sh: no fixtures under $fixtures"; exit 1; }

# All runs at once; the rewrite 1 s into their 2 s sleep.
for d in "${cases[@]}"; do
    now_ns > "$d/t0"
    (
        "$bin" --proc-root "$d/proc" --once --stdout --interval 2s --cpu-time --host fixture \
            > "$d/out" 2> "$d/err"
        echo $? > "$d/rc"
        now_ns > "$d/t1"
    ) &
    pids+=($!)
done
sleep 1
"$py" -I -S "$work/rewrite.py" "${cases[@]}"
for p in "${pids[@]}"; do wait "$p"; done
pids=()

run_checker() { "$py" -I -S "$work/check.py" "$clk_tck" "${cases[@]}"; }

st_bad=0
if [ "$self_test" = 1 ]; then
    st_ok=0
    for m in no-guest negative-deltas total-with-guest no-clamp clk-tck cached-without-sreclaimable \
             keep-overflow hugepages-scaled; do
        res=$(CHECK_MUTATION=$m run_checker | tail -n 1)
        if [ "${res##*, }" != "0 failed" ]; then
            echo "ok   self-test: a checker with mutation '$m' fails ($res)"
            st_ok=$((st_ok + 1))
        else
            echo "FAIL self-test: a checker with mutation '$m' still passes ($res)"
            st_bad=$((st_bad + 1))
        fi
    done
    echo "self-test: $st_ok mutations caught, $st_bad missed"
    echo
fi

run_checker
rc=$?
[ "$st_bad" -eq 0 ] || rc=1
exit $rc
