#!/usr/bin/env python3
"""How many procflux hosts one influxd takes (make bench-receiver; a report, not a gate).

  tests/bench/receiver.py [--chart]     (--chart: redraw from bench-out/receiver.tsv)

Captures real procflux traffic (./procflux --stdout --host h000000 at 1 s and at
100 ms, a few seconds each), then, for each rate and for each packing (procflux's:
whole lines in datagrams of up to BENCH_PAYLOAD bytes; Telegraf's UDP output:
one line per datagram), starts a throwaway influxd on loopback
(tests/integration/influxd.sh) and searches for the largest number of simulated
hosts it takes without loss: build/bench/replay sends every host's lines each
flush period (1 s), host tag and timestamps rewritten. A trial passes when
influxd's udp pointsTx grew by exactly the lines sent, /proc/net/snmp's
RcvbufErrors did not grow, and the sender kept its schedule (no period's sends
ran into the next). Each trial first sends one unmeasured period (so the series
exist, as in a fleet that runs), then BENCH_SECONDS of measured traffic.
Doubling from a start, then bisection to within BENCH_PRECISION (10 %); a
search stops refining once it has used its share of BENCH_BUDGET.

influxd CPU per point: utime+stime of influxd (/proc/PID/stat) over the measured
send and its drain, divided by the points it wrote. "other CPU %": the machine's
busy time (/proc/stat) less influxd's and the sender's over the same span, as a
share of all CPUs: what else ran (a shared machine makes the numbers lower).
span_s: the measured send and its drain, the time those CPU figures cover.

Environment:
  BENCH_SECONDS=6         measured seconds per trial
  BENCH_BUDGET=540        seconds for all searches together (the whole run ~10 min)
  BENCH_PRECISION=0.1     stop bisecting when (fail - pass) <= this x pass
  BENCH_PAYLOAD=1472      packed datagram payload (procflux on a 1500-byte IPv4 route;
                          1452 on IPv6)
  BENCH_SPREAD=0          1: each host sends at its own offset in the period
                          (send jitter) instead of all at the period's start
  BENCH_RATES="1000 100"  intervals in ms; BENCH_MODES="packed single"
  INFLUX_READ_BUFFER=8388608   the [[udp]] read-buffer; BENCH_RMEM_MAX=8388608 (root:
                          net.core.rmem_max raised for influxd's socket, then restored)
  BENCH_OUT=bench-out     results: receiver.tsv, receiver.md, receiver.png
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(ROOT)
OUT = os.environ.get("BENCH_OUT", "bench-out")
PROCFLUX = os.environ.get("PROCFLUX", "./procflux")
REPLAY = os.environ.get("BENCH_BIN", "build/bench") + "/replay"
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
BUDGET = float(os.environ.get("BENCH_BUDGET", "540"))
PRECISION = float(os.environ.get("BENCH_PRECISION", "0.1"))
PAYLOAD = int(os.environ.get("BENCH_PAYLOAD", "1472"))
SPREAD = os.environ.get("BENCH_SPREAD", "0") == "1"
RATES = [int(r) for r in os.environ.get("BENCH_RATES", "1000 100").split()]
MODES = os.environ.get("BENCH_MODES", "packed single").split()
READ_BUFFER = os.environ.get("INFLUX_READ_BUFFER", "8388608")
RMEM_MAX = int(os.environ.get("BENCH_RMEM_MAX", "8388608"))
# Where each search starts doubling (hosts): about a fifth of what was held here.
START = {(1000, "packed"): 1000, (1000, "single"): 400, (100, "packed"): 100, (100, "single"): 40}
HEADER = ["rate_ms", "mode", "hosts", "pass", "why", "lines", "points_written", "datagrams",
          "rcvbuf_errors", "influxd_cpu_s", "us_per_point", "points_per_s", "sender_cpu_s",
          "late_max_ms", "periods_late", "other_cpu_pct", "span_s"]
TSV = os.path.join(OUT, "receiver.tsv")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, flush=True)


def capture(interval, seconds):
    path = os.path.join(OUT, "capture-%s.lp" % interval)
    with open(path, "w") as f:
        p = subprocess.Popen([PROCFLUX, "--stdout", "--host", "h000000", "--interval", interval],
                             stdout=f, stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        p.send_signal(signal.SIGTERM)
        p.wait()
    # Steady traffic only: not the first tick (no CPU usage yet: it needs two
    # readings) nor the procflux line sent at exit.
    with open(path) as f:
        lines = [ln for ln in f if "host=h000000" in ln and not ln.startswith("procflux,")]
    lines = [ln for ln in lines if ln.rsplit(" ", 1)[1] != lines[0].rsplit(" ", 1)[1]]
    with open(path, "w") as f:
        f.writelines(lines)
    ticks = len(set(ln.rsplit(" ", 1)[1] for ln in lines))
    log("capture: %s lines in %d ticks at --interval %s (%d bytes/line on average) -> %s"
        % (len(lines), ticks, interval, sum(map(len, lines)) // max(1, len(lines)), path))
    return path


class Influxd:
    def __init__(self):
        sh = os.path.join(ROOT, "tests/integration/influxd.sh")
        env = dict(os.environ, INFLUX_READ_BUFFER=READ_BUFFER)
        out = subprocess.run(["bash", "-c", '. "$0" && influxd_start >/dev/null && '
                              'echo "$INFLUX_PID $INFLUX_DIR $INFLUX_HTTP $INFLUX_UDP"', sh],
                             env=env, capture_output=True, text=True, check=True).stdout.split()
        self.pid, self.dir, self.http, self.udp = int(out[0]), out[1], int(out[2]), int(out[3])

    def query(self, q):
        url = "http://127.0.0.1:%d/query?%s" % (self.http, urllib.parse.urlencode({"q": q, "db": "procflux"}))
        with urllib.request.urlopen(url, timeout=30) as r:
            return json.load(r)

    def udp_stats(self):
        s = self.query("SHOW STATS FOR 'udp'")["results"][0].get("series") or [{"columns": [], "values": [[]]}]
        return dict(zip(s[0]["columns"], s[0]["values"][0]))

    def cpu(self):
        with open("/proc/%d/stat" % self.pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        return (int(st[11]) + int(st[12])) / CLK_TCK

    def rcvbuf(self):
        for line in open("/proc/net/udp"):
            f = line.split()
            if f[1].endswith(":%04X" % self.udp):
                return int(f[4].split(":")[1], 16), int(f[-1])   # rx_queue, drops
        return 0, 0

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(self.pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass
        subprocess.run(["rm", "-rf", self.dir])


def machine_busy():
    """Busy CPU seconds of the whole machine so far (/proc/stat, all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


def snmp(key):
    rows = [ln.split() for ln in open("/proc/net/snmp") if ln.startswith("Udp:")]
    return int(rows[1][rows[0].index(key)])


def drain(ix, deadline=30):
    """Wait until influxd has handed every received point on: the socket's queue
    empty, pointsTx caught up with pointsRx (a batch can wait seconds behind a
    cache snapshot when influxd is busy) and both stable for 1.5 s."""
    last, since, t0 = None, time.time(), time.time()
    while time.time() - t0 < deadline:
        st = ix.udp_stats()
        now = (st.get("pointsRx", 0), st.get("pointsTx", 0))
        if now != last or ix.rcvbuf()[0] or now[1] < now[0]:
            last, since = now, time.time()
        elif time.time() - since >= 1.5:
            break
        time.sleep(0.2)
    return last[1] if last else 0


def replay(ix, cap, rate, mode, hosts, seconds):
    cmd = [REPLAY, "--capture", cap, "--dest", "127.0.0.1:%d" % ix.udp, "--hosts", str(hosts),
           "--interval-ms", str(rate), "--seconds", str(seconds), "--payload", str(PAYLOAD)]
    if mode == "single":
        cmd.append("--single")
    if SPREAD:
        cmd.append("--spread")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (kv.split("=") for kv in out.split())}


def trial(ix, cap, rate, mode, hosts):
    replay(ix, cap, rate, mode, hosts, 1)           # warm-up: the series exist, not measured
    drain(ix)
    tx0, rb0, cpu0 = ix.udp_stats().get("pointsTx", 0), snmp("RcvbufErrors"), ix.cpu()
    busy0, t0 = machine_busy(), time.time()
    r = replay(ix, cap, rate, mode, hosts, SECONDS)
    tx1 = drain(ix)
    cpu1, rb1, busy1, t1 = ix.cpu(), snmp("RcvbufErrors"), machine_busy(), time.time()
    # What else ran meanwhile (other processes on the machine), % of all CPUs.
    other = 100 * max(0.0, busy1 - busy0 - (cpu1 - cpu0) - r["sender_cpu_s"]) / ((t1 - t0) * os.cpu_count())
    written, lost_rb = tx1 - tx0, rb1 - rb0
    why = []
    if written != r["lines"]:
        why.append("wrote %d of %d" % (written, r["lines"]))
    if lost_rb:
        why.append("RcvbufErrors +%d" % lost_rb)
    if r["periods_late"]:
        why.append("sender late in %d periods" % r["periods_late"])
    cpu = cpu1 - cpu0
    row = {"rate_ms": rate, "mode": mode, "hosts": hosts, "pass": int(not why), "why": "; ".join(why) or "ok",
           "lines": int(r["lines"]), "points_written": int(written), "datagrams": int(r["datagrams"]),
           "rcvbuf_errors": lost_rb, "influxd_cpu_s": "%.2f" % cpu,
           "us_per_point": "%.1f" % (1e6 * cpu / written if written else 0),
           "points_per_s": int(r["lines"] / SECONDS), "sender_cpu_s": "%.2f" % r["sender_cpu_s"],
           "late_max_ms": r["late_max_ms"], "periods_late": int(r["periods_late"]),
           "other_cpu_pct": "%.0f" % other, "span_s": "%.1f" % (t1 - t0)}
    log("  %5s ms %-6s %6d hosts: %-4s %s; %d points/s, influxd %.1f us/point, sender %.2f s CPU, "
        "worst lag %.0f ms, other processes %.0f %% of the CPUs, influxd %.2f CPUs over %.1f s"
        % (rate, mode, hosts, "PASS" if not why else "FAIL", row["why"], row["points_per_s"],
           float(row["us_per_point"]), r["sender_cpu_s"], r["late_max_ms"], other, cpu / (t1 - t0), t1 - t0))
    with open(TSV, "a") as f:
        f.write("\t".join(str(row[k]) for k in HEADER) + "\n")
    return not why


def search(cap, rate, mode, budget):
    t0 = time.time()
    ix = Influxd()
    try:
        good, bad, n = 0, None, START.get((rate, mode), 100)
        while bad is None:
            if trial(ix, cap, rate, mode, n):
                good, n = n, n * 2
            else:
                bad = n
            if time.time() - t0 > budget and good:
                break
        while bad is not None and bad - good > max(1, PRECISION * good) and time.time() - t0 < budget:
            mid = (good + bad) // 2
            if trial(ix, cap, rate, mode, mid):
                good = mid
            else:
                bad = mid
        log("%s ms %s: %d hosts held (%s failed), %.0f s" % (rate, mode, good, bad, time.time() - t0))
    finally:
        ix.stop()


def report():
    rows = [dict(zip(HEADER, ln.rstrip("\n").split("\t"))) for ln in open(TSV)][1:]
    best = {}
    for r in rows:
        k = (int(r["rate_ms"]), r["mode"])
        if r["pass"] == "1" and int(r["hosts"]) >= int(best.get(k, {"hosts": 0})["hosts"]):
            best[k] = r
    fails = {}
    for r in rows:
        k = (int(r["rate_ms"]), r["mode"])
        if r["pass"] == "0" and (k not in fails or int(r["hosts"]) < int(fails[k]["hosts"])):
            fails[k] = r
    med = {}
    for k in set(best):
        v = sorted(float(r["us_per_point"]) for r in rows
                   if (int(r["rate_ms"]), r["mode"]) == k and r["pass"] == "1")
        med[k] = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    out = ["| rate | packing | hosts held | first N lost | points/s held | influxd µs/point at N held "
           "(median of passing trials) | "
           "datagrams/s | sender CPU % | other CPU % | why the next N failed |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for rate in RATES:
        for mode in MODES:
            b, f = best.get((rate, mode)), fails.get((rate, mode))
            if not b:
                out.append("| %s | %s | none | | | | | | | |" % (rate, mode))
                continue
            out.append("| %s | %s | %s | %s | %s | %s (%.1f) | %d | %.0f | %s | %s |" % (
                "1 s" if rate == 1000 else "%d ms" % rate,
                "procflux (whole lines, %d B)" % PAYLOAD if mode == "packed" else "one point per datagram",
                b["hosts"], f["hosts"] if f else "not reached", b["points_per_s"], b["us_per_point"], med[(rate, mode)],
                int(b["datagrams"]) // SECONDS, 100 * float(b["sender_cpu_s"]) / SECONDS,
                b["other_cpu_pct"], f["why"] if f else ""))
    text = "\n".join(out)
    with open(os.path.join(OUT, "receiver.md"), "w") as f:
        f.write(text + "\n")
    log(text)
    with open(os.path.join(OUT, "receiver.dat"), "w") as f:
        f.write("rate\tprocflux\t\"one point per datagram\"\n")
        for rate in RATES:
            f.write("\"%s\"\t%s\t%s\n" % ("1 s" if rate == 1000 else "%d ms" % rate,
                                          best.get((rate, "packed"), {}).get("hosts", "?"),
                                          best.get((rate, "single"), {}).get("hosts", "?")))
    if subprocess.run(["sh", "-c", "command -v gnuplot >/dev/null"]).returncode:
        log("gnuplot is not installed (apt-get install gnuplot-nox): no chart")
        return
    png = os.path.join(OUT, "receiver.png")
    subprocess.run(["gnuplot"], text=True, check=True, input="""
set terminal pngcairo size 800,480 font "sans,10"
set output "%s"
set title "Hosts one influxd 1.6 takes without loss (UDP, %d vCPU, loopback)"
set ylabel "simulated procflux hosts"
set datafile missing "?"
set datafile separator "\\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top right autotitle columnheader
set logscale y
set yrange [10:*]
set grid ytics
plot for [c=2:3] "%s" using c:xtic(1)
""" % (png, os.cpu_count(), os.path.join(OUT, "receiver.dat")))
    subprocess.run(["cp", png, os.path.join(ROOT, "tests/bench/receiver.png")])
    log("chart: %s (copied to tests/bench/receiver.png)" % png)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the finally: influxd, rmem_max
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:] == ["--chart"]:
        report()
        return 0
    t0 = time.time()
    caps = {1000: capture("1s", 3.5), 100: capture("100ms", 3.2)}
    saved = None
    with open("/proc/sys/net/core/rmem_max") as f:
        old = int(f.read())
    if old < RMEM_MAX:
        try:
            with open("/proc/sys/net/core/rmem_max", "w") as f:
                f.write(str(RMEM_MAX))
            saved = old
        except OSError:
            log("bench-receiver: cannot raise net.core.rmem_max to %d (not root?); going on with %d"
                % (RMEM_MAX, old))
    log("bench-receiver: influxd %s, read-buffer %s, net.core.rmem_max %s, payload %d, %s sends, "
        "%d s per trial, %d vCPU" % (subprocess.run(["influxd", "version"], capture_output=True, text=True)
                                     .stdout.split()[1], READ_BUFFER, RMEM_MAX if saved else old, PAYLOAD,
                                     "spread" if SPREAD else "aligned", SECONDS, os.cpu_count()))
    with open(TSV, "w") as f:
        f.write("\t".join(HEADER) + "\n")
    searches = [(r, m) for r in RATES for m in MODES]
    try:
        for i, (rate, mode) in enumerate(searches):
            # the searches left share what is left of the budget
            budget = (BUDGET - (time.time() - t0)) / (len(searches) - i)
            search(caps[rate], rate, mode, budget)
    finally:
        if saved is not None:
            with open("/proc/sys/net/core/rmem_max", "w") as f:
                f.write(str(saved))
            log("bench-receiver: net.core.rmem_max restored to %d" % saved)
    report()
    log("bench-receiver: %.0f s; results %s, %s/receiver.md" % (time.time() - t0, TSV, OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
