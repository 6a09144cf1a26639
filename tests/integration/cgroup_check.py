#!/usr/bin/env python3
"""The checks of tests/integration/cgroup.sh on procflux's --stdout output.

  cgroup_check.py OUT NAME REMOVED_NS ERR GOT

OUT: the lines of a run with --cgroups NAME-* --window 1s at 100 ms; NAME-busy
held a busy loop from before the start until shortly before REMOVED_NS (when
it was removed), NAME-idle nothing. GOT: the percent of one CPU the loop got
by its own /proc/PID/stat (100 on an idle host). Prints one line per check, then
"N passed, M failed"; exits 1 on any failure.
"""
import sys

import pfhelp
from pfhelp import check, number, parse_line


def main():
    if len(sys.argv) != 6 or sys.argv[1] == "--help":
        print(__doc__.strip())
        return 0 if "--help" in sys.argv else 2
    out, name, removed, err, got = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    busy, idle = [], []
    bad = []
    for line in open(out):
        line = line.rstrip("\n")
        try:
            meas, tags, fields, ts = parse_line(line)
        except ValueError as e:
            bad.append("%s: %s" % (e, line))
            continue
        if meas != "cgroup":
            continue
        if tags.get("path") == name + "-busy":
            busy.append((ts, fields))
        elif tags.get("path") == name + "-idle":
            idle.append((ts, fields))
    check("every line is valid line protocol", not bad, bad[:3])
    check("the busy cgroup has windows", len(busy) >= 2, "%d lines" % len(busy))
    check("the idle sibling has windows", len(idle) >= 4, "%d lines" % len(idle))
    running = [number(f["cpu_usage_percent_mean"]) for ts, f in busy
               if "cpu_usage_percent_mean" in f and ts < removed - 1.2e9]
    mean = sum(running) / len(running) if running else -1
    check("busy: usage near one CPU: the windows' mean within 15 points of the %.1f %% the loop got "
          "(and over 40)" % got, running and abs(mean - got) <= 15 and mean > 40, running)
    check("busy: windows carry _min, _max, _mean and the µs counter",
          busy and all(k in busy[0][1] for k in ("cpu_usage_percent_min", "cpu_usage_percent_max",
                                                   "cpu_usage_usec")), busy[:1])
    peaks = [number(f["cpu_usage_percent_max"]) for ts, f in busy
             if "cpu_usage_percent_max" in f and ts < removed - 1.2e9]
    check("busy: _max over 50 ms runs stays under 150 (a single 1 ms tick reads 0 or 400)",
          peaks and all(v < 150 for v in peaks), peaks)
    quiet = [number(f["cpu_usage_percent_mean"]) for ts, f in idle if "cpu_usage_percent_mean" in f]
    check("idle sibling: usage near 0 % (window means < 5)", quiet and all(v < 5 for v in quiet), quiet)
    after = [ts for ts, f in busy if ts > removed + 1.2e9]
    check("removed cgroup: its series stops within a walk (1 s) and a window", not after,
          "%d lines after removal" % len(after))
    check("the idle sibling goes on after the removal", any(ts > removed + 1.2e9 for ts, f in idle))
    errs = open(err).read()
    check("no warning in the log", "warn" not in errs, errs[:300])
    return pfhelp.finish()


if __name__ == "__main__":
    sys.exit(main())
