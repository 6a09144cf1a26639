#!/usr/bin/env python3
"""The checks of vmagent.sh (procflux -> vmagent -> two victoria-metrics).

  vmagent_check.py sink PORT FILE       a UDP sink on 127.0.0.1:PORT appending what it
                                        gets to FILE until SIGTERM
  vmagent_check.py check --sink FILE --host H --vm PORT --vm PORT --agent PORT ...
                                        wait for both servers to hold every line, check

VictoriaMetrics stores an Influx line as one sample per field, named
measurement_field, with the tags as labels and the timestamp in milliseconds.
A line is counted once per distinct (measurement, tags, timestamp): a server
holds a line when it holds at least one of its fields, and the check also wants
every field of it (the samples count).
"""
import argparse
import json
import os
import signal
import socket
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfhelp import check, finish, parse_line  # noqa: E402


def sink(port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(path, "ab") as f:
        while True:
            f.write(s.recv(65536))
            f.flush()


def expected_lines(path, host):
    """From what procflux sent (the sink's copy): {key: number of fields} and
    lines_sent per dest from the last procflux line of each."""
    lines, sent = {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            m, tags, fields, ts = parse_line(raw.rstrip("\n"))
            if tags.get("host") != host:
                continue
            key = (m, tuple(sorted(tags.items())), int(ts) // 1000000)
            lines[key] = len(fields)
            if m == "procflux":
                sent[tags.get("dest", "")] = int(float(str(fields["lines_sent"]).rstrip("i")))
    return lines, sent


def export(port, host, measurements):
    """{key: samples} for one server, key as in expected_lines."""
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/internal/force_flush" % port, timeout=10).read()
    except OSError:
        pass
    q = urllib.parse.urlencode({"match[]": '{host="%s"}' % host, "start": "0"})
    got = {}
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/export?%s" % (port, q), timeout=60) as r:
        for raw in r:
            s = json.loads(raw)
            name = s["metric"].pop("__name__")
            m = max((x for x in measurements if name.startswith(x + "_")), key=len, default=name)
            tags = tuple(sorted(s["metric"].items()))
            for ts in s["timestamps"]:
                got[(m, tags, ts)] = got.get((m, tags, ts), 0) + 1
    return got


def run_check(a):
    want, sent = expected_lines(a.sink, a.host)
    measurements = set(k[0] for k in want)
    fields_total = sum(want.values())

    print("vmagent: procflux lines_sent per dest: %s; lines seen by the sink: %d (%d fields)"
          % (", ".join("%s=%d" % kv for kv in sorted(sent.items())), len(want), fields_total))
    # Every datagram goes to each --dest: the sink's copy is the agent's too,
    # and it holds every line procflux counted (its last procflux line counts
    # every line before itself, so lines_sent + 1 with it).
    # Each --dest's last procflux line is counted in no lines_sent: lines_sent
    # plus one per --dest is every line procflux sent.
    top = (max(sent.values()) if sent else 0) + len(sent)
    check("the sink holds every line procflux counted (lines_sent + the last line of each --dest)",
          len(want) == top, "sink %d, lines_sent + %d = %d" % (len(want), len(sent), top))
    t_restart = time.time()
    deadline = t_restart + a.catchup
    got, done_at = {}, {}
    while True:
        for p in a.vm:
            if p not in done_at:
                got[p] = export(p, a.host, measurements)
                if all(k in got[p] for k in want):
                    done_at[p] = time.time()
        if len(done_at) == len(a.vm) or time.time() > deadline:
            break
        time.sleep(1)
    for i, p in enumerate(a.vm, 1):
        g = got[p]
        lines_held = sum(1 for k in want if k in g)
        samples_held = sum(min(g.get(k, 0), n) for k, n in want.items())
        extra = sum(g.values()) - samples_held
        away = " (the one stopped for %.0f s)" % (a.t_back - a.t_stop) if i == 2 else ""
        print("vmagent: server %d%s: %d of %d lines, %d of %d samples, %d samples more than sent; "
              "complete %.1f s after procflux stopped, %.1f s after server 2 came back"
              % (i, away, lines_held, len(want), samples_held, fields_total, extra,
                 done_at[p] - t_restart if p in done_at else float("nan"),
                 done_at[p] - a.t_back if p in done_at else float("nan")))
        check("server %d holds every line procflux sent (%d = lines_sent + %d)" % (i, top, len(sent)),
              lines_held == len(want) == top,
              "%d of %d lines; missing e.g. %s" % (lines_held, len(want),
                                                   next((k for k in want if k not in g), None)))
        check("server %d holds every field of them" % i, samples_held == fields_total,
              "%d of %d samples" % (samples_held, fields_total))
        check("server %d holds no duplicate or foreign samples" % i, extra == 0, "%d extra" % extra)
    print("vmagent: vmagent's queue for the stopped server peaked at %d bytes (-remoteWrite.tmpDataPath)"
          % a.peak_pending)
    check("vmagent queued for the stopped server", a.peak_pending > 0, "pending bytes stayed 0")
    return finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sink")
    s.add_argument("port", type=int)
    s.add_argument("file")
    c = sub.add_parser("check")
    c.add_argument("--sink", required=True)
    c.add_argument("--host", required=True)
    c.add_argument("--vm", type=int, action="append", required=True)
    c.add_argument("--agent", type=int)
    c.add_argument("--t0", type=float)
    c.add_argument("--t-stop", type=float)
    c.add_argument("--t-back", type=float)
    c.add_argument("--peak-pending", type=int, default=0)
    c.add_argument("--catchup", type=float, default=90)
    c.add_argument("--procflux-log")
    a = ap.parse_args()
    if a.cmd == "sink":
        return sink(a.port, a.file)
    return run_check(a)


if __name__ == "__main__":
    sys.exit(main())
