#!/usr/bin/env python3
"""Docs that cannot drift: the long options of `procflux --help`, of the man
page procflux.1 (its OPTIONS section) and of README.md's options table must be
the same set, and every collector `--help` lists under --collect must be
documented in both (a bullet in README's "What it sends", a .SS subsection in
the man page's OUTPUT section).

    tests/integration/docs.py [./procflux]      (from any directory)

Parsing is deliberately loose so that rewording does not break it: in --help,
an option is a `--name` token at the start of a line (after indentation; a
line may hold several, as in "--verbose, --quiet"); in the man page, the
`--name` tokens of each .TP entry's tag line; in README, the `--name` tokens
in the first cell of the rows under "## Options". Prints one line per check,
the differences on failure, then "N passed, M failed"; exits 1 on failure.
"""
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
binary = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(root, "procflux")
OPT = re.compile(r"--[a-z0-9][a-z0-9-]*")

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("ok   " if ok else "FAIL ") + name)
    if not ok and detail:
        for line in str(detail).rstrip("\n").split("\n"):
            print("     " + line)


# ---- procflux --help ----------------------------------------------------------
def help_text():
    p = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=10)
    return p.returncode, p.stdout


def help_entries(text):
    """{option: description text (its line and the continuation lines)}."""
    entries, cur = {}, None
    for line in text.split("\n"):
        s = line.strip()
        m = re.match(r"(--[a-z0-9][a-z0-9-]*(?:\s*,\s*--[a-z0-9][a-z0-9-]*)*)(.*)", s)
        if m:
            names = OPT.findall(m.group(1))
            cur = m.group(2)
            for n in names:
                entries[n] = cur
            last = names
        elif s and cur is not None and line[:1].isspace():
            cur += " " + s
            for n in last:
                entries[n] = cur
        else:
            cur = None
    return entries


def collectors_from(desc):
    """The longest comma-separated run of names in the --collect entry,
    leaving out parenthesised asides such as the default."""
    desc = re.sub(r"\([^)]*\)", " ", desc)
    best = []
    for m in re.finditer(r"(?<![\w-])[a-z][a-z0-9_]*(?:\s*,\s*[a-z][a-z0-9_]*)+(?![\w-])", desc):
        names = [x.strip() for x in m.group(0).split(",")]
        if len(names) > len(best):
            best = names
    return best


# ---- procflux.1 -------------------------------------------------------------------
def man_sections(text):
    """{section title: [lines]} for .SH; .SS lines stay in their section."""
    secs, cur = {}, None
    for line in text.split("\n"):
        m = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            cur = m.group(1).strip()
            secs[cur] = []
        elif cur is not None:
            secs[cur].append(line)
    return secs


def man_options(lines):
    opts = set()
    for i, line in enumerate(lines):
        if line.startswith(".TP") and i + 1 < len(lines):
            opts.update(OPT.findall(lines[i + 1].replace("\\-", "-")))
    return opts


# ---- README.md --------------------------------------------------------------------
def md_section(text, title):
    out, on = [], False
    for line in text.split("\n"):
        if re.match(r"#{1,6}\s", line):
            on = line.lstrip("#").strip().lower() == title.lower()
            continue
        if on:
            out.append(line)
    return out


def readme_options(lines):
    opts = set()
    for line in lines:
        if not line.startswith("|"):
            continue
        cells = re.split(r"(?<!\\)\|", line)
        if len(cells) > 1:
            opts.update(OPT.findall(cells[1]))
    return opts


def diff(a_name, a, b_name, b):
    out = []
    if a - b:
        out.append("in %s, not in %s: %s" % (a_name, b_name, " ".join(sorted(a - b))))
    if b - a:
        out.append("in %s, not in %s: %s" % (b_name, a_name, " ".join(sorted(b - a))))
    return "\n".join(out)


rc, htext = help_text()
check("procflux --help exits 0", rc == 0, "exit %d\n%s" % (rc, htext[:500]))
entries = help_entries(htext)
hopts = set(entries)
check("--help lists options (%d found)" % len(hopts), len(hopts) >= 10, htext[:800])

man = open(os.path.join(root, "procflux.1"), encoding="utf-8").read()
secs = man_sections(man)
mopts = man_options(secs.get("OPTIONS", []))
check("procflux.1 has an OPTIONS section with options (%d found)" % len(mopts), len(mopts) >= 10,
      "sections: %s" % ", ".join(secs))

readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
ropts = readme_options(md_section(readme, "Options"))
check("README.md has an options table (%d found)" % len(ropts), len(ropts) >= 10)

check("the same options in --help and procflux.1", hopts == mopts,
      diff("--help", hopts, "procflux.1", mopts))
check("the same options in --help and README.md's table", hopts == ropts,
      diff("--help", hopts, "README.md", ropts))
check("the same options in procflux.1 and README.md's table", mopts == ropts,
      diff("procflux.1", mopts, "README.md", ropts))

# ---- collectors -------------------------------------------------------------------
colls = collectors_from(entries.get("--collect", ""))
check("--help lists the collectors under --collect (%s)" % ",".join(colls), len(colls) >= 3,
      "--collect: %r" % entries.get("--collect"))
# each is one procflux knows (a collector left out of this build is still a name it knows)
unknown = []
for c in colls:
    p = subprocess.run([binary, "--collect", c, "--once", "--stdout", "--interval", "1ms",
                        "--proc-root", "/nonexistent/procflux-docs"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True, timeout=10)
    if "is not a collector" in p.stderr:
        unknown.append(c)
check("every collector --help lists is one --collect accepts", not unknown, "refused: %s" % " ".join(unknown))

sends = md_section(readme, "What it sends")
readme_meas = {m.group(1) for m in (re.match(r"-\s+`([a-z0-9_]+)`", l) for l in sends) if m}
output = secs.get("OUTPUT", [])
man_meas = {m.group(1) for m in (re.match(r'\.SS\s+"?([a-z0-9_]+)"?\s*$', l) for l in output) if m}
for c in colls:
    check("collector %s: a bullet in README.md's 'What it sends'" % c, c in readme_meas,
          "README.md documents: %s" % " ".join(sorted(readme_meas)))
    check("collector %s: a .SS %s in procflux.1's OUTPUT" % (c, c), c in man_meas,
          "procflux.1 documents: %s" % " ".join(sorted(man_meas)))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
