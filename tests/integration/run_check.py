#!/usr/bin/env python3
"""Checks for tests/integration/run.sh: procflux at 20 Hz into a real influxd.

  run_check.py RESULTS HOST

RESULTS is the "key value" file run.sh writes (rc, seconds, memtotal_kb,
rcvbuf_errors, ncpu and the Q_* InfluxDB answers); HOST the --host value
procflux ran with. Prints one line per check, then "N passed, M failed";
exits 1 on any failure.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfhelp import check, finish, load_results, series  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("host")
    a = ap.parse_args()
    res = load_results(a.results)
    host = a.host

    check("procflux exited 0 on SIGTERM", res["rc"] == "0", res["rc"])
    final = series(res["Q_final"])
    cols = final[0]["columns"] if final else []
    row = dict(zip(cols, final[0]["values"][0])) if final else {}
    ticks = row.get("ticks", 0)
    expected = int(res["seconds"]) * 20
    check("ticks near 20 Hz x %s s" % res["seconds"], expected - 3 <= ticks <= expected + 3, ticks)
    check("no missed ticks", row.get("missed") == 0, row.get("missed"))
    check("no send errors, nothing dropped", row.get("errors") == 0 and row.get("dropped") == 0, row)

    counts = [series(res["Q_counts"], i) for i in range(3)]
    n_mem = counts[0][0]["values"][0][1] if counts[0] else 0
    n_sys = counts[1][0]["values"][0][1] if counts[1] else 0
    n_self = counts[2][0]["values"][0][1] if counts[2] else 0
    check("every tick landed: mem points == ticks", n_mem == ticks, (n_mem, ticks))
    # system is sampled at most once a second: once per wall-clock second of the run.
    check("system once a second", int(res["seconds"]) <= n_sys <= int(res["seconds"]) + 2, (n_sys, res["seconds"]))
    cpu = {s["tags"]["cpu"]: s["values"][0][1] for s in series(res["Q_cpu"])}
    want = ["cpu-total"] + ["cpu%d" % i for i in range(int(res["ncpu"]))]
    check("cpu series are cpu-total and one per core", sorted(cpu) == sorted(want), sorted(cpu))
    check("every tick after the first has cpu usage", all(cpu.get(c) == ticks - 1 for c in want), (cpu, ticks))
    landed = n_mem + n_sys + n_self + sum(cpu.values())
    # The final self-telemetry line reports lines_sent before itself.
    check("every line accounted for: landed == lines_sent + 1", landed == row.get("lines_sent", -1) + 1,
          (landed, row.get("lines_sent")))

    keys = sorted(v[0] for v in series(res["Q_tags"], 0)[0]["values"]) if series(res["Q_tags"], 0) else []
    check("tag keys round-trip", keys == sorted(["cpu", "host", "k,", "my tag", "zone"]), keys)
    tv = {v[0]: v[1] for v in series(res["Q_tags"], 1)[0]["values"]} if series(res["Q_tags"], 1) else {}
    check("tag values round-trip exactly", tv == {"host": host, "my tag": 'a"b\\c', "zone": "eu=west,1", "k,": "x= y"}, tv)

    rng = series(res["Q_range"])
    vals = rng[0]["values"][0][1:] if rng else []
    check("cpu usage fields within [0, 100]", vals and all(v is not None and 0 <= v <= 100 for v in vals), vals)
    mem = series(res["Q_mem"])
    mt, Mt, mu, Mu, ma, Ma = mem[0]["values"][0][1:] if mem else [None] * 6
    check("mem total == MemTotal * 1024", mt == Mt == int(res["memtotal_kb"]) * 1024, (mt, Mt, res["memtotal_kb"]))
    check("mem used_percent within [0, 100]", mu is not None and 0 <= mu <= Mu <= 100, (mu, Mu))
    check("mem available within (0, total]", ma is not None and 0 < ma <= Ma <= mt, (ma, Ma))

    udp = series(res["Q_stats"])
    st = dict(zip(udp[0]["columns"], udp[0]["values"][0])) if udp else {}
    check("SHOW STATS FOR 'udp': no parse failures", udp and st.get("pointsParseFail", 0) == 0, st)
    check("SHOW STATS FOR 'udp': no read failures", udp and st.get("readFail", 0) == 0, st)
    check("SHOW STATS FOR 'udp': pointsRx == landed", st.get("pointsRx") == landed, (st.get("pointsRx"), landed))
    print("kernel RcvbufErrors during the run: %s" % res["rcvbuf_errors"])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
