#!/usr/bin/env bash
# The optional collectors on every kernel's fixtures: each tests/fixtures/<kernel>/
# read through --proc-root by procflux --once --stdout --collect
# kernel,processes,pressure,net,diskio --net-interfaces '*', and every line
# checked against values computed here, independently, from the fixture text:
# /proc/stat's ctxt/intr/processes/btime/procs_* lines, pressure/*, net/dev
# (gopsutil's columns; a name ending in '\' cannot be written and is left out),
# diskstats (whole disks by the name rule, as there is no sysfs under a
# --proc-root; loop, ram, zram and all-zero devices left out). A collector
# whose file a fixture lacks must be off with a warning, the others still run.
# A collector this procflux was built without (make COLLECTORS=...) is not
# asked for; the checks that need it print "skip ...: skipped: X not built"
# and count as skipped, not passed (with none built, procflux is not run).
# Prints one line per check, then "N passed, M failed, K skipped"; exits 1 on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/procflux}")
fixtures=${FIXTURES:-$root/tests/fixtures}
work=$(mktemp -d /tmp/procflux-fixc.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$here/built.sh"
built=$(collectors_built "$bin")
net_opts=()
case ",$built," in *,net,*) net_opts=(--net-interfaces '*');; esac
for d in "$fixtures"/*/; do
    k=$(basename "$d")
    : > "$work/$k.out"; : > "$work/$k.err"; echo none > "$work/$k.rc"
    [ -n "$built" ] || continue
    "$bin" --once --stdout --interval 10ms --collect "$built" \
        "${net_opts[@]}" --proc-root "$d" --host fx > "$work/$k.out" 2> "$work/$k.err"
    echo $? > "$work/$k.rc"
done
python3 - "$fixtures" "$work" "$built" <<'PY'
import os, re, sys
fixtures, work, built = sys.argv[1:]
built = set(x for x in built.split(",") if x)
passed = failed = skipped = 0
def check(name, ok, detail="", needs=()):
    global passed, failed, skipped
    off = [c for c in needs if c not in built]
    if off:
        skipped += 1
        print("skip %s: skipped: %s not built" % (name, ", ".join(off)))
        return
    if ok: passed += 1
    else: failed += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)[:500]))

def unescape(s):
    return re.sub(r"\\([,= ])", r"\1", s)
def split_unescaped(s, sep):
    out, cur, i = [], "", 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]; i += 2; continue
        if s[i] == sep:
            out.append(cur); cur = ""; i += 1; continue
        cur += s[i]; i += 1
    out.append(cur)
    return out
def parse(line):
    # measurement,tags fields ts (no string fields here)
    head, fields, ts = split_unescaped(line, " ")
    parts = split_unescaped(head, ",")
    tags = dict((unescape(a), unescape(b)) for a, b in (split_unescaped(p, "=") for p in parts[1:]))
    fv = {}
    for f in fields.split(","):
        key, _, v = f.partition("=")
        fv[key] = int(v[:-1]) if v.endswith("i") else float(v)
    return parts[0], tags, fv, int(ts)

I64 = 2**63 - 1
def expect_kernel(d):
    k, p = {}, {}
    try: text = open(os.path.join(d, "stat")).read()
    except OSError: return None, None
    for line in text.split("\n"):
        w = line.split()
        if len(w) < 2 or not w[1].isdigit() or int(w[1]) > I64: continue
        v = int(w[1])
        m = {"ctxt": "context_switches", "btime": "boot_time", "processes": "processes_forked", "intr": "interrupts"}
        if w[0] in m: k[m[w[0]]] = v
        if w[0] == "procs_running": p["running"] = v
        if w[0] == "procs_blocked": p["blocked"] = v
    try: k["entropy_avail"] = int(open(os.path.join(d, "sys/kernel/random/entropy_avail")).read())
    except OSError: pass
    return k, p
def expect_pressure(d):
    out = {}
    for res in ("cpu", "memory", "io"):
        try: text = open(os.path.join(d, "pressure", res)).read()
        except OSError: continue
        for line in text.split("\n"):
            w = line.split()
            if not w or (res == "cpu" and w[0] == "full"): continue
            f = dict(x.split("=") for x in w[1:])
            out[(res, w[0])] = {"avg10": float(f["avg10"]), "avg60": float(f["avg60"]),
                                "avg300": float(f["avg300"]), "total": int(f["total"])}
    return out
def expect_net(d):
    try: lines = open(os.path.join(d, "net/dev")).read().split("\n")[2:]
    except OSError: return None
    out = {}
    for line in lines:
        if ":" not in line: continue
        name, _, rest = line.partition(":")
        name = name.strip()
        c = [int(x) for x in rest.split()]
        if len(c) != 16 or name.endswith("\\") or name in out: continue
        out[name] = {"bytes_recv": c[0], "packets_recv": c[1], "err_in": c[2], "drop_in": c[3],
                     "bytes_sent": c[8], "packets_sent": c[9], "err_out": c[10], "drop_out": c[11]}
    return out
def expect_disk(d):
    try: lines = open(os.path.join(d, "diskstats")).read().split("\n")
    except OSError: return None
    out = {}
    for line in lines:
        w = line.split()
        if len(w) < 14: continue
        name = w[2]
        if re.match(r"^(sd|hd|vd|xvd)[a-z]+\d+$", name) or re.search(r"\dp\d+$", name): continue
        if re.match(r"^(loop|ram|zram)\d+$", name): continue
        c = [int(x) for x in w[3:14]]
        if not any(c) or name in out: continue
        out[name] = {"reads": c[0], "merged_reads": c[1], "read_bytes": c[2] * 512, "read_time": c[3],
                     "writes": c[4], "merged_writes": c[5], "write_bytes": c[6] * 512, "write_time": c[7],
                     "iops_in_progress": c[8], "io_time": c[9], "weighted_io_time": c[10]}
    return out

for k in sorted(os.listdir(fixtures)):
    d = os.path.join(fixtures, k)
    if not os.path.isdir(d): continue
    rc = open(os.path.join(work, k + ".rc")).read().strip()
    err = open(os.path.join(work, k + ".err")).read()
    got = [parse(l) for l in open(os.path.join(work, k + ".out")).read().split("\n") if l]
    by = lambda m: [(t, f) for mm, t, f, _ in got if mm == m]
    ek, ep = expect_kernel(d)
    epsi, en, ed = expect_pressure(d), expect_net(d), expect_disk(d)
    if not built:  # procflux was not run: one line for the run's own checks
        print("skip %s: exit 0, one timestamp: skipped: kernel, processes, pressure, net, diskio not built" % k)
        skipped += 2
    else:
        has = {"kernel": ek is not None, "processes": ep is not None, "pressure": bool(epsi),
               "net": en is not None, "diskio": ed is not None}
        if any(has[c] for c in built):
            check("%s: exit 0" % k, rc == "0", (rc, err))
        else:  # a subset build whose collectors all lack their files here
            check("%s: none of %s has its file here: exit 3, no collector could start" % (k, ",".join(sorted(built))),
                  rc == "3" and "no collector could start" in err, (rc, err))
        check("%s: one timestamp, host tag on every line" % k,
              len({ts for *_, ts in got}) <= 1 and all(t.get("host") == "fx" for _, t, _, _ in got), got[:2])
    kl, pl = by("kernel"), by("processes")
    check("%s: kernel fields = the stat file's lines" % k, len(kl) == 1 and kl[0][1] == ek, (kl, ek),
          needs=("kernel",))
    check("%s: processes fields = procs_running/blocked" % k, len(pl) == 1 and pl[0][1] == ep, (pl, ep),
          needs=("processes",))
    gpsi = {(t["resource"], t["type"]): f for t, f in by("pressure")}
    check("%s: pressure series and values" % k, gpsi == epsi, (gpsi, epsi), needs=("pressure",))
    if not epsi:
        check("%s: no PSI: pressure off with one warning" % k, err.count("pressure collector disabled") == 1, err,
              needs=("pressure",))
    gn = {t["interface"]: f for t, f in by("net")}
    if en is None:
        check("%s: no net/dev: net off with one warning, nothing sent" % k,
              not gn and err.count("net collector disabled") == 1, (gn, err), needs=("net",))
    else:
        check("%s: net interfaces and counters" % k, gn == en, (gn, en), needs=("net",))
    gd = {t["name"]: f for t, f in by("diskio")}
    if ed is None:
        check("%s: no diskstats: diskio off with one warning, nothing sent" % k,
              not gd and err.count("diskio collector disabled") == 1, (gd, err), needs=("diskio",))
    else:
        check("%s: diskio whole disks and counters" % k, gd == ed, (sorted(gd), sorted(ed)), needs=("diskio",))
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
PY
