#!/usr/bin/env python3
"""Checks for tests/integration/fixtures_collectors.sh: the kernel, processes,
pressure, net and diskio collectors on every kernel's fixtures.

  fixtures_collectors_check.py FIXTURES WORK BUILT

FIXTURES is tests/fixtures; BUILT the optional collectors this procflux was
built with, comma-separated (built.sh's collectors_built; may be empty). WORK
holds, per fixture directory K, what `procflux --once --stdout --collect BUILT
[--net-interfaces '*'] --proc-root FIXTURES/K --host fx` wrote: K.out, K.err
and its exit status in K.rc ("none" when procflux was not run, as with none
built). Every line is checked against values computed here from the fixture
text; a check that needs a collector not built prints "skip ...: skipped: X
not built" and counts as skipped. Prints one line per check, then "N passed,
M failed, K skipped"; exits 1 on any failure.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check, finish, number, parse_line, set_built, skip  # noqa: E402

pfhelp.DETAIL_LIMIT = 500


def parse(line):
    """measurement, tags, {field: number}, timestamp (no string fields here)."""
    meas, tags, fields, ts = parse_line(line)
    if ts is None:
        raise ValueError("no timestamp: %r" % line)
    return meas, tags, {k: number(v) for k, v in fields.items()}, ts


I64 = 2**63 - 1


def expect_kernel(d):
    k, p = {}, {}
    try:
        text = open(os.path.join(d, "stat")).read()
    except OSError:
        return None, None
    for line in text.split("\n"):
        w = line.split()
        if len(w) < 2 or not w[1].isdigit() or int(w[1]) > I64:
            continue
        v = int(w[1])
        m = {"ctxt": "context_switches", "btime": "boot_time", "processes": "processes_forked", "intr": "interrupts"}
        if w[0] in m:
            k[m[w[0]]] = v
        if w[0] == "procs_running":
            p["running"] = v
        if w[0] == "procs_blocked":
            p["blocked"] = v
    try:
        k["entropy_avail"] = int(open(os.path.join(d, "sys/kernel/random/entropy_avail")).read())
    except OSError:
        pass
    return k, p


def expect_pressure(d):
    out = {}
    for res in ("cpu", "memory", "io"):
        try:
            text = open(os.path.join(d, "pressure", res)).read()
        except OSError:
            continue
        for line in text.split("\n"):
            w = line.split()
            if not w or (res == "cpu" and w[0] == "full"):
                continue
            f = dict(x.split("=") for x in w[1:])
            out[(res, w[0])] = {"avg10": float(f["avg10"]), "avg60": float(f["avg60"]),
                                "avg300": float(f["avg300"]), "total": int(f["total"])}
    return out


def expect_net(d):
    try:
        lines = open(os.path.join(d, "net/dev")).read().split("\n")[2:]
    except OSError:
        return None
    out = {}
    for line in lines:
        if ":" not in line:
            continue
        name, _, rest = line.partition(":")
        name = name.strip()
        c = [int(x) for x in rest.split()]
        if len(c) != 16 or name.endswith("\\") or name in out:
            continue
        out[name] = {"bytes_recv": c[0], "packets_recv": c[1], "err_in": c[2], "drop_in": c[3],
                     "bytes_sent": c[8], "packets_sent": c[9], "err_out": c[10], "drop_out": c[11],
                     "speed": -1}  # under --proc-root no sysfs is read: speed unknown
    return out


def expect_disk(d):
    try:
        lines = open(os.path.join(d, "diskstats")).read().split("\n")
    except OSError:
        return None
    out = {}
    for line in lines:
        w = line.split()
        if len(w) < 14:
            continue
        name = w[2]
        if re.match(r"^(sd|hd|vd|xvd)[a-z]+\d+$", name) or re.search(r"\dp\d+$", name):
            continue
        if re.match(r"^(loop|ram|zram)\d+$", name):
            continue
        c = [int(x) for x in w[3:14]]
        if not any(c) or name in out:
            continue
        out[name] = {"reads": c[0], "merged_reads": c[1], "read_bytes": c[2] * 512, "read_time": c[3],
                     "writes": c[4], "merged_writes": c[5], "write_bytes": c[6] * 512, "write_time": c[7],
                     "iops_in_progress": c[8], "io_time": c[9], "weighted_io_time": c[10]}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fixtures")
    ap.add_argument("work")
    ap.add_argument("built", help="the built optional collectors, comma-separated (may be empty)")
    a = ap.parse_args()
    fixtures, work = a.fixtures, a.work
    built = set_built(a.built)
    for k in sorted(os.listdir(fixtures)):
        d = os.path.join(fixtures, k)
        if not os.path.isdir(d) or k.startswith("cgroup-"):  # cgroup trees, not proc roots
            continue
        rc = open(os.path.join(work, k + ".rc")).read().strip()
        err = open(os.path.join(work, k + ".err")).read()
        got = [parse(line) for line in open(os.path.join(work, k + ".out")).read().split("\n") if line]

        def by(m):
            return [(t, f) for mm, t, f, _ in got if mm == m]
        ek, ep = expect_kernel(d)
        epsi, en, ed = expect_pressure(d), expect_net(d), expect_disk(d)
        if not built:  # procflux was not run: one line for the run's own checks
            skip("%s: exit 0, one timestamp" % k, "skipped: kernel, processes, pressure, net, diskio not built",
                 count=2)
        else:
            has = {"kernel": ek is not None, "processes": ep is not None, "pressure": bool(epsi),
                   "net": en is not None, "diskio": ed is not None}
            if any(has[c] for c in built):
                check("%s: exit 0" % k, rc == "0", (rc, err))
            else:  # a subset build whose collectors all lack their files here
                check("%s: none of %s has its file here: exit 3, no collector could start"
                      % (k, ",".join(sorted(built))),
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
    return finish(with_skipped=True)


if __name__ == "__main__":
    sys.exit(main())
