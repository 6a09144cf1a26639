#!/usr/bin/env python3
"""The Python parts of tests/integration/soak.sh (make soak: many procflux
agents into one real influxd).

  soak_check.py sock PORT rx_queue|drops
      the listener socket's receive queue (bytes) or drop count, from
      /proc/net/udp (summed over sockets bound to PORT)
  soak_check.py rxq-sampler PORT PERIOD OUT
      sample PORT's receive queue every PERIOD s until SIGTERM; SIGUSR1 starts
      the second phase (the agents' SIGTERM flush); writes "PEAK_RUN
      PEAK_STOP POLLS" to OUT on exit
  soak_check.py points-rx HTTP_PORT
      influxd's pointsRx (SHOW STATS FOR 'udp'), 0 when there is none yet
  soak_check.py settle DURATION
      seconds to wait for twice the listener's batch-timeout DURATION (an
      influxd duration such as 200ms), plus 0.5
  soak_check.py report RESULTS TREND
      the summary table and the checks, from soak.sh's "key value" RESULTS
      and agent 1's memory TREND file; ends with "N passed, M failed",
      exits 1 on any failure
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfhelp import check, finish, load_results, query  # noqa: E402


def udp_sockets(port, text):
    """The fields of /proc/net/udp's lines (text) for sockets bound to port."""
    for line in text.splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == port:
            yield f


def sock(port, key):
    with open("/proc/net/udp") as f:
        text = f.read()
    s = 0
    for f in udp_sockets(port, text):
        s += int(f[-1]) if key == "drops" else int(f[4].split(":")[1], 16)
    print(s)
    return 0


def rxq_sampler(port, period, out):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    peak = [0, 0]   # while the agents run; from their SIGTERM on (SIGUSR1)
    state = {"phase": 0}
    polls = 0

    def stopping(*_):
        state["phase"] = 1
    signal.signal(signal.SIGUSR1, stopping)
    f = open("/proc/net/udp")
    try:
        while True:
            f.seek(0)
            for p in udp_sockets(port, f.read()):
                phase = state["phase"]
                peak[phase] = max(peak[phase], int(p[4].split(":")[1], 16))
            polls += 1
            time.sleep(period)
    finally:
        with open(out, "w") as o:
            o.write("%d %d %d\n" % (peak[0], peak[1], polls))


def points_rx(http_port):
    answer = query(http_port, "SHOW STATS FOR 'udp'")
    s = answer["results"][0].get("series") or [{"columns": [], "values": [[]]}]
    print(dict(zip(s[0]["columns"], s[0]["values"][0])).get("pointsRx", 0))
    return 0


def settle(duration):
    u = {'ns': 1e-9, 'us': 1e-6, 'µs': 1e-6, 'ms': 1e-3, 's': 1, 'm': 60, 'h': 3600}
    for k in sorted(u, key=len, reverse=True):
        if duration.endswith(k):
            print(2 * float(duration[:-len(k)]) * u[k] + 0.5)
            break
    else:
        print(1)
    return 0


def by_host(q, i=0):
    return {s["tags"]["host"]: dict(zip(s["columns"], s["values"][0]))
            for s in q["results"][i].get("series", [])}


def report(results, trend):
    res = load_results(results)
    n = int(res["agents"])
    hosts = ["agent-%02d" % i for i in range(1, n + 1)]
    final = by_host(res["Q_final"])
    last = by_host(res["Q_last"])
    counts = [by_host(res["Q_counts"], i) for i in range(4)]
    kill_ns = int(res["kill_ns"])

    rows, tot = [], dict(expected=0, landed=0, ticks=0, missed=0, dropped=0, errors=0, read_errors=0)
    missing_final = []
    for h in hosts:
        f = final.get(h, {})
        landed = sum(c.get(h, {}).get("count", 0) for c in counts)
        expected = f.get("lines_sent", -1) + 1 if f else 0
        # The final line is stamped after the SIGTERM (kill_ns); the periodic ones
        # before it. Without it this agent's totals are not the final ones.
        if not f or last.get(h, {}).get("time", 0) < kill_ns:
            missing_final.append(h)
        # Without its final line an agent lost at least that line; its expected count
        # (from an earlier line) is then only a lower bound.
        lost = expected - landed if h not in missing_final else max(1, expected - landed)
        r = dict(final=h not in missing_final, host=h, ticks=f.get("ticks", 0), missed=f.get("missed", 0),
                 expected=expected, landed=landed, lost=lost, dropped=f.get("dropped", 0),
                 errors=f.get("errors", 0), read_errors=f.get("read_errors", 0))
        rows.append(r)
        for k in tot:
            tot[k] += r[k]
    tot["lost"] = sum(r["lost"] for r in rows)

    fmt = "%-9s %7s %7s %9s %9s %7s %8s %7s"
    print(fmt % ("host", "ticks", "missed", "sent+1", "landed", "lost", "dropped", "senderr"))
    for r in rows:
        print(fmt % (r["host"] + ("" if r["final"] else "*"), r["ticks"], r["missed"], r["expected"], r["landed"], r["lost"], r["dropped"], r["errors"]))
    print(fmt % ("total", tot["ticks"], tot["missed"], tot["expected"], tot["landed"],
                 tot["lost"], tot["dropped"], tot["errors"]))

    loss = tot["lost"] / tot["expected"] if tot["expected"] else 1.0
    missed_pct = 100.0 * tot["missed"] / (tot["ticks"] + tot["missed"]) if tot["ticks"] else 100.0
    pts_per_s = tot["landed"] / float(res["seconds"])

    udp = res["Q_stats"]["results"][0].get("series", [])
    st = dict(zip(udp[0]["columns"], udp[0]["values"][0])) if udp else {}
    ncpu, hz = int(res["ncpu"]), int(res["clk_tck"])
    wall = float(res["wall"])
    m_total, m_idle = map(int, res["machine"].split())
    busy = 100.0 * (m_total - m_idle) / m_total if m_total else 0.0
    cpu_influx = 100.0 * int(res["cpu_influx"]) / hz / wall
    cpu_agents = 100.0 * int(res["cpu_agents"]) / hz / wall
    cpu_rxq = 100.0 * int(res["cpu_rxq"]) / hz / wall
    other = busy * ncpu - cpu_influx - cpu_agents - cpu_rxq
    rxq_run, rxq_stop, rxq_polls = map(int, res["rxq"].split())
    if missing_final:
        print("* this agent's final self-telemetry line was lost: its counters are from an earlier one,"
              " so its loss is a lower bound")
    print()
    print("loss: %s%d of %d lines (%.4f %%); ticks_missed %d of %d (%.3f %%); ~%.0f points/s landed"
          % (">= " if missing_final else "", tot["lost"], tot["expected"], 100 * loss, tot["missed"],
             tot["ticks"] + tot["missed"], missed_pct, pts_per_s))
    print("influxd SHOW STATS FOR 'udp': pointsRx %s, pointsParseFail %s, batchesTxFail %s, readFail %s, batchesTx %s, bytesRx %s"
          % tuple(st.get(k, "?") for k in ("pointsRx", "pointsParseFail", "batchesTxFail", "readFail", "batchesTx", "bytesRx")))
    print("kernel: listener socket drops %s; Udp RcvbufErrors +%s, InErrors +%s (system-wide, all sockets)"
          % (res["sock_drops"], res["rcvbuf_errors"], res["in_errors"]))
    rb = max(1, int(res["rcvbuf"]))
    print("receiver: read-buffer %s, net.core.rmem_max %s -> socket rcvbuf %s; peak receive queue seen"
          " %d bytes (%.0f %%) while running, %d bytes (%.0f %%) at the SIGTERM flush (%d polls)"
          % (res["read_buffer"], res["rmem_max"], res["rcvbuf"], rxq_run, 100.0 * rxq_run / rb,
             rxq_stop, 100.0 * rxq_stop / rb, rxq_polls))
    print("CPU over %.0f s: machine %.0f %% busy of %d CPUs (load avg %s); influxd %.0f %% of a CPU, "
          "%d agents %.0f %% of a CPU in all (%.2f %% each), queue sampler %.0f %%, everything else %.0f %% of a CPU"
          % (wall, busy, ncpu, res["loadavg"], cpu_influx, n, cpu_agents, cpu_agents / n, cpu_rxq, other))
    cols = ("VmRSS", "VmHWM", "RssAnon", "Rss", "Anonymous", "fds")
    ms = dict(zip(cols, map(int, res["mem_start"].split())))
    me = dict(zip(cols, map(int, res["mem_end"].split())))
    print("agent-01 after the warm-up -> at the end (kB; smaps_rollup's Rss and Anonymous are exact): "
          + ", ".join("%s %d -> %d" % (c, ms[c], me[c]) for c in cols))
    print("agent-01 trend (s after warm-up: " + " ".join(cols) + "): "
          + "; ".join("%s: %s" % (l.split()[0], " ".join(l.split()[1:])) for l in open(trend)))
    print()

    rcs = res["rcs"].split()
    check("all %d agents exited 0 on SIGTERM" % n, all(r == "0" for r in rcs) and len(rcs) == n,
          [(h, r) for h, r in zip(hosts, rcs) if r != "0"])
    check("every agent's final self-telemetry line landed", not missing_final, missing_final)
    check("no parse failures (pointsParseFail == 0)", udp and st.get("pointsParseFail", 0) == 0, st)
    check("no failed writes or reads in influxd (batchesTxFail == readFail == 0)",
          udp and st.get("batchesTxFail", 0) == 0 and st.get("readFail", 0) == 0, st)
    check("ticks_missed <= %s %% of ticks" % res["max_missed"], missed_pct <= float(res["max_missed"]),
          "%.3f %%" % missed_pct)
    check("nothing dropped or failed in the agents (lines_dropped, send_errors, read_errors == 0)",
          tot["dropped"] == 0 and tot["errors"] == 0 and tot["read_errors"] == 0, tot)
    check("no agent landed more than it sent (no double counting)",
          all(r["lost"] >= 0 for r in rows if r["final"]), [r["host"] for r in rows if r["final"] and r["lost"] < 0])
    check("zero loss: landed == lines_sent + 1 for every agent", not missing_final and all(r["lost"] == 0 for r in rows),
          "%s%d lost (%.4f %%); kernel socket drops %s" % (">= " if missing_final else "", tot["lost"], 100 * loss,
                                                         res["sock_drops"]))
    check("influxd pointsRx == points landed", st.get("pointsRx") == tot["landed"], (st.get("pointsRx"), tot["landed"]))
    # "Must not grow" means 0 pages. procflux allocates nothing after start-up, and
    # by the end of the warm-up (hundreds of ticks, several flushes and stats lines)
    # every buffer and every steady-state code path has been touched; a process
    # that faults in no new page has constant counters, so any growth at all is
    # memory the steady state keeps taking. smaps_rollup's Anonymous (heap, stack,
    # libev's arrays) is counted exactly from the page tables, free of the
    # kernel's batched RSS counters behind VmRSS, which is why it, not VmRSS, is
    # compared; VmHWM, the peak of VmRSS, catches growth that came and went
    # between the two readings.
    check("agent-01 open fds did not grow (%d -> %d)" % (ms["fds"], me["fds"]), me["fds"] <= ms["fds"])
    check("agent-01 anonymous memory did not grow (smaps_rollup Anonymous %d -> %d kB)"
          % (ms["Anonymous"], me["Anonymous"]), me["Anonymous"] <= ms["Anonymous"])
    check("agent-01 peak RSS did not grow (VmHWM %d -> %d kB)" % (ms["VmHWM"], me["VmHWM"]),
          me["VmHWM"] <= ms["VmHWM"])
    return finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sock", help="the listener socket's receive queue or drops")
    p.add_argument("port", type=int)
    p.add_argument("key", choices=("rx_queue", "drops"))
    p = sub.add_parser("rxq-sampler", help="sample the listener's receive queue until SIGTERM")
    p.add_argument("port", type=int)
    p.add_argument("period", type=float)
    p.add_argument("out")
    p = sub.add_parser("points-rx", help="influxd's pointsRx")
    p.add_argument("http_port")
    p = sub.add_parser("settle", help="seconds to wait for twice a batch-timeout")
    p.add_argument("duration")
    p = sub.add_parser("report", help="the summary and the checks")
    p.add_argument("results")
    p.add_argument("trend")
    a = ap.parse_args()
    if a.cmd == "sock":
        return sock(a.port, a.key)
    if a.cmd == "rxq-sampler":
        return rxq_sampler(a.port, a.period, a.out)
    if a.cmd == "points-rx":
        return points_rx(a.http_port)
    if a.cmd == "settle":
        return settle(a.duration)
    return report(a.results, a.trend)


if __name__ == "__main__":
    sys.exit(main())
