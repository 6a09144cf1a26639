#!/usr/bin/env python3
"""Checks for tests/integration/collectors.sh: the kernel, processes,
pressure, net and diskio collectors against a real influxd.

  collectors_check.py R1 R2 R3

R1, R2, R3 are the "key value" files collectors.sh writes for its three
parts (every collector on this host; interfaces that come and go; --window
with every collector). R1's "built" line lists the optional collectors this
procflux was built with; each check that needs one it was built without
prints "skip ...: skipped: X not built" and counts as skipped (section 2
runs only with net: without it R2 is empty). Prints one line per check, then
"N passed, M failed, K skipped"; exits 1 on any failure.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check, finish, load_results, rows, series, set_built  # noqa: E402

pfhelp.DETAIL_LIMIT = 600


def monotone(vals):
    return all(b >= a for a, b in zip(vals, vals[1:]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs=3, metavar="R")
    a = ap.parse_args()
    res = load_results(*a.results)
    built = set_built(res["built"])
    # section 2 runs only with net: empty answers for the checks that then skip
    res.setdefault("rc2", "")
    for k in ("Q_dyn", "Q_dynt"):
        res.setdefault(k, {"results": [{}, {}]})

    # 1. every collector
    check("all: procflux exited 0", res["rc1"] == "0", res["rc1"])
    final = rows(res["Q_final"])
    ticks = final[0]["ticks"] if final else 0
    check("all: about 60 ticks in 3 s at 20 Hz", 55 <= ticks <= 65, ticks)
    keys = [sorted(v[0] for s in series(res["Q_keys"], i) for v in s["values"]) for i in range(5)]
    kern_want = ["boot_time", "context_switches", "interrupts", "processes_forked"]
    check("kernel: Telegraf's fields", [k for k in keys[0] if k != "entropy_avail"] == kern_want, keys[0],
          needs=("kernel",))
    check("processes: running, blocked", keys[1] == ["blocked", "running"], keys[1], needs=("processes",))
    if res["psi"] == "1":
        check("pressure: avg10, avg60, avg300, total", keys[2] == ["avg10", "avg300", "avg60", "total"], keys[2],
              needs=("pressure",))
    net_want = sorted(["bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "err_in", "err_out", "drop_in", "drop_out",
                       "speed"])
    check("net: Telegraf's fields", keys[3] == net_want, keys[3], needs=("net",))
    disk_want = sorted(["reads", "writes", "read_bytes", "write_bytes", "read_time", "write_time", "io_time",
                        "weighted_io_time", "iops_in_progress", "merged_reads", "merged_writes"])
    if res["disks"].strip(","):
        check("diskio: Telegraf's fields", keys[4] == disk_want, keys[4], needs=("diskio",))

    k = rows(res["Q_kernel"])
    check("kernel: one point per tick", len(k) == ticks, (len(k), ticks), needs=("kernel",))
    check("kernel: boot_time is /proc/stat's btime", k and all(r["boot_time"] == int(res["btime"]) for r in k),
          (k[:1], res["btime"]), needs=("kernel",))
    for f in ("context_switches", "interrupts", "processes_forked"):
        check("kernel: %s never goes back, and grows" % f, k and monotone([r[f] for r in k]) and k[-1][f] > k[0][f]
              if f != "processes_forked" else monotone([r[f] for r in k]), [r[f] for r in k][:5],
              needs=("kernel",))
    p = rows(res["Q_proc"])
    check("processes: one point per tick, running >= 1 (procflux itself), blocked >= 0",
          len(p) == ticks and all(r["running"] >= 1 and r["blocked"] >= 0 for r in p), p[:3], needs=("processes",))
    if res["psi"] == "1":
        ps = series(res["Q_psi"])
        got = sorted((s["tags"]["resource"], s["tags"]["type"]) for s in ps)
        check("pressure: cpu/some, memory/some+full, io/some+full (cpu/full left out)", got == sorted(
            [("cpu", "some"), ("memory", "some"), ("memory", "full"), ("io", "some"), ("io", "full")]), got,
            needs=("pressure",))
        pr = rows(res["Q_psi"])
        check("pressure: avg* within [0, 100]", pr and all(0 <= r[a] <= 100 for r in pr for a in ("avg10", "avg60", "avg300")), pr[:2],
              needs=("pressure",))
        check("pressure: total never goes back", all(monotone([v[4] for v in s["values"]]) for s in ps), needs=("pressure",))
        check("pressure: one point per tick per series", all(len(s["values"]) == ticks for s in ps),
              [len(s["values"]) for s in ps], needs=("pressure",))
    else:
        print("skip pressure: /proc/pressure is not readable here")
    ns = {s["tags"]["interface"]: s for s in series(res["Q_net"])}
    check("net: the interfaces asked for (lo, eth*, en*) and only those",
          sorted(ns) == sorted(x for x in res["ifaces"].split(",") if x), (sorted(ns), res["ifaces"]), needs=("net",))
    lo = [dict(zip(ns["lo"]["columns"], v)) for v in ns["lo"]["values"]] if "lo" in ns else []
    check("net: lo bytes_sent grows (procflux's own datagrams) and never goes back",
          lo and monotone([r["bytes_sent"] for r in lo]) and lo[-1]["bytes_sent"] > lo[0]["bytes_sent"], lo[:2],
          needs=("net",))
    check("net: lo's last bytes_sent <= /proc/net/dev now", lo and lo[-1]["bytes_sent"] <= int(res["lo_tx_now"]),
          (lo[-1:] , res["lo_tx_now"]), needs=("net",))
    check("net: one point per tick per interface", all(len(s["values"]) == ticks for s in ns.values()),
          {n: len(s["values"]) for n, s in ns.items()}, needs=("net",))
    ds = {s["tags"]["name"]: s for s in series(res["Q_disk"])}
    want = sorted(x for x in res["disks"].split(",") if x)
    check("diskio: whole disks with I/O, no partitions/loop/ram/zram", sorted(ds) == want, (sorted(ds), want),
          needs=("diskio",))
    check("diskio: counters never go back", all(monotone([v[i] for v in s["values"]]) for s in ds.values() for i in (1, 2, 3, 4)),
          needs=("diskio",))
    cnt = [series(res["Q_counts"], i) for i in range(4)]
    landed = sum(s["values"][0][1] for c in cnt for s in c) + len(k) + len(p) + \
        (sum(len(s["values"]) for s in series(res["Q_psi"])) if res["psi"] == "1" else 0) + \
        sum(len(s["values"]) for s in ns.values()) + sum(len(s["values"]) for s in ds.values())
    check("all: every line accounted for: landed == lines_sent + 1", final and landed == final[0]["lines_sent"] + 1,
          (landed, final))

    # 2. dynamic interfaces
    check("dynamic: procflux exited 0", res["rc2"] == "0", res["rc2"], needs=("net",))
    dyn = {s["tags"]["interface"]: dict(zip(s["columns"][1:], s["values"][0][1:])) for s in series(res["Q_dyn"])}
    check("dynamic: every writable name got a series; 'back\\' (ends in a backslash) did not",
          sorted(dyn) == sorted(["lo", "veth-a", "veth-b", "br,x=y", "abcdefghijklmno", "veth-c", "veth-d"]), sorted(dyn),
          needs=("net",))
    first = {s["tags"]["interface"]: s["values"][0][0] for s in series(res["Q_dynt"], 0)}
    last = {s["tags"]["interface"]: s["values"][0][0] for s in series(res["Q_dynt"], 1)}
    check("dynamic: veth-a/b stop when gone, veth-c/d start when new",
          first and last and max(last[i] for i in ("veth-a", "veth-b")) < min(first[i] for i in ("veth-c", "veth-d")),
          (first, last), needs=("net",))
    check("dynamic: lo reads both files' values (6844 then 9826)",
          dyn.get("lo", {}).get("first") == 6844 and dyn.get("lo", {}).get("last") == 9826, dyn.get("lo"), needs=("net",))
    check("dynamic: interfaces present throughout have a point every tick (~60)",
          all(55 <= dyn[i]["count"] <= 65 for i in ("lo", "br,x=y", "abcdefghijklmno") if i in dyn), dyn, needs=("net",))

    # 3. window
    check("window: procflux exited 0", res["rc3"] == "0", res["rc3"])
    wc = [series(res["Q_win"], i)[0]["values"][0][1] if series(res["Q_win"], i) else 0 for i in range(4)]
    win = [(n, c) for n, c in zip(("kernel", "processes", "net (lo)", "cpu-total"), wc)
           if n.split()[0] in built or n == "cpu-total"]
    win_off = [n for n in ("kernel", "processes", "net") if n not in built]
    check("window: %s once per 500 ms window (5 to 7 in 3 s), not per tick" % ", ".join(n for n, _ in win),
          all(5 <= c <= 7 for _, c in win), wc)
    if win_off:
        check("window: %s once per window" % ", ".join(win_off), False, needs=win_off)
    # the fields h3's points hold (SELECT * lists every field of the measurement, null where absent)
    wk = sorted({c for s in series(res["Q_winkeys"]) for v in s["values"] for c, x in zip(s["columns"], v)
                 if x is not None and c not in ("time", "host", "interface")})
    # (with --window the counters also come with their rates, which bytes_* matches too)
    check("window: --fields net:bytes_* keeps bytes_recv and bytes_sent only (with their window rates)",
          wk == ["bytes_recv", "bytes_recv_rate_max", "bytes_recv_rate_mean", "bytes_sent", "bytes_sent_rate_max",
                 "bytes_sent_rate_mean"], wk, needs=("net",))
    udp = series(res["Q_stats"])
    fails = sum(dict(zip(s["columns"], s["values"][0])).get("pointsParseFail", 0) for s in udp)
    check("SHOW STATS FOR 'udp': no parse failures", udp and fails == 0, udp)
    return finish(with_skipped=True)


if __name__ == "__main__":
    sys.exit(main())
