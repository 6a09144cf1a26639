#!/usr/bin/env python3
"""Timestamps at every precision land at the right time in a real influxd.

  precision_check.py compose VALUE         the demo's pair for PROCFLUX_PRECISION=VALUE:
                                           prints "PROCFLUX_ARG LISTENER_PRECISION", read from
                                           `docker-compose config` (procflux's --precision and
                                           the precision the influxdb service's entrypoint sets)
  precision_check.py check RESULTS [BIN]   the checks over what precision.sh wrote; with BIN,
                                           also the demo's procflux command line for each
                                           PROCFLUX_PRECISION (and PROCFLUX_INTERVAL=1s with s)

RESULTS holds, per combination, "combo LABEL PROCFLUX_ARG LISTENER EXPECT" and
"Q_LABEL <the points' JSON>" and "now_LABEL <ns at query time>"; EXPECT is
"now" (every point within seconds of now, timestamps whole units of the
precision) or "1970" (the wrong pairing that InfluxDB reads as nanoseconds).
Prints "N passed, M failed".
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check  # noqa: E402

UNIT_NS = {"ns": 1, "n": 1, "us": 1000, "u": 1000, "ms": 10**6, "s": 10**9}
SLACK_NS = 10 * 10**9   # "within seconds of now": the run lasts about 3 s


def compose_config(**env):
    """The services of docker-compose.yml as `docker-compose config` renders them with env."""
    import yaml  # python3-yaml (docker-compose depends on it); only the compose modes need it
    exe = shutil.which("docker-compose")
    cmd = [exe] if exe else ["docker", "compose"]
    env = dict(os.environ, **env)
    out = subprocess.run(cmd + ["-f", os.path.join(pfhelp.REPO, "docker-compose.yml"), "config"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return yaml.safe_load(out)["services"]


def check_compose_cmdlines(binary):
    """The demo's procflux command line starts for every PROCFLUX_PRECISION, except s with the
    default 100ms interval, which exits 2 at start (documented beside the knob) and starts with
    PROCFLUX_INTERVAL=1s."""
    cases = [(v, None, 0) for v in ("ns", "n", "us", "u", "ms")] + [("s", None, 2), ("s", "1s", 0)]
    for value, interval, want in cases:
        env = {"PROCFLUX_PRECISION": value}
        if interval:
            env["PROCFLUX_INTERVAL"] = interval
        args = compose_config(**env)["procflux"]["command"]
        # --stdout: the demo's --dest (influxdb:8089) names a container; --once: one tick, exit
        r = subprocess.run([binary, "--config", ""] + args + ["--once", "--stdout"], capture_output=True,
                           text=True, timeout=30)
        name = "demo's procflux command line with %s: exit %d" % (
            " ".join("%s=%s" % kv for kv in sorted(env.items())), want)
        check(name, r.returncode == want, "exit %d: %s" % (r.returncode, r.stderr.strip()[:300]))
        if want == 2:
            check("  ... and the message names the way out (an interval of at least 1s)",
                  "interval of at least 1s" in r.stderr, r.stderr.strip())


def compose_pair(value):
    """(procflux's --precision, the listener's precision) the compose file gives for value."""
    svc = compose_config(PROCFLUX_PRECISION=value)
    args = svc["procflux"]["command"]
    arg = args[args.index("--precision") + 1]
    influx = svc["influxdb"]
    ep = influx["entrypoint"]
    with tempfile.TemporaryDirectory() as tmp:
        # The image's /entrypoint.sh, replaced by one that says what it was handed.
        stub = os.path.join(tmp, "entrypoint.sh")
        with open(stub, "w") as f:
            f.write('#!/bin/sh\nprintf "%s|%s\\n" "${INFLUXDB_UDP_PRECISION-unset}" "$*"\n')
        os.chmod(stub, 0o755)
        script = ep[2].replace("$$", "$").replace("/entrypoint.sh", stub)
        envc = {k: str(v) for k, v in (influx.get("environment") or {}).items()}
        envc["PATH"] = os.environ["PATH"]
        got = subprocess.run([ep[0], ep[1], script] + ep[3:] + influx["command"], env=envc,
                             check=True, capture_output=True, text=True).stdout.strip()
    listener, _, rest = got.partition("|")
    if rest != "influxd":
        raise SystemExit("the influxdb entrypoint ran %r, not influxd" % rest)
    return arg, listener


def check_results(path):
    res = pfhelp.load_results(path)
    combos = [v.split() for k, v in sorted(res.items()) if k.startswith("combo_")]
    if "skip_compose" in res:
        pfhelp.skip("the demo's pairs (docker-compose.yml)", res["skip_compose"], 6)
    for label, arg, listener, expect in combos:
        if arg == "?" or "Q_" + label not in res:
            check(label + ": the pair was read and run", False, "see the script's stderr")
            continue
        pts = pfhelp.rows(res["Q_" + label])
        now = int(res["now_" + label])
        name = "%s: procflux --precision %s, [[udp]] precision = %s" % (label, arg, listener)
        if not check(name + ": points landed", len(pts) >= 2, "%d points" % len(pts)):
            continue
        times = [p["time"] for p in pts]
        if expect == "now":
            far = [t for t in times if abs(now - t) > SLACK_NS]
            check(name + ": every point within 10 s of now", not far,
                  "%d of %d off, e.g. %d ns from now" % (len(far), len(times), (far or [0])[0] - now))
            unit = UNIT_NS[arg]
            check(name + ": timestamps are whole %s" % arg, all(t % unit == 0 for t in times),
                  [t for t in times if t % unit][:3])
        else:
            # the wrong pairing: a microsecond count read as nanoseconds, about 1970-01-21
            check(name + ": lands in January 1970 (the pairing the docs warn about)",
                  all(0 < t < 31 * 86400 * 10**9 for t in times), times[:3])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "compose":
        print("%s %s" % compose_pair(sys.argv[2]))
        return 0
    if len(sys.argv) in (3, 4) and sys.argv[1] == "check":
        check_results(sys.argv[2])
        if len(sys.argv) == 4:
            if importlib.util.find_spec("yaml") and shutil.which("docker-compose"):
                check_compose_cmdlines(sys.argv[3])
            else:
                pfhelp.skip("the demo's procflux command lines", "docker-compose or python3-yaml missing", 8)
        return pfhelp.finish(with_skipped=True)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
