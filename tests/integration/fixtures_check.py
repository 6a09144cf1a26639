#!/usr/bin/env python3
"""The Python parts of tests/integration/fixtures.sh (old and odd kernels:
every tests/fixtures/<kernel>/ read through --proc-root, the output checked
against values computed here, independently, from the fixture text).

  fixtures_check.py synth SRC DST
      write DST: a made-up second /proc/stat from SRC that moves guest,
      guest_nice and steal, sends a counter backwards, lets guest outgrow
      user and keeps one CPU still
  fixtures_check.py rewrite DIR...
      rewrite each DIR/proc/stat in place (same inode) with DIR/next and note
      when in DIR/trewrite (ns)
  fixtures_check.py check CLK_TCK DIR...
      check each run directory as fixtures.sh prepares it (fixture, prev,
      next, loadavg, uptime, out, err, rc, t0, t1, trewrite); prints one line
      per check, then "N passed, M failed"; exits 1 on any failure.
      CHECK_MUTATION=<name> (environment) deliberately breaks a formula, for
      fixtures.sh --self-test: no-guest, negative-deltas, total-with-guest,
      no-clamp, clk-tck, cached-without-sreclaimable, keep-overflow,
      hugepages-scaled
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfhelp import check, finish, rewrite_in_place, split_unescaped  # noqa: E402

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
VALUE = r"(?:-?\d+i|-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|\"(?:[^\"\\\n]|\\[\"\\])*\")"
LINE_RE = re.compile(r"^(%s)((?:,%s=%s)*) (%s=%s(?:,%s=%s)*) (-?\d+)$" % (MEAS, NAME, NAME, NAME, VALUE, NAME, VALUE))

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


def zoneinfo_low_pages(text):
    """gopsutil's sum of the zones' low watermarks: a line whose first word starts with 'low'."""
    total = 0
    for line in text.split("\n"):
        w = line.split()
        if w and w[0].startswith("low") and len(w) > 1 and w[1].isdigit():
            total += int(w[1])
    return total


def physical_cpus(text):
    """gopsutil's cpu.Counts(false) from cpuinfo: sum of 'cpu cores' per distinct 'physical id'."""
    cores, cur = {}, {}
    for line in text.split("\n"):
        line = line.strip().lower()
        if not line:
            if "physical id" in cur and "cpu cores" in cur:
                cores[cur["physical id"]] = cur["cpu cores"]
            cur = {}
            continue
        k, _, v = line.partition(":")
        if k.strip() in ("physical id", "cpu cores") and re.fullmatch(r"[+-]?\d+", v.strip()):
            cur[k.strip()] = int(v.strip())
    return sum(cores.values())


def uptime_format(up):
    """Telegraf's formatUptime."""
    days = up // 86400
    head = "%d day%s, " % (days, "s" if days > 1 else "") if days else ""
    return head + "%2d:%02d" % (up // 3600 % 24, up // 60 % 60)


def expected_mem(text, zoneinfo=None):
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
    raw_kb = {}
    for line in text.split("\n"):
        m = re.match(r"^([^:]+):[ \t]*(\d+)[ \t]+kB$", line)
        if m:
            raw_kb[m.group(1)] = int(m.group(2))
    if "MemAvailable" in vals:
        avail = vals["MemAvailable"]
    elif zoneinfo is not None and all(k in raw_kb for k in ("Active(file)", "Inactive(file)", "SReclaimable")):
        # gopsutil's calculateAvailVmem (kernels 2.6.28 to 3.13), floored at 0
        w = zoneinfo_low_pages(zoneinfo) * os.sysconf("SC_PAGE_SIZE")
        f = (raw_kb["Active(file)"] + raw_kb["Inactive(file)"]) * 1024
        sr = raw_kb["SReclaimable"] * 1024
        avail = max(0, vals.get("MemFree", 0) - w + f - min(f // 2, w) + sr - min(sr // 2, w))
    else:
        avail = vals.get("MemFree", 0) + cached
    avail = min(avail, vals["MemTotal"])
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
    check(what + " field set", not missing and not extra,
          "missing %s, unexpected %s" % (missing, extra))
    bad = []
    for k in sorted(set(got) & set(exp)):
        s, want = got[k], exp[k]
        if types.get(k, "float") == "str":
            if s != '"%s"' % want.replace("\\", "\\\\").replace('"', '\\"'):
                bad.append("%s=%s want %r" % (k, s, want))
        elif types.get(k, "float") == "int":
            if not s.endswith("i") or int(s[:-1]) != want:
                bad.append("%s=%s want %di" % (k, s, want))
        else:
            if s.endswith("i") or not close(float(s), want):
                bad.append("%s=%s want %.17g" % (k, s, want))
    check(what + " values", not bad, "; ".join(bad))


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

    check(case + ": exit status 0", rc == 0, "got %d; stderr: %s" % (rc, err.strip()))
    # procflux reads stat right after start and 2 s later; the in-place rewrite
    # must fall well inside that sleep, or the run says nothing about deltas.
    check(case + ": stat rewritten 0.3-1.7 s after launch", t0 + 300e6 <= tw <= t0 + 1700e6,
          "%.3f s" % ((tw - t0) / 1e9))
    if nosys:
        check(case + ": warns that the system collector is disabled",
              "system collector disabled" in err and "loadavg" in err, "stderr: %r" % err)
    else:
        check(case + ": nothing on stderr", err == "", repr(err))
    check(case + ": output ends with a newline", out.endswith("\n") or out == "")

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
        series[key] = dict(f.split("=", 1) for f in split_unescaped(fieldtext, ","))
        stamps.add(int(ts))
    check(case + ": every line is valid line protocol", not bad, " | ".join(bad[:3]))
    check(case + ": one integer timestamp per tick, in ns within the run",
          len(stamps) == 1 and t0 <= min(stamps) <= max(stamps) <= t1,
          "stamps %s, run %d..%d" % (sorted(stamps)[:3], t0, t1))

    # Series: cpu-total, one per cpuN line of the second reading, mem, system.
    want_series = {"cpu/" + c for c in cur} | {"mem"} | (set() if nosys else {"system"})
    check(case + ": series present", set(series) == want_series,
          "missing %s, unexpected %s" % (sorted(want_series - set(series))[:5],
                                          sorted(set(series) - want_series)[:5]))

    for cpu in sorted(cur, key=lambda c: (c != "cpu-total", int(c[3:]) if c != "cpu-total" else 0)):
        if "cpu/" + cpu not in series:
            continue
        exp = expected_cpu(prev.get(cpu, []), cur[cpu], clk_tck)
        compare("%s: cpu %s" % (case, cpu), series["cpu/" + cpu], exp, {})

    zoneinfo_path = os.path.join(fixture_dir, "zoneinfo")
    zoneinfo = open(zoneinfo_path).read() if os.path.exists(zoneinfo_path) else None
    if "mem" in series:
        exp = expected_mem(meminfo, zoneinfo)
        types = {k: "int" for k in exp if not k.endswith("_percent")}
        compare(case + ": mem", series["mem"], exp, types)

    if "system" in series:
        l = loadavg.split()
        up_int, _, up_frac = uptime.split()[0].partition(".")
        exp = {"load1": float(l[0]), "load5": float(l[1]), "load15": float(l[2]),
               "n_cpus": len([c for c in cur if c != "cpu-total"]),
               # rounded up to a whole second, as sysinfo(2) (Telegraf's source) does
               "uptime": int(up_int) + (1 if up_frac.strip("0") else 0)}
        exp["uptime_format"] = uptime_format(exp["uptime"])
        types = {"n_cpus": "int", "uptime": "int", "uptime_format": "str", "n_physical_cpus": "int"}
        cpuinfo_path = os.path.join(fixture_dir, "cpuinfo")
        if os.path.exists(cpuinfo_path):
            exp["n_physical_cpus"] = physical_cpus(open(cpuinfo_path).read())
        compare(case + ": system", series["system"], exp, types)

    # What the README says each kernel prints, checked on procflux's output.
    if name in KNOWN and not MUTATION:
        ncount, ncpus, has_avail, has_sre = KNOWN[name]
        tot = series.get("cpu/cpu-total", {})
        times = [k for k in tot if k.startswith("time_")]
        usages = [k for k in tot if k.startswith("usage_")]
        check("%s: %d cpu counters (time_*/usage_*) as kernel prints" % (case, ncount),
              len(times) == ncount and (len(usages) == ncount or case.endswith("-nosys")),
              "time %d, usage %d" % (len(times), len(usages)))
        check("%s: %d per-cpu series" % (case, ncpus),
              len([k for k in series if k.startswith("cpu/cpu") and k != "cpu/cpu-total"]) == ncpus)
        mem = series.get("mem", {})
        check("%s: sreclaimable %s" % (case, "present" if has_sre else "absent"), ("sreclaimable" in mem) == has_sre)
        if not has_avail and "free" in mem and "cached" in mem and zoneinfo is None:
            check(case + ": no MemAvailable: available = free + cached (cached has SReclaimable)",
                  int(mem["available"][:-1]) == int(mem["free"][:-1]) + int(mem["cached"][:-1]))
        if name == "manycore":
            check(case + ": CommitLimit of 737869762947802600 kB (beyond int64 bytes) omitted",
                  "commit_limit" not in mem and "committed_as" in mem)
        if name == "linux-2.6.9":
            check(case + ": 2.6.9 has no CommitLimit, has HighTotal",
                  "commit_limit" not in mem and "high_total" in mem)


def synth(src, dst):
    """A made-up second reading of /proc/stat (see the module's help)."""
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
    with open(dst, "w") as f:
        f.write("\n".join(out))


def rewrite(dirs):
    """Rewrite each run's stat in place (same inode), noting when."""
    for d in dirs:
        with open(os.path.join(d, "next"), "rb") as f:
            data = f.read()
        rewrite_in_place(data, os.path.join(d, "proc", "stat"))
        with open(os.path.join(d, "trewrite"), "w") as f:
            f.write("%d\n" % time.time_ns())


def check_all(clk_tck, dirs):
    for d in dirs:
        try:
            check_case(d, clk_tck)
        except Exception as e:  # a crash in the checker is a failure, never a pass
            check(os.path.basename(d) + ": checker", False, "%s: %s" % (type(e).__name__, e))
    return finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("synth", help="write a made-up second /proc/stat")
    p.add_argument("src")
    p.add_argument("dst")
    p = sub.add_parser("rewrite", help="rewrite each DIR/proc/stat in place with DIR/next")
    p.add_argument("dirs", nargs="+", metavar="DIR")
    p = sub.add_parser("check", help="check the runs")
    p.add_argument("clk_tck", type=int)
    p.add_argument("dirs", nargs="+", metavar="DIR")
    a = ap.parse_args()
    if a.cmd == "synth":
        synth(a.src, a.dst)
        return 0
    if a.cmd == "rewrite":
        rewrite(a.dirs)
        return 0
    return check_all(a.clk_tck, a.dirs)


if __name__ == "__main__":
    sys.exit(main())
