#!/usr/bin/env python3
"""The Python parts of tests/integration/window_fanout.sh (--window, --fields
and repeated --dest against a real influxd).

  window_fanout_check.py stall PROCFLUX TMPDIR > STALL
      run PROCFLUX on standard output with 100 ms ticks and 1 s windows on a
      fixture proc root in TMPDIR: a 0.5 s burst on cpu0 at X.05, SIGSTOP at
      X.8, 8000 user jiffies added at X+1.5, SIGCONT at X+2.3; prints
      "start T X" and then procflux's output
  window_fanout_check.py check FANOUT WINDOW STALL
      the checks on the three parts' results ("key value" files as
      window_fanout.sh writes them, and the stall output); prints one line
      per check, then "N passed, M failed"; exits 1 on any failure
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check, finish, first_value, load_results, series  # noqa: E402


def stall(binary, tmp):
    """A proc root whose cpu0 is busy (10 user jiffies per 100 ms) from X.05 to
    X.55 and idle otherwise; procflux is stopped from X.8 to X+2.3, and 8000
    user jiffies land on cpu0 while it is stopped. The host's own load plays
    no part."""
    root = os.path.join(tmp, "proc")
    os.makedirs(root, exist_ok=True)
    stat = os.path.join(root, "stat")
    cpu0, cpu1 = [1000] * 10, [1000] * 10
    with open(stat, "wb") as f:
        f.write(pfhelp.stat_text((cpu0, cpu1)))
    start = time.time()
    p = subprocess.Popen([binary, "--stdout", "--proc-root", root, "--interval", "100ms", "--window", "1s",
                          "--collect", "cpu", "--no-totalcpu", "--stats-every", "0s",
                          "--fields", "cpu:usage_user_max,usage_user_mean"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    X = int(start) + 2
    stopped = added = False
    # the file moves at k * 100 ms + 50 ms, between procflux's ticks
    t = int(start * 10) / 10 + 0.15
    while t < X + 4.2:
        time.sleep(max(0, t - time.time()))
        cpu0[0 if X + 0.05 <= t < X + 0.55 else 3] += 10
        cpu1[3] += 10
        if X + 1.5 <= t and not added:
            cpu0[0] += 8000
            added = True
        pfhelp.rewrite_in_place(pfhelp.stat_text((cpu0, cpu1)), stat)
        if X + 0.8 <= t + 0.05 and not stopped:
            time.sleep(max(0, X + 0.8 - time.time()))
            p.send_signal(signal.SIGSTOP)
            stopped = True
        if X + 2.3 <= t + 0.05 and stopped is True:
            time.sleep(max(0, X + 2.3 - time.time()))
            p.send_signal(signal.SIGCONT)
            stopped = "continued"
        t += 0.1
    p.terminate()
    out = p.communicate()[0].decode()
    print("start %.6f X %d" % (start, X))
    sys.stdout.write(out)
    return 0


def checks(fanout, window, stall_path):
    res = load_results(fanout, window)
    stall = open(stall_path).read().split("\n")

    def count(q, i):
        return first_value(q, i)

    # 1. fan-out
    check("fan-out: procflux exited 0", res["rc1"] == "0", res["rc1"])
    c1 = [count(res["Q_count1"], i) for i in range(3)]
    c2 = [count(res["Q_count2"], i) for i in range(3)]
    check("fan-out: both listeners got the same lines", c1 == c2 and c1[0] > 40, (c1, c2))
    dests = {}
    for db in (1, 2):
        for s in series(res["Q_self%d" % db]):
            dests.setdefault(db, {})[s["tags"]["dest"]] = dict(zip(s["columns"], s["values"][0]))
    want = {"127.0.0.1:%s" % res[k] for k in ("udp1", "udp2", "dead")}
    check("fan-out: one procflux series per destination, tagged dest", set(dests.get(1, {})) == want and
          set(dests.get(2, {})) == want, dests)
    d1 = dests.get(1, {})
    a, b, dead = (d1.get("127.0.0.1:%s" % res[k], {}) for k in ("udp1", "udp2", "dead"))
    landed = sum(c1)
    # the final lines (one per destination) are counted before they are sent
    check("fan-out: every line accounted for at each listener: landed == lines_sent + 3",
          landed == a.get("lines_sent", -9) + 3 and landed == b.get("lines_sent", -9) + 3,
          (landed, a.get("lines_sent"), b.get("lines_sent")))
    check("fan-out: live destinations have no send errors", a.get("send_errors") == 0 and b.get("send_errors") == 0,
          (a, b))
    check("fan-out: the dead destination counts its own refusals", dead.get("send_errors", 0) > 0, dead)
    check("fan-out: shared counters agree (ticks)", a.get("ticks") == b.get("ticks") == dead.get("ticks"), (a, b, dead))

    # 2. window
    check("window: procflux exited 0", res["rc2"] == "0", res["rc2"])

    def keys(i):
        return sorted(v[0] for s in series(res["Q_keys"], i) for v in s["values"])
    check("window: only the --fields asked for (cpu)", keys(0) == sorted(
        ["usage_user", "usage_user_min", "usage_user_max", "usage_user_mean", "usage_system_max"]), keys(0))
    check("window: only the --fields asked for (mem)", keys(1) == ["used_percent_max"], keys(1))
    rows = [dict(zip(s["columns"], v)) for s in series(res["Q_all"]) for v in s["values"]]
    check("window: one point per 500 ms window per series (3 s run: 5 to 7)",
          all(5 <= len(s["values"]) <= 7 for s in series(res["Q_all"])) and len(series(res["Q_all"])) >= 2,
          [(s["tags"], len(s["values"])) for s in series(res["Q_all"])])
    check("window: min <= mean <= max, and usage_user is the mean", rows and all(
        r["usage_user_min"] <= r["usage_user_mean"] <= r["usage_user_max"] and r["usage_user"] == r["usage_user_mean"]
        for r in rows), rows[:3])
    check("window: points land on the window grid (ts mod 500 ms < 50 ms)",
          rows and all(r["time"] % 500000000 < 50000000 for r in rows), [r["time"] % 500000000 for r in rows])
    cpu0 = [dict(zip(s["columns"], v)) for s in series(res["Q_win"]) for v in s["values"]]
    burst = max(cpu0, key=lambda r: r["usage_user_max"]) if cpu0 else {}
    check("window: the 150 ms burst on cpu0 shows in usage_user_max (>= 80)", burst.get("usage_user_max", 0) >= 80, burst)
    check("window: ... while that window's mean stays far below (max - mean >= 30)",
          burst and burst["usage_user_max"] - burst["usage_user_mean"] >= 30, burst)
    # 3. stall
    hdr = stall[0].split()
    start, X = float(hdr[1]), int(hdr[3])
    pts = []
    for line in stall[1:]:
        if not line.startswith("cpu,cpu=cpu0"):
            continue
        f = dict(kv.split("=") for kv in line.split(" ")[1].split(","))
        pts.append((int(line.split(" ")[2]) / 1e9, float(f["usage_user_max"]), float(f["usage_user_mean"])))
    check("stall: points on the 1 s grid", pts and all(t % 1 < 0.05 for t, _, _ in pts), pts)
    # (a window is whole when its first tick, 0.9 s before its end, came after procflux started)
    check("stall: the window procflux started in is not sent (the first one's first tick is after the start)",
          pts and pts[0][0] - 0.9 >= start - 0.001 and pts[0][0] - 2.9 < start, (start, pts[:1]))
    check("stall: the window whose end was missed is not sent", not any(X + 0.9 < t < X + 1.1 for t, _, _ in pts), pts)
    check("stall: its burst and the jiffies added while stopped turn up in no later window (max < 80)",
          all(m < 80 for t, m, _ in pts if t > X + 1.5) and any(t > X + 2.5 for t, _, _ in pts), pts)
    udp = series(res["Q_stats"])
    fails = sum(dict(zip(s["columns"], s["values"][0])).get("pointsParseFail", 0) for s in udp)
    check("SHOW STATS FOR 'udp': no parse failures", udp and fails == 0, udp)
    return finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("stall", help="run the stall scenario, print its output")
    p.add_argument("procflux")
    p.add_argument("tmpdir", help="where its proc root goes")
    p = sub.add_parser("check", help="check the results")
    p.add_argument("fanout")
    p.add_argument("window")
    p.add_argument("stall")
    a = ap.parse_args()
    if a.cmd == "stall":
        return stall(a.procflux, a.tmpdir)
    return checks(a.fanout, a.window, a.stall)


if __name__ == "__main__":
    sys.exit(main())
