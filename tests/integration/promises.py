#!/usr/bin/env python3
"""Promises a hostile tester broke once, each kept by a check that failed before its fix.

  python3 tests/integration/promises.py ./procflux

Each case runs procflux on a private proc root (a copy of a fixture) or on
this host, with --stdout, and needs no receiver. Prints "N passed, M failed".
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check  # noqa: E402

FIXTURES = os.path.join(pfhelp.REPO, "tests", "fixtures")


def proc_root(tmp, kernel="linux-6.x"):
    """A proc root with the fixture's stat and meminfo, and a loadavg and uptime."""
    root = os.path.join(tmp, "proc-" + kernel)
    os.makedirs(root, exist_ok=True)
    for name in ("stat", "meminfo"):
        shutil.copy(os.path.join(FIXTURES, kernel, name), os.path.join(root, name))
    with open(os.path.join(root, "loadavg"), "w") as f:
        f.write("0.52 0.58 0.59 1/234 5678\n")
    with open(os.path.join(root, "uptime"), "w") as f:
        f.write("12345.67 23456.78\n")
    return root


def add_user_ticks(path, n):
    """Add n to the user column of every cpu line of a stat file, in place."""
    lines = open(path).read().splitlines(True)
    out = []
    for line in lines:
        if line.startswith("cpu"):
            f = line.split()
            f[1] = str(int(f[1]) + n)
            line = " ".join(f) + "\n"
        out.append(line)
    pfhelp.rewrite_in_place("".join(out).encode(), path)


def lines_of(text, measurement):
    out = []
    for line in text.splitlines():
        if line.startswith(measurement + ","):
            out.append(pfhelp.parse_line(line))
    return out


def window_stall(binary, tmp):
    """A stall across a window's end: its CPU time must not land in the window after it."""
    root = proc_root(tmp)
    stat = os.path.join(root, "stat")
    # start just after a whole second, stop at X.5 for 2 s (across two window ends)
    time.sleep(1.05 - time.time() % 1)
    second = int(time.time())
    p = subprocess.Popen([binary, "--proc-root", root, "--collect", "cpu", "--no-percpu", "--interval", "100ms",
                          "--window", "1s", "--stdout", "--stats-every", "0"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    time.sleep(max(0, second + 2.5 - time.time()))
    p.send_signal(signal.SIGSTOP)
    stopped = time.time()
    add_user_ticks(stat, 8000)
    time.sleep(2)
    p.send_signal(signal.SIGCONT)
    resumed = time.time()
    time.sleep(2.5)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    cpu = lines_of(out, "cpu")
    late = [(ts / 1e9, pfhelp.number(f["usage_user"]) if "usage_user" in f else None)
            for _, _, f, ts in cpu if ts / 1e9 > stopped]
    check("window stall: procflux exited 0", p.returncode == 0, p.returncode)
    check("window stall: no window after the stall reports the stall's CPU time "
          "(counters moved only while stopped)", all(u in (None, 0) for _, u in late),
          {"stopped": stopped, "resumed": resumed, "points after": late})


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./procflux")
    tmp = tempfile.mkdtemp(prefix="procflux-promises.")
    try:
        window_stall(binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return pfhelp.finish()


if __name__ == "__main__":
    sys.exit(main())
