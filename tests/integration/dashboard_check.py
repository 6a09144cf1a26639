#!/usr/bin/env python3
"""The checker of tests/integration/test_dashboard.sh: every InfluxQL query in
the Chronograf dashboards (contrib/chronograf/**/*.dashboard) may refer only
to measurements, fields, tag keys and tag values that procflux really emits,
as read from the line protocol of real runs.

  dashboard_check.py ROOT N LP_FILE... DASHBOARD...

ROOT is the repository (for docker-compose.yml and contrib/chronograf/*.src),
N the number of line-protocol files that follow, then the dashboards. Prints
"ok<TAB>message", "FAIL<TAB>message (at file:line)" and "#<TAB>note" lines,
which test_dashboard.sh counts and turns into its "N passed, M failed".
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfhelp import location, parse_line  # noqa: E402


def emit(good, msg):
    """One result for test_dashboard.sh: "ok<TAB>msg" or "FAIL<TAB>msg (at file:line)"."""
    if not good:
        msg += " (at %s)" % location()
    print(("ok" if good else "FAIL") + "\t" + msg.replace("\n", " "))


def read_schema(lp_files):
    """measurement -> {"fields": set, "tags": {key: set(values)}} from the files."""
    schema = {}   # measurement -> {"fields": set, "tags": {key: set(values)}}
    n_lines, bad = 0, []
    for path in lp_files:
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError as e:
            emit(False, "read line protocol %s: %s" % (path, e)); continue
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            n_lines += 1
            try:
                meas, tags, fields, _ = parse_line(line)
            except ValueError as e:
                bad.append("%s (%s)" % (line[:120], e)); continue
            m = schema.setdefault(meas, {"fields": set(), "tags": {}})
            m["fields"].update(fields)
            for k, v in tags.items():
                m["tags"].setdefault(k, set()).add(v)

    emit(n_lines > 0 and not bad,
         "procflux output is valid line protocol (%d lines, %d malformed%s)"
         % (n_lines, len(bad), (": " + bad[0]) if bad else ""))
    print("#\tschema from procflux output: " + "; ".join(
        "%s: %d fields, tags %s" % (m, len(s["fields"]), sorted(s["tags"]))
        for m, s in sorted(schema.items())))
    return schema


# ---------------------------------------------------------------- InfluxQL
TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<qident>"(?:[^"\\]|\\.)*")
  | (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<tmpl>:[A-Za-z_][A-Za-z0-9_]*:)
  | (?P<regex>/(?:[^/\\]|\\.)+/)
  | (?P<dur>\d+(?:\.\d+)?(?:ns|u|µ|ms|s|m|h|d|w)\b)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<cast>::(?:field|tag|float|integer|string|boolean))
  | (?P<op>=~|!~|!=|<>|<=|>=|=|<|>|\+|-|\*|/|%)
  | (?P<punct>[(),.;])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)

CLAUSES = {"SELECT", "FROM", "WHERE", "GROUP", "ORDER", "FILL", "LIMIT",
           "SLIMIT", "OFFSET", "SOFFSET", "TZ", "INTO"}
KEYWORDS = {"AND", "OR", "NOT", "AS", "BY", "ASC", "DESC", "TRUE", "FALSE", "NULL"}

def tokenize(q):
    toks, pos = [], 0
    while pos < len(q):
        m = TOKEN.match(q, pos)
        if not m:
            raise ValueError("cannot tokenize at %r" % q[pos:pos + 20])
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        val = m.group()
        if kind == "qident":
            val = re.sub(r'\\(.)', r"\1", val[1:-1])
        toks.append((kind, val))
    return toks

def analyse(q):
    """-> dict(measurements=[...], fields=set, tagkeys=set,
               tagvalues=[(key, op, value)], errors=[...])"""
    toks = tokenize(q)
    clauses, cur = {}, None
    i = 0
    while i < len(toks):
        kind, val = toks[i]
        if kind == "word" and val.upper() in CLAUSES:
            cur = val.upper()
            if cur in ("GROUP", "ORDER") and i + 1 < len(toks) and toks[i + 1][1].upper() == "BY":
                i += 1
            clauses.setdefault(cur, [])
        elif cur is not None:
            clauses[cur].append((kind, val))
        i += 1
    res = {"measurements": [], "fields": set(), "tagkeys": set(),
           "tagvalues": [], "errors": [], "db": None}
    if "SELECT" not in clauses or "FROM" not in clauses:
        res["errors"].append("not a SELECT ... FROM query")
        return res

    # FROM: [db.[rp].]measurement[, ...]; regex sources cannot be checked.
    parts = []
    for kind, val in clauses["FROM"] + [("punct", ",")]:
        if kind == "punct" and val == ",":
            if parts:
                res["measurements"].append(parts[-1])
                if len(parts) == 3:
                    res["db"] = parts[0]
            parts = []
        elif kind in ("qident", "word"):
            parts.append(val)
        elif kind == "regex":
            res["errors"].append("regex measurement %s cannot be checked" % val)
        elif kind == "punct" and val == ".":
            pass
        elif kind == "punct" and val == "(":
            res["errors"].append("subqueries are not supported by this checker")
            break

    # SELECT: every identifier that is not a function name or an alias is a field.
    sel = clauses["SELECT"]
    for j, (kind, val) in enumerate(sel):
        nxt = sel[j + 1] if j + 1 < len(sel) else (None, None)
        prev = sel[j - 1] if j > 0 else (None, None)
        if kind not in ("qident", "word"):
            if kind == "op" and val == "*" and (prev[0] in (None,) or prev[1] in ("(", ",")):
                res["errors"].append("wildcard field selection cannot be checked")
            continue
        if prev == ("word", "AS") or (prev[0] == "word" and prev[1].upper() == "AS"):
            continue                      # alias
        if kind == "word" and (val.upper() in KEYWORDS or nxt == ("punct", "(")):
            continue                      # AS / function name
        res["fields"].add(val)

    # WHERE: ident <op> 'string' -> tag (value checked for =, !=, <>);
    #        ident <op> :tmpl:   -> tag (value is a template);
    #        ident <op> number   -> field.
    wh = clauses.get("WHERE", [])
    for j, (kind, val) in enumerate(wh):
        if kind not in ("qident", "word"):
            continue
        if kind == "word" and (val.upper() in KEYWORDS or val.lower() in ("time", "now")):
            continue
        if kind == "qident" and val == "time":
            continue
        k = j + 1
        if k < len(wh) and wh[k][0] == "cast":
            k += 1
        if k + 1 >= len(wh) or wh[k][0] != "op":
            res["errors"].append("cannot classify %r in WHERE" % val)
            continue
        op, (rk, rv) = wh[k][1], wh[k + 1]
        if rk == "str":
            res["tagkeys"].add(val)
            if op in ("=", "!=", "<>"):
                res["tagvalues"].append((val, op, rv[1:-1]))
        elif rk in ("tmpl", "regex"):
            res["tagkeys"].add(val)
        elif rk in ("num", "dur") or (rk == "op" and rv == "-"):
            res["fields"].add(val)
        else:
            res["errors"].append("cannot classify %r in WHERE" % val)

    # GROUP BY: tag keys, except time(...).
    gb = clauses.get("GROUP", [])
    depth = 0
    for j, (kind, val) in enumerate(gb):
        if kind == "punct" and val == "(":
            depth += 1; continue
        if kind == "punct" and val == ")":
            depth -= 1; continue
        if depth or kind not in ("qident", "word"):
            continue
        if kind == "word" and val.lower() == "time":
            continue
        res["tagkeys"].add(val)
    return res


# ---------------------------------------------------------------- cross-files
def grep1(path, pattern):
    try:
        m = re.search(pattern, open(path, encoding="utf-8").read(), re.M)
    except OSError:
        return None
    return m.group(1) if m else None


def check_sources(root):
    """The Chronograf source files; returns docker-compose's UDP database."""
    udp_db = grep1(os.path.join(root, "docker-compose.yml"),
                   r"^\s*INFLUXDB_UDP_DATABASE:\s*[\"']?([^\"'\s#]+)")
    if udp_db:
        print("#\tdocker-compose.yml: INFLUXDB_UDP_DATABASE=%s" % udp_db)

    for src in sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "contrib/chronograf"))
                      for f in fs if f.endswith(".src")):
        rel = os.path.relpath(src, root)
        try:
            s = json.load(open(src, encoding="utf-8"))
        except (OSError, ValueError) as e:
            emit(False, "%s is valid JSON: %s" % (rel, e)); continue
        problems = []
        if s.get("organization") != "default":
            problems.append('"organization" must be "default"')
        if not (isinstance(s.get("id"), str) and re.fullmatch(r"\d+", s["id"])):
            problems.append('"id" must be a string of digits (Go json ",string")')
        if not str(s.get("url", "")).startswith("http"):
            problems.append('"url" missing')
        if udp_db and s.get("telegraf") not in (None, udp_db):
            problems.append('"telegraf" database %r != INFLUXDB_UDP_DATABASE %r' % (s.get("telegraf"), udp_db))
        emit(not problems, "%s: Chronograf source file%s" % (rel, (": " + "; ".join(problems)) if problems else ""))
    return udp_db


def check_dashboards(root, dashboards, schema, udp_db):
    for path in dashboards:
        rel = os.path.relpath(path, root)
        try:
            d = json.load(open(path, encoding="utf-8"))
        except (OSError, ValueError) as e:
            emit(False, "%s is valid JSON: %s" % (rel, e)); continue
        problems = []
        if "{{" in open(path, encoding="utf-8").read():
            problems.append("contains '{{' (Chronograf runs resource files through Go templates)")
        if d.get("organization") != "default":
            problems.append('"organization" must be "default" or Chronograf hides it')
        if not d.get("name"):
            problems.append('"name" is empty')
        if not isinstance(d.get("id"), int) or isinstance(d.get("id"), bool):
            problems.append('"id" must be an integer (negative avoids clashes with UI-made dashboards)')
        cells = d.get("cells") or []
        if not cells:
            problems.append("no cells")
        ids = [c.get("i") for c in cells]
        if len(set(ids)) != len(ids) or not all(ids):
            problems.append('cell "i" ids missing or not unique')
        for c in cells:
            if c.get("x", 0) + c.get("w", 0) > 12:
                problems.append("cell %r exceeds the 12-column grid" % c.get("name"))
            if not c.get("queries"):
                problems.append("cell %r has no queries" % c.get("name"))
        emit(not problems, "%s: dashboard structure (%d cells)%s"
             % (rel, len(cells), (": " + "; ".join(problems)) if problems else ""))

        for c in cells:
            for qn, qd in enumerate(c.get("queries") or []):
                label = "%s / %s / query %d" % (rel, c.get("name"), qn + 1)
                text = qd.get("query", "")
                if qd.get("type", "influxql") != "influxql":
                    emit(False, "%s: only InfluxQL queries can be checked (type %r)" % (label, qd.get("type")))
                    continue
                try:
                    a = analyse(text)
                except ValueError as e:
                    emit(False, "%s: %s" % (label, e)); continue
                errs = list(a["errors"])
                if not a["measurements"]:
                    errs.append("no measurement found")
                if not a["fields"]:
                    errs.append("no field found")
                if udp_db and a["db"] and a["db"] != udp_db:
                    errs.append("database %r != INFLUXDB_UDP_DATABASE %r" % (a["db"], udp_db))
                refs = []
                for meas in a["measurements"]:
                    if meas not in schema:
                        errs.append("measurement %r is not emitted by procflux" % meas)
                        continue
                    s = schema[meas]
                    for f in sorted(a["fields"]):
                        refs.append("%s.%s" % (meas, f))
                        if f not in s["fields"]:
                            errs.append("field %s.%s is not emitted" % (meas, f))
                    for t in sorted(a["tagkeys"]):
                        refs.append("%s[%s]" % (meas, t))
                        if t not in s["tags"]:
                            errs.append("tag %s[%s] is not emitted" % (meas, t))
                    for t, op, v in a["tagvalues"]:
                        if t in s["tags"] and v not in s["tags"][t]:
                            errs.append("tag value %s[%s]%s'%s' never occurs" % (meas, t, op, v))
                # The stored queryConfig (Chronograf regenerates it, but keep it honest).
                qc = qd.get("queryConfig") or {}
                if qc.get("measurement") and qc["measurement"] not in a["measurements"]:
                    errs.append("queryConfig.measurement %r differs from the query's FROM" % qc["measurement"])
                if qc.get("database") and a["db"] and qc["database"] != a["db"]:
                    errs.append("queryConfig.database %r differs from the query's FROM" % qc["database"])
                qc_meas = schema.get(qc.get("measurement") or "", {"fields": set(), "tags": {}})
                for fld in qc.get("fields") or []:
                    if fld.get("type") == "field" and fld.get("value") not in qc_meas["fields"]:
                        errs.append("queryConfig field %r is not emitted" % fld.get("value"))
                for t in list((qc.get("tags") or {}).keys()) + list((qc.get("groupBy") or {}).get("tags") or []):
                    if t not in qc_meas["tags"]:
                        errs.append("queryConfig tag %r is not emitted" % t)
                if qc.get("rawText") not in (None, text):
                    errs.append("queryConfig.rawText differs from query")
                emit(not errs, "%s: %s%s" % (label, ", ".join(refs) or "(no references)",
                                             (" -- " + "; ".join(errs)) if errs else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root")
    ap.add_argument("n_lp", type=int, metavar="N")
    ap.add_argument("files", nargs="*", metavar="FILE", help="N line-protocol files, then the dashboards")
    a = ap.parse_args()
    lp_files, dashboards = a.files[:a.n_lp], a.files[a.n_lp:]
    schema = read_schema(lp_files)
    udp_db = check_sources(a.root)
    check_dashboards(a.root, dashboards, schema, udp_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
