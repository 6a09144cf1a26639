#!/usr/bin/env python3
"""Shared helpers for procflux's integration tests (stdlib only).

Imported by the tests/integration/*_check.py checkers:
  check(name, ok, detail, needs=())
                            count a check; a failure prints the file and line
                            of the check() call that failed; a check whose
                            needs (collectors) are not all built is skipped
  set_built(csv)            the optional collectors this procflux was built
                            with (built.sh's collectors_built), for needs=
  skip(name, why, count=1)  report a check that could not run here
  finish(extra="", with_skipped=False)
                            print "N passed, M failed[, K skipped]" and return
                            the exit code
  load_results(*paths)      the "key value" files the shell parts write
                            (keys starting with Q_ hold InfluxDB JSON answers)
  series/rows/first_value   reading InfluxDB JSON answers
  query(http_port, q)       an InfluxQL query over InfluxDB's HTTP API
  parse_line(line)          InfluxDB line protocol -> measurement, tags, fields, ts
  rewrite_in_place(src, dst) replace a file's content keeping its inode
  free_port(kind)           a free loopback tcp or udp port

Run as a program it offers the same to shell scripts:
  pfhelp.py free-port tcp|udp
  pfhelp.py value [--col N] [--default D] [--db DB] HTTP_PORT QUERY
  pfhelp.py rewrite SRC DST
  pfhelp.py flip [--times N] [--period S] A B DST
"""
import argparse
import inspect
import json
import os
import re
import socket
import sys
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---------------------------------------------------------------- checks
passed = failed = skipped = 0
# Failure details longer than this are cut (None: never).
DETAIL_LIMIT = None
# The optional collectors built into the procflux under test (None: not told,
# so no check is skipped for its needs).
BUILT = None


def set_built(csv):
    """Record the built optional collectors from a comma-separated list (as
    built.sh's collectors_built prints it; empty: none built)."""
    global BUILT
    BUILT = set(x for x in csv.split(",") if x)
    return BUILT


def _where(depth):
    """'path:line' of the frame `depth` levels above our caller, path relative
    to the repository when it is inside it."""
    frame = inspect.currentframe()
    try:
        for _ in range(depth + 1):
            frame = frame.f_back
        path = os.path.abspath(frame.f_code.co_filename)
        rel = os.path.relpath(path, REPO)
        return "%s:%d" % (path if rel.startswith("..") else rel, frame.f_lineno)
    finally:
        del frame


def location(depth=1):
    """'file:line' of the caller's caller (depth=1): for checkers that report
    their results in another format than check()'s."""
    return _where(depth + 1)


def check(name, ok, detail="", needs=()):
    """Count one check. ok is used for its truth value. On failure prints
    'FAIL name: detail' and the file and line of this call. When a collector
    in needs is not built (see set_built), the check is not judged: it prints
    'skip name: skipped: X not built', counts as skipped and returns None."""
    global passed, failed
    off = [c for c in needs if BUILT is not None and c not in BUILT]
    if off:
        skip(name, "skipped: %s not built" % ", ".join(off))
        return None
    if ok:
        passed += 1
        print("ok   " + name)
        return True
    failed += 1
    text = str(detail)
    if DETAIL_LIMIT is not None:
        text = text[:DETAIL_LIMIT]
    print("FAIL " + name + (": " + text if text else ""))
    print("     at " + _where(1))
    return False


def skip(name, why, count=1):
    """One 'skip name: why' line for count checks that could not run here."""
    global skipped
    skipped += count
    print("skip %s: %s" % (name, why))


def finish(extra="", with_skipped=False):
    """The closing 'N passed, M failed' line (with ', K skipped' when
    with_skipped); returns the exit status."""
    print("%d passed, %d failed%s%s" % (passed, failed, ", %d skipped" % skipped if with_skipped else "", extra))
    return 1 if failed else 0


# ---------------------------------------------------------------- InfluxDB answers
def load_results(*paths):
    """{key: value} from lines 'key value'; Q_* values are JSON."""
    res = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition(" ")
                res[k] = json.loads(v) if k.startswith("Q_") else v
    return res


def series(q, i=0):
    """The series of the i-th statement of an answer ([] when none)."""
    return q["results"][i].get("series", [])


def rows(q, i=0):
    """Every point of the i-th statement as a dict; its series' tags under '_tags'."""
    return [dict(zip(s["columns"], v), **{"_tags": s.get("tags", {})}) for s in series(q, i) for v in s["values"]]


def first_value(q, i=0, col=1, default=0):
    """Column col of the first point of the i-th statement, or default when
    there is no series (count() of nothing answers with no series at all)."""
    s = series(q, i)
    return s[0]["values"][0][col] if s else default


def query(http_port, q, db="procflux"):
    """One InfluxQL request (GET /query, epoch=ns) -> the decoded JSON answer."""
    params = urllib.parse.urlencode({"db": db, "epoch": "ns", "q": q})
    url = "http://127.0.0.1:%s/query?%s" % (http_port, params)
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


# ---------------------------------------------------------------- line protocol
def split_unescaped(s, sep):
    """Split on sep where not backslash-escaped and not inside double quotes."""
    out, cur, i, inq = [], [], 0, False
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if c == '"':
            inq = not inq
        if c == sep and not inq:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def unescape(s):
    """Undo the escapes of a measurement, tag key/value or field key: '\\,',
    '\\=' and '\\ ' (a backslash before anything else is itself)."""
    return re.sub(r"\\([,= ])", r"\1", s)


FIELD_VALUE = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|-?\d+[iu]"
                         r"|t|T|true|True|TRUE|f|F|false|False|FALSE|\".*\"", re.S)


def parse_line(line):
    """One line of line protocol -> (measurement, {tag: value}, {field: raw
    value text}, timestamp int or None); ValueError when it is not valid."""
    parts = [p for p in split_unescaped(line, " ") if p != ""]
    if len(parts) not in (2, 3):
        raise ValueError("expected 2 or 3 space-separated sections, got %d" % len(parts))
    if len(parts) == 3 and not re.fullmatch(r"-?\d+", parts[2]):
        raise ValueError("bad timestamp %r" % parts[2])
    key = split_unescaped(parts[0], ",")
    meas = unescape(key[0])
    if not meas:
        raise ValueError("empty measurement")
    tags = {}
    for kv in key[1:]:
        kvs = split_unescaped(kv, "=")
        if len(kvs) != 2 or not kvs[0] or not kvs[1]:
            raise ValueError("bad tag %r" % kv)
        tags[unescape(kvs[0])] = unescape(kvs[1])
    fields = {}
    for kv in split_unescaped(parts[1], ","):
        kvs = split_unescaped(kv, "=")
        if len(kvs) != 2 or not kvs[0] or not kvs[1]:
            raise ValueError("bad field %r" % kv)
        v = kvs[1]
        if not FIELD_VALUE.fullmatch(v):
            raise ValueError("bad field value %r" % kv)
        fields[unescape(kvs[0])] = v
    if not fields:
        raise ValueError("no fields")
    return meas, tags, fields, int(parts[2]) if len(parts) == 3 else None


def number(raw):
    """A numeric field value: '12i' -> 12, '0.5' -> 0.5."""
    return int(raw[:-1]) if raw.endswith("i") else float(raw)


# ---------------------------------------------------------------- files, ports
def stat_text(cpus):
    """A fixture /proc/stat (bytes): the cpu total line, then cpu0, cpu1, ...
    from per-CPU lists of counters, and the kernel lines procflux reads."""
    total = [sum(col) for col in zip(*cpus)]
    rows = ["cpu  " + " ".join(map(str, total))]
    rows += ["cpu%d %s" % (i, " ".join(map(str, c))) for i, c in enumerate(cpus)]
    return ("\n".join(rows) + "\nintr 1 0\nctxt 10\nbtime 1700000000\nprocesses 5\n").encode()


def rewrite_in_place(data, dst):
    """Replace dst's content with data (bytes) in place, same inode: procflux
    keeps its /proc files open and preads them. Written first, then cut, so a
    reader never meets an empty file."""
    with open(dst, "r+b") as f:
        f.write(data)
        f.truncate()


def free_port(kind):
    """A loopback port nobody has bound right now (kind 'tcp' or 'udp')."""
    t = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, t) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- command line
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Run as a program: see the subcommands.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("free-port", help="print a free loopback port")
    p.add_argument("kind", choices=("tcp", "udp"))
    p = sub.add_parser("value", help="print one value of an InfluxQL answer "
                       "(column COL of the first point of the first series)")
    p.add_argument("--col", type=int, default=1)
    p.add_argument("--default", default="0", help="printed when there is no series (default 0)")
    p.add_argument("--db", default=os.environ.get("INFLUX_DB", "procflux"))
    p.add_argument("http_port")
    p.add_argument("query")
    p = sub.add_parser("rewrite", help="copy SRC's content over DST in place (same inode)")
    p.add_argument("src")
    p.add_argument("dst")
    p = sub.add_parser("flip", help="rewrite DST in place with A and B in turn")
    p.add_argument("--times", type=int, default=400)
    p.add_argument("--period", type=float, default=0.02, help="seconds between rewrites")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("dst")
    a = ap.parse_args(argv)
    if a.cmd == "free-port":
        print(free_port(a.kind))
    elif a.cmd == "value":
        print(first_value(query(a.http_port, a.query, a.db), col=a.col, default=a.default))
    elif a.cmd == "rewrite":
        with open(a.src, "rb") as f:
            rewrite_in_place(f.read(), a.dst)
    elif a.cmd == "flip":
        with open(a.a, "rb") as f:
            da = f.read()
        with open(a.b, "rb") as f:
            db = f.read()
        for i in range(a.times):
            rewrite_in_place(da if i % 2 else db, a.dst)
            time.sleep(a.period)
    return 0


if __name__ == "__main__":
    sys.exit(main())
