#!/usr/bin/env bash
# Checks that every InfluxQL query in the provisioned Chronograf dashboards
# (contrib/chronograf/**/*.dashboard) refers only to measurements, fields,
# tag keys and tag values that procflux really emits.
#
# Usage: tests/integration/test_dashboard.sh [path/to/procflux]   (default ./procflux)
#
# Nothing about procflux's schema is hard-coded here: it is read from the line
# protocol of two real runs,
#   1. `procflux --once --stdout --interval 200ms --cpu-time`, and
#   2. a few seconds of `procflux --stdout --interval 100ms --stats-every 500ms
#      --cpu-time` so that the self-telemetry measurement (emitted every
#      --stats-every) is present too,
# and the union of both is the schema the dashboards are checked against.
#
# For testing this checker itself: TEST_DASHBOARD_LP=file1[:file2...] replaces
# the two runs with the given line-protocol files.
#
# Prints one line per check and finally exactly "N passed, M failed";
# exits non-zero if anything failed.

set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-./procflux}
stats_run_secs=${STATS_RUN_SECS:-4}

pass=0
fail=0
ok()  { pass=$((pass + 1)); printf 'ok   - %s\n' "$*"; }
nok() { fail=$((fail + 1)); printf 'FAIL - %s\n' "$*"; }
finish() {
    printf '%d passed, %d failed\n' "$pass" "$fail"
    [ "$fail" -eq 0 ]
    exit
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v python3 >/dev/null 2>&1; then
    nok "python3 is required"
    finish
fi

lp_files=()
if [ -n "${TEST_DASHBOARD_LP:-}" ]; then
    IFS=: read -r -a lp_files <<<"$TEST_DASHBOARD_LP"
    echo "# using line protocol from TEST_DASHBOARD_LP instead of running procflux"
else
    if [ ! -x "$bin" ]; then
        nok "procflux binary '$bin' exists and is executable (build it with make)"
        finish
    fi

    # Run 1: one sample.
    "$bin" --once --stdout --interval 200ms --cpu-time >"$tmp/once.lp" 2>"$tmp/once.err"
    rc=$?
    if [ "$rc" -eq 0 ] && [ -s "$tmp/once.lp" ]; then
        ok "procflux --once --stdout --cpu-time exits 0 with output ($(wc -l <"$tmp/once.lp") lines)"
    else
        nok "procflux --once --stdout --cpu-time exited $rc with $(wc -c <"$tmp/once.lp") bytes of output: $(head -c 300 "$tmp/once.err")"
    fi

    # Run 2: long enough to include several --stats-every periods. SIGINT
    # first (graceful stop, final flush), SIGKILL 3s later if it hangs.
    timeout -s INT -k 3 "$stats_run_secs" \
        "$bin" --stdout --interval 100ms --stats-every 500ms --cpu-time \
        >"$tmp/run.lp" 2>"$tmp/run.err"
    rc=$?
    # 124: stopped by timeout's SIGINT (expected); 0: exited by itself on SIGINT
    if { [ "$rc" -eq 124 ] || [ "$rc" -eq 0 ]; } && [ -s "$tmp/run.lp" ]; then
        ok "procflux ran ${stats_run_secs}s with --stats-every 500ms and stopped on SIGINT ($(wc -l <"$tmp/run.lp") lines)"
    else
        nok "procflux ${stats_run_secs}s run (--stats-every 500ms) ended with status $rc, $(wc -c <"$tmp/run.lp") bytes of output: $(head -c 300 "$tmp/run.err")"
    fi
    lp_files=("$tmp/once.lp" "$tmp/run.lp")
fi

mapfile -t dashboards < <(find "$root/contrib/chronograf" -name '*.dashboard' -type f 2>/dev/null | sort)
if [ "${#dashboards[@]}" -eq 0 ]; then
    nok "found .dashboard files under contrib/chronograf"
    finish
fi

# The checker prints "ok<TAB>message" / "FAIL<TAB>message" lines.
python3 - "$root" "${#lp_files[@]}" "${lp_files[@]}" "${dashboards[@]}" >"$tmp/results" 2>"$tmp/py.err" <<'PY'
import json, os, re, sys

root = sys.argv[1]
n_lp = int(sys.argv[2])
lp_files = sys.argv[3:3 + n_lp]
dashboards = sys.argv[3 + n_lp:]

def emit(good, msg):
    print(("ok" if good else "FAIL") + "\t" + msg.replace("\n", " "))

# ---------------------------------------------------------------- line protocol
def split_unescaped(s, sep):
    """Split on sep where not backslash-escaped and not inside double quotes."""
    out, cur, i, inq = [], [], 0, False
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2]); i += 2; continue
        if c == '"':
            inq = not inq
        if c == sep and not inq:
            out.append("".join(cur)); cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out

def unescape(s):
    return re.sub(r"\\(.)", r"\1", s)

def parse_line(line):
    """-> (measurement, {tag: value}, {field: raw value}) or raise ValueError."""
    parts = split_unescaped(line, " ")
    parts = [p for p in parts if p != ""]
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
        if not (re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", v)
                or re.fullmatch(r"-?\d+[iu]", v)
                or re.fullmatch(r"(t|T|true|True|TRUE|f|F|false|False|FALSE)", v)
                or (len(v) >= 2 and v[0] == '"' and v[-1] == '"')):
            raise ValueError("bad field value %r" % kv)
        fields[unescape(kvs[0])] = v
    if not fields:
        raise ValueError("no fields")
    return meas, tags, fields

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
            meas, tags, fields = parse_line(line)
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

# ---------------------------------------------------------------- dashboards
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
PY
rc=$?
while IFS=$'\t' read -r status msg; do
    case $status in
        ok) ok "$msg" ;;
        FAIL) nok "$msg" ;;
        '#') echo "# $msg" ;;
        *) nok "unexpected checker output: $status $msg" ;;
    esac
done <"$tmp/results"
if [ "$rc" -ne 0 ]; then
    nok "dashboard checker crashed (exit $rc): $(tail -n 5 "$tmp/py.err")"
fi
finish
