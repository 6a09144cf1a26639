#!/usr/bin/env python3
"""What --window promises at high frequency, against the binary.

  tests/integration/resolution.py ./procflux

1. Exact windows: --interval 10ms --window 1s beside --interval 1s on one proc
   root whose stat moves every 100 ms by unequal jiffies: their cpu-total
   usage fields agree, to the last digit, for every second both sent.
2. Min/max that mean something: a 300 ms busy loop pinned to one core shows
   usage_user_max >= 80 for that core in the window that holds it, with a
   1 ms sampler; a window whose usage_user is under 5 % never says 100.
3. A microburst: in a private pair of network namespaces joined by a veth,
   a 20 ms UDP burst inside a quiet second; --interval 1ms --window 1s
   --collect net shows bytes_recv_rate_max >= 0.8 x the burst's true rate
   while bytes_recv_rate_mean stays under 5 % of it (needs root and ip).

Prints "N passed, M failed, K skipped".
"""
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check  # noqa: E402

USAGE = ("usage_user", "usage_nice", "usage_system", "usage_idle", "usage_iowait", "usage_irq",
         "usage_softirq", "usage_steal")


def lines(out, measurement, **tags):
    got = []
    for line in out.splitlines():
        if not line.startswith(measurement + ","):
            continue
        m, t, f, ts = pfhelp.parse_line(line)
        if all(t.get(k) == v for k, v in tags.items()):
            got.append((t, f, ts))
    return got


def exact_windows(binary, tmp):
    root = os.path.join(tmp, "proc")
    os.makedirs(root)
    stat = os.path.join(root, "stat")
    rnd = random.Random(12)
    v = [[rnd.randrange(1000, 5000) for _ in range(10)] for _ in range(2)]
    with open(stat, "wb") as f:
        f.write(pfhelp.stat_text(v))
    # start a little after a whole second; the file moves at k * 100 ms + 50 ms, away from the ticks
    time.sleep(1.2 - time.time() % 1)
    args = ["--proc-root", root, "--collect", "cpu", "--no-percpu", "--stdout", "--stats-every", "0"]
    fast = subprocess.Popen([binary, "--interval", "10ms", "--window", "1s"] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    slow = subprocess.Popen([binary, "--interval", "1s"] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    end = int(time.time()) + 5
    while time.time() < end + 0.3:
        now = time.time()
        at = int(now * 10) / 10 + 0.05
        if at < now:
            at += 0.1
        time.sleep(at - now)
        for c in v:
            for k in range(8):
                c[k] += rnd.choice((0, 0, 1, 2, 3, 7, 19)) * (3 if k == 3 else 1)
        pfhelp.rewrite_in_place(pfhelp.stat_text(v), stat)
    for p in (fast, slow):
        p.send_signal(signal.SIGTERM)
    out_fast = fast.communicate(timeout=10)[0]
    out_slow = slow.communicate(timeout=10)[0]
    windows = {round(ts / 1e9): f for _, f, ts in lines(out_fast, "cpu", cpu="cpu-total")}
    seconds = {round(ts / 1e9): f for _, f, ts in lines(out_slow, "cpu", cpu="cpu-total")}
    both = sorted(set(windows) & set(seconds))
    differ = [(s, k, windows[s].get(k), seconds[s].get(k)) for s in both for k in USAGE
              if windows[s].get(k) != seconds[s].get(k)]
    check("exact windows: at least 3 seconds sent by both", len(both) >= 3, (sorted(windows), sorted(seconds)))
    check("exact windows: --window 1s at 10 ms == --interval 1s, every usage field to the last digit",
          both and not differ, differ[:6])
    check("exact windows: usage_user_mean == usage_user", all(
        windows[s].get("usage_user_mean") == windows[s].get("usage_user") for s in windows), windows)


def busy_core(binary, tmp):
    if os.cpu_count() < 2 or not shutil.which("taskset"):
        pfhelp.skip("busy core", "skipped: needs 2 CPUs and taskset", 3)
        return
    core = os.cpu_count() - 1
    time.sleep(1.05 - time.time() % 1)
    p = subprocess.Popen([binary, "--interval", "1ms", "--window", "1s", "--collect", "cpu", "--stdout",
                          "--stats-every", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    start = int(time.time())
    # 300 ms of user time on one core, inside the window (start+2, start+3]
    time.sleep(max(0, start + 2.35 - time.time()))
    subprocess.run(["taskset", "-c", str(core), sys.executable, "-c",
                    "import time\nend = time.monotonic() + 0.3\nwhile time.monotonic() < end: pass"])
    time.sleep(max(0, start + 4.2 - time.time()))
    p.send_signal(signal.SIGTERM)
    out = p.communicate(timeout=10)[0]
    per = {round(ts / 1e9): f for _, f, ts in lines(out, "cpu", cpu="cpu%d" % core)}
    holding = per.get(start + 3, {})
    check("busy core: the window holding a 300 ms busy loop on cpu%d shows usage_user_max >= 80" % core,
          pfhelp.number(holding.get("usage_user_max", "0")) >= 80, holding)
    quiet = [(s, f) for s, f in per.items() if pfhelp.number(f.get("usage_user", "100")) < 5]
    check("busy core: a window under 5 % user never reports usage_user_max 100 (per tick it was 0 or 100)",
          all(pfhelp.number(f["usage_user_max"]) < 100 for _, f in quiet), quiet)
    if not quiet:
        pfhelp.skip("busy core: quiet windows", "skipped: no window of cpu%d was under 5 %% user here" % core)
    else:
        check("busy core: there were quiet windows to look at", True)


def microburst(binary, tmp):
    if os.geteuid() != 0 or not shutil.which("ip"):
        pfhelp.skip("microburst", "skipped: needs root and ip (iproute2) for network namespaces", 3)
        return
    tag = "pf%d" % os.getpid()
    a, b = tag + "a", tag + "b"
    ipa, ipb = "10.231.%d.1" % (os.getpid() % 250), "10.231.%d.2" % (os.getpid() % 250)

    def ip(*args):
        subprocess.run(["ip"] + list(args), check=True)
    sink = p = None
    try:
        ip("netns", "add", a)
        ip("netns", "add", b)
        ip("link", "add", tag + "x", "netns", a, "type", "veth", "peer", "name", tag + "y", "netns", b)
        ip("-n", a, "addr", "add", ipa + "/30", "dev", tag + "x")
        ip("-n", b, "addr", "add", ipb + "/30", "dev", tag + "y")
        for ns, dev in ((a, tag + "x"), (b, tag + "y")):
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        # a receiver that takes the burst (no ICMP back), in b
        sink = subprocess.Popen(["ip", "netns", "exec", b, sys.executable, "-c",
                                 "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                 "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)\n"
                                 "s.bind(('%s', 9999))\nwhile True: s.recv(65536)" % ipb])
        err = open(os.path.join(tmp, "microburst.err"), "w+")
        p = subprocess.Popen(["ip", "netns", "exec", b, binary, "--interval", "1ms", "--window", "1s",
                              "--collect", "net", "--net-interfaces", tag + "y", "--stdout", "--stats-every", "0"],
                             stdout=subprocess.PIPE, stderr=err, text=True)
        # Read the windows as they come: the burst is timed from procflux's own first whole window, not
        # from when we think it started (a loaded machine can take a second to get it going).
        got = queue.Queue()
        threading.Thread(target=lambda: [got.put(line) for line in p.stdout], daemon=True).start()
        out = []

        def wait_window(until):
            while time.time() < until:
                try:
                    line = got.get(timeout=max(0.01, until - time.time()))
                except queue.Empty:
                    break
                out.append(line)
                w = lines(line, "net", interface=tag + "y")
                if w:
                    return w[0][2]
            return None
        first = wait_window(time.time() + 10)
        burst = None
        if first is not None:
            # 20 ms of datagrams from a, starting 0.4 s into the next whole second; the script waits for
            # that moment itself, after its own start-up, and says when it really sent
            at = round(first / 1e9) + 1.4
            if at - time.time() < 0.2:
                at += 1
            burst = subprocess.run(["ip", "netns", "exec", a, sys.executable, "-c",
                                    "import socket, time\n"
                                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                    "s.connect(('%s', 9999))\nbuf = b'x' * 1400\nn = 0\n"
                                    "time.sleep(max(0, %r - time.time()))\n"
                                    "w0 = time.time()\nt0 = time.monotonic()\nend = t0 + 0.020\n"
                                    "while time.monotonic() < end:\n    s.send(buf); n += 1\n"
                                    "print(n, time.monotonic() - t0, w0, time.time())" % (ipb, at)],
                                   stdout=subprocess.PIPE, text=True)
            packets, seconds, w0, w1 = burst.stdout.split()
            # the window that holds the burst ends at the next whole second; wait until it has been sent
            holder = int(float(w0)) + 1
            while True:
                ts = wait_window(holder + 2.5)
                if ts is None or round(ts / 1e9) >= holder:
                    break
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
        time.sleep(0.2)
        while not got.empty():
            out.append(got.get())
        sink.kill()
        sink.wait()
        err.seek(0)
        stderr = err.read()
        win = {round(ts / 1e9): f for _, f, ts in lines("".join(out), "net", interface=tag + "y")}
        if burst is None:
            check("microburst: procflux sent a window for the veth within 10 s", False,
                  {"exit": p.returncode, "stderr": stderr[-2000:], "stdout": "".join(out)[-2000:]})
            return
        check("microburst: the burst stayed inside one second", int(float(w0)) == int(float(w1)), (w0, w1))
        # on the wire each datagram is 1400 bytes of payload + 8 UDP + 20 IP + 14 Ethernet
        true_rate = int(packets) * (1400 + 42) / float(seconds)
        held = win.get(holder, {})
        peak = pfhelp.number(held.get("bytes_recv_rate_max", "0"))
        mean = pfhelp.number(held.get("bytes_recv_rate_mean", "0"))
        detail = {"true rate B/s": round(true_rate), "rate_max": peak, "rate_mean": mean, "packets": packets,
                  "burst s": seconds, "burst at": w0, "window": holder, "windows seen": sorted(win),
                  "exit": p.returncode, "stderr": stderr[-1000:]}
        print("     microburst: %s" % {k: detail[k] for k in list(detail)[:7]})
        check("microburst: 20 ms burst, bytes_recv_rate_max >= 0.8 x its true rate", peak >= 0.8 * true_rate, detail)
        check("microburst: ... while bytes_recv_rate_mean < 5 % of it", 0 < mean < 0.05 * true_rate, detail)
        check("microburst: the counter itself is still sent as read", "bytes_recv" in held, detail)
    finally:
        for proc in (p, sink):  # (still running only when the test broke off half-way)
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
        subprocess.run(["ip", "netns", "del", a], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", b], stderr=subprocess.DEVNULL)


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./procflux")
    usage = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, text=True).stdout
    tmp = tempfile.mkdtemp(prefix="procflux-resolution.")
    try:
        exact_windows(binary, tmp)
        busy_core(binary, tmp)
        if "net" in usage.split("this build has:")[-1]:
            microburst(binary, tmp)
        else:
            pfhelp.skip("microburst", "skipped: net not built", 3)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return pfhelp.finish(with_skipped=True)


if __name__ == "__main__":
    sys.exit(main())
