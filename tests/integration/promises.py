#!/usr/bin/env python3
"""Promises a hostile tester broke once, each kept by a check that failed before its fix.

  python3 tests/integration/promises.py ./procflux

Each case runs procflux on a private proc root (a copy of a fixture) or on
this host, with --stdout, and needs no receiver. Prints "N passed, M failed".
"""
import os
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


def stdout_full(binary, tmp):
    """--once --stdout > /dev/full: a write error is said, and the exit status says it."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([binary, "--once", "--stdout", "--interval", "10ms"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=10)
    check("--once --stdout > /dev/full: exit 3", r.returncode == 3, (r.returncode, r.stderr))
    check("--once --stdout > /dev/full: says it cannot write", "cannot write to standard output" in r.stderr,
          r.stderr)


def sigterm_in_once(binary, tmp):
    """SIGTERM between --once's two readings exits 0, promptly."""
    p = subprocess.Popen([binary, "--once", "--stdout", "--interval", "5s"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    t0 = time.time()
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=10)
    check("SIGTERM during --once: exit 0 (the man page's SIGTERM status)", rc == 0, rc)
    check("SIGTERM during --once: within 1 s", time.time() - t0 < 1, time.time() - t0)


def fd_map(pid):
    d = "/proc/%d/fd" % pid
    out = {}
    for fd in os.listdir(d):
        try:
            out[int(fd)] = os.readlink(os.path.join(d, fd))
        except OSError:
            pass
    return out


def sighup_keeps_fds(binary, tmp):
    """SIGHUP reopens the /proc files on the same fd numbers: a fixed set of fds."""
    p = subprocess.Popen([binary, "--interval", "50ms", "--stdout", "--collect", "cpu,mem,system"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    before = fd_map(p.pid)
    for _ in range(3):
        p.send_signal(signal.SIGHUP)
        time.sleep(0.2)
    after = fd_map(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    check("SIGHUP: the same fd numbers for the same files", before == after and len(before) >= 7,
          {"before": before, "after": after})


def ulimit_fds(binary, tmp):
    """Too few fds: exit 3 with a sentence, never an abort, never a run that sends nothing."""
    port = pfhelp.free_port("udp")
    bad = []
    for n in range(4, 14):
        def limit(n=n):
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        try:
            r = subprocess.run([binary, "--interval", "100ms", "--dest", "127.0.0.1:%d" % port, "--dest",
                                "127.0.0.1:%d" % (port + 1)], preexec_fn=limit, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, timeout=1.5)
            rc, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired as e:
            rc, err = "running", (e.stderr or b"").decode(errors="replace")
        ok = (rc == 3 and ("file descriptors" in err)) or (rc == "running" and "not resolved" not in err)
        if not ok:
            bad.append((n, rc, err[:200]))
    check("ulimit -n 4..13: exit 3 naming file descriptors, or a run that works", not bad, bad)


def million_cpus(binary, tmp):
    """One 'cpu1048575' line does not size procflux for a million CPUs."""
    root = proc_root(tmp, "linux-6.x")
    stat = os.path.join(root, "stat")
    text = open(stat).read().replace("intr", "cpu1048575 10 0 10 80 0 0 0 0 0 0\nintr", 1)
    with open(stat, "w") as f:
        f.write(text)
    p = subprocess.Popen([binary, "--proc-root", root, "--interval", "10ms", "--stdout", "--stats-every", "0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    hwm = 0
    for line in open("/proc/%d/status" % p.pid):
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=10)
    check("a cpu1048575 line: max RSS under 8 MiB", 0 < hwm < 8192, "%d KiB" % hwm)
    check("a cpu1048575 line: warned about as beyond what was sized", "beyond" in err, err[:300])


def stat_outgrows(binary, tmp):
    """/proc/stat outgrowing its start-up buffer: its fields come back, and the telemetry says so."""
    if "kernel" not in BUILT:
        pfhelp.skip("stat outgrowing its buffer", "skipped: kernel not built", 4)
        return
    root = os.path.join(tmp, "proc-grow")
    os.makedirs(root)
    small = ("cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 100 0 100 1000 0 0 0 0 0 0\n"
             "intr 12345 1 2 3\nctxt 1000\nbtime 1700000000\nprocesses 500\nprocs_running 2\n"
             "procs_blocked 0\n")
    with open(os.path.join(root, "stat"), "w") as f:
        f.write(small)
    p = subprocess.Popen([binary, "--proc-root", root, "--collect", "cpu,kernel,processes", "--interval", "50ms",
                          "--stdout", "--stats-every", "200ms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.5)
    big = small.replace("intr 12345 1 2 3", "intr 99999 " + " ".join(str(i % 97) for i in range(5000)))
    big = big.replace("ctxt 1000", "ctxt 2000")
    pfhelp.rewrite_in_place(big.encode(), os.path.join(root, "stat"))
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    kern = lines_of(out, "kernel")
    procs = lines_of(out, "processes")
    last = kern[-1][2] if kern else {}
    check("stat outgrowing its buffer: kernel's fields are all back",
          all(k in last for k in ("context_switches", "boot_time", "processes_forked", "interrupts"))
          and last.get("context_switches") == "2000i" and last.get("interrupts") == "99999i", last)
    check("stat outgrowing its buffer: processes is still sent", procs and procs[-1][3] >= kern[-1][3], procs[-1:])
    check("stat outgrowing its buffer: said once", err.count("outgrew its buffer") == 1, err[:400])
    tel = lines_of(out, "procflux")
    check("stat outgrowing its buffer: telemetry buffers_grown=1",
          tel and tel[-1][2].get("buffers_grown") == "1i", tel[-1:])


BUILT = set()


def meminfo_without_total(binary, tmp):
    """A meminfo in MB (no MemTotal in kB): mem sends nothing, and says why once."""
    root = proc_root(tmp, "linux-6.x")
    with open(os.path.join(root, "meminfo"), "w") as f:
        f.write("MemTotal:       1000 MB\nMemFree:        5 kB\n")
    p = subprocess.Popen([binary, "--proc-root", root, "--interval", "50ms", "--stdout", "--stats-every", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.6)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    check("meminfo without MemTotal in kB: no mem line", not lines_of(out, "mem"), out[:200])
    check("meminfo without MemTotal in kB: said once", err.count("no MemTotal") == 1, err[:300])


def main():
    global BUILT
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./procflux")
    # the collectors this build has, as --help lists them
    usage = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, text=True).stdout.splitlines()
    at = [i for i, line in enumerate(usage) if "this build has:" in line]
    BUILT = set(x.strip() for x in usage[at[0] + 1].split(",")) if at else set()
    tmp = tempfile.mkdtemp(prefix="procflux-promises.")
    try:
        for case in (window_stall, stdout_full, sigterm_in_once, sighup_keeps_fds, ulimit_fds, million_cpus,
                     stat_outgrows, meminfo_without_total):
            case(binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return pfhelp.finish(with_skipped=True)


if __name__ == "__main__":
    sys.exit(main())
