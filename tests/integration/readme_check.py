#!/usr/bin/env python3
"""Runs every command the README shows that can run here; says why for the rest.

  readme_check.py BIN HTTP_PORT     (readme.sh starts the influxd and fills it first)

Commands are read from the README's code blocks (```sh, ```sql, ```ini and
indented blocks); each is matched by one rule below, and a command no rule
knows is a failure, so a new command in the README needs a rule here:
  - procflux command lines: run with BIN for 2 s (SIGINT then, exit 0 expected)
    or to their end (--once); an ```ini block is run as a --config file;
  - InfluxQL (```sql, and the statement inside `docker compose exec influxdb
    influx -execute '...'`): run against the throwaway influxd over HTTP;
  - curl against 127.0.0.1:8086: run, with the throwaway influxd's port;
  - make targets that are cheap: run in a copy of the tree (DESTDIR under the
    copy where the README gives none);
  - skipped, saying so: Docker (no engine in CI; docker-compose.yml is checked
    by test_compose.sh), sysctl (a host-wide setting), cross and static builds
    (.ci/cross.sh), make check (which runs this), scripts that install packages.
Prints "N passed, M failed, K skipped".
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfhelp  # noqa: E402
from pfhelp import check, skip  # noqa: E402

README = os.path.join(pfhelp.REPO, "README.md")


def readme_commands():
    """(kind, text) for every command of the README, in order: kind sh, sql or ini."""
    text = open(README).read()
    out = []
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S):
        kind, body = m.group(1), m.group(2)
        if kind == "ini":
            out.append(("ini", body))
        elif kind == "sql":
            for stmt in body.split(";"):
                stmt = re.sub(r"--.*", "", stmt).strip()
                if stmt:
                    out.append(("sql", stmt))
        elif kind == "sh":
            for line in re.sub(r"\\\n\s*", "", body).splitlines():
                if line.strip():
                    out.append(("sh", line.strip()))
    # indented blocks (a blank line, then lines indented by 4 outside fences)
    unfenced = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    for m in re.finditer(r"(?:^\n)((?:^    \S.*\n)+)", unfenced, re.M):
        for line in m.group(1).splitlines():
            out.append(("sh", line.strip()))
    return out


def strip_comment(cmd):
    """A shell line without its trailing # comment (shlex-aware)."""
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = "#"
    words = list(lex)
    return words


class Env:
    def __init__(self, binary, http):
        self.bin = binary
        self.http = http
        self.tmp = tempfile.mkdtemp(prefix="procflux-readme.")
        self.tree = None

    def influxql(self, stmt, db="procflux"):
        data = urllib.parse.urlencode({"db": db, "q": stmt}).encode()
        req = urllib.request.Request("http://127.0.0.1:%s/query" % self.http, data=data)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def copy_tree(self):
        if self.tree is None:
            self.tree = os.path.join(self.tmp, "tree")
            files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=pfhelp.REPO,
                                   check=True, capture_output=True).stdout.split(b"\0")
            os.makedirs(self.tree)
            for f in files:
                if f and os.path.isfile(os.path.join(pfhelp.REPO.encode(), f)):
                    dst = os.path.join(self.tree.encode(), f)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copy2(os.path.join(pfhelp.REPO.encode(), f), dst)
        return self.tree


def errors_of(answer):
    errs = [r["error"] for r in answer.get("results", []) if "error" in r]
    if "error" in answer:
        errs.append(answer["error"])
    return errs


def run_influxql(env, name, stmt, db="procflux"):
    ans = env.influxql(stmt, db)
    ok = check(name, not errors_of(ans), errors_of(ans))
    if ok and stmt.upper().startswith(("SELECT", "SHOW")):
        check(name + ": answers with data", any(r.get("series") for r in ans["results"]), ans)
    return ans


def run_procflux(env, name, words, config=None):
    argv = [env.bin] + words[1:]
    if config is not None:
        argv += ["--config", config]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = p.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=10)
    check(name + ": exit 0", p.returncode == 0, "exit %s: %s" % (p.returncode, err.strip()[:300]))


def run_make(env, name, words):
    tree = env.copy_tree()
    extra = {}
    note = ""
    if "install" in words and not any(w.startswith("DESTDIR=") for w in words):
        extra["DESTDIR"] = os.path.join(tree, "destdir")
        note = " (DESTDIR under a temp dir)"
    r = subprocess.run(words, cwd=tree, env=dict(os.environ, MAKEFLAGS="-j2", **extra), capture_output=True,
                       text=True, timeout=600)
    check(name + note + ": exit 0", r.returncode == 0, (r.stdout + r.stderr)[-600:])
    if r.returncode == 0 and words[1:2] == ["install"] and "PREFIX=/usr" in words:
        root = os.path.join(tree, extra.get("DESTDIR") or "pkg")
        check(name + ": installed usr/bin/procflux", os.access(os.path.join(root, "usr/bin/procflux"), os.X_OK))
    return r


def rule(env, kind, cmd):
    short = re.sub(r"\s+#\s.*$", "", cmd) if kind == "sh" else cmd
    name = "README: " + (short if len(short) < 110 else short[:107] + "...")
    if kind == "ini":
        path = os.path.join(env.tmp, "readme.conf")
        with open(path, "w") as f:
            f.write(cmd)
        name = "README: the config file example, as --config with --once --stdout"
        return run_procflux(env, name, ["procflux", "--once", "--stdout"], config=path)
    if kind == "sql":
        return run_influxql(env, name, cmd)
    words = strip_comment(cmd)
    if not words:
        return None
    # environment assignments before the command
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words = words[1:]
    w0 = words[0]
    if w0 == "contrib/try-local.sh" or (w0 == "contrib/deps.sh"):
        return skip(name, "installs packages with apt-get and runs make check or until Ctrl-C; not run by a test")
    if w0 in ("sysctl", "sudo") and "sysctl" in words:
        return skip(name, "changes a host-wide kernel setting (needs root); not run by a test")
    if w0 in ("vmagent", "victoria-metrics"):
        return skip(name, "a long-running service on named hosts; vmagent.sh runs the same setup on loopback")
    if w0 in ("docker", "docker-compose"):
        m = re.search(r"influx (?:-database (\S+) )?-execute '([^']*)'", cmd)
        if m:
            return run_influxql(env, name + " [the InfluxQL, against a test influxd; Docker skipped]", m.group(2),
                                m.group(1) or "procflux")
        return skip(name, "needs a Docker engine (docker-compose.yml is checked by test_compose.sh)")
    if w0 == "curl":
        argv = [w.replace("127.0.0.1:8086", "127.0.0.1:%s" % env.http) for w in words]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        ok = check(name + " [on the test influxd's port]: exit 0", r.returncode == 0, r.stderr)
        if ok:
            ans = json.loads(r.stdout)
            check(name + ": no error, data", not errors_of(ans) and any(x.get("series") for x in ans["results"]),
                  ans)
        return None
    if w0 == "procflux":
        return run_procflux(env, name, words)
    if w0 == "make":
        args = words[1:]
        if "check" in args:
            return skip(name, "make check is what runs this test")
        if any(a.startswith("CROSS_COMPILE=") for a in args):
            return skip(name, "needs a cross toolchain; .ci/cross.sh runs it")
        if "static" in args:
            return skip(name, "fetches libev's source with apt-get source (network, minutes); .ci/cross.sh runs it")
        if any(a.startswith("CC=") for a in args):
            cc = [a for a in args if a.startswith("CC=")][0][3:]
            if not shutil.which(cc):
                return skip(name, "%s is not installed" % cc)
        return run_make(env, name, words)
    return check(name + ": a rule in readme_check.py knows this command", False,
                 "add a rule (run it, or skip it saying why)")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    env = Env(os.path.abspath(sys.argv[1]), sys.argv[2])
    try:
        # The "Disk use" statement, before it was fixed, must still be refused (why it says SHARD DURATION).
        env.influxql("CREATE DATABASE rp_refusal")
        ans = env.influxql('ALTER RETENTION POLICY "autogen" ON "rp_refusal" DURATION 1d', "rp_refusal")
        check("influxd refuses DURATION 1d alone on autogen (the README's old Disk use command)",
              any("shard duration" in e for e in errors_of(ans)), ans)
        cmds = readme_commands()
        check("the README shows commands (%d found)" % len(cmds), len(cmds) > 20, cmds)
        for kind, cmd in cmds:
            rule(env, kind, cmd)
        # what the Disk use statement did
        rps = pfhelp.rows(env.influxql('SHOW RETENTION POLICIES ON "procflux"'))
        auto = [r for r in rps if r.get("name") == "autogen"]
        check("after the README's Disk use command: autogen keeps 24h in 1h shards",
              auto and auto[0]["duration"] == "24h0m0s" and auto[0]["shardGroupDuration"] == "1h0m0s", rps)
    finally:
        shutil.rmtree(env.tmp, ignore_errors=True)
    return pfhelp.finish(with_skipped=True)


if __name__ == "__main__":
    sys.exit(main())
