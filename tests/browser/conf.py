#!/usr/bin/python3
"""conf.py SRC DST KEY=VALUE...: write DST, the district's configuration
SRC (conf/tramon.conf) with some settings of its top-level groups
replaced or added, and elements added at the end of its top-level
lists (LIST+=VALUE), nothing else: every target, name and comment stays.

    conf.py conf/tramon.conf t.conf daemon.web_dir=\"/tmp/www\" \
        defaults.interval=5 'targets+={ id = "x"; host = "127.0.0.1"; }'

Each VALUE is libconfig text, put in as it is (strings in quotes).  A
group named in a KEY that SRC lacks is added at the end.  The browser
test runs the real district with its own paths and a short round."""

import re
import sys

TOKEN = re.compile(r"""
    (?P<skip> \s+ | \#[^\n]* | //[^\n]* | /\*.*?\*/ )
  | (?P<str> "(?:[^"\\]|\\.)*" )
  | (?P<name> [A-Za-z*][-A-Za-z0-9_*]* )
  | (?P<punct> [{}()\[\]=:;,] )
  | (?P<other> @include | [^\s{}()\[\]=:;,"\#/]+ | / )
""", re.X | re.S)
OPEN, CLOSE = "{([", "})]"


def tokens(text, src):
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            sys.exit("conf.py: %s: cannot read near offset %d" % (src, pos))
        if m.lastgroup != "skip":
            out.append((m.lastgroup, m.group(), m.start(), m.end()))
        pos = m.end()
    return out


def value_end(toks, m):
    """Index past the value starting at toks[m] and its optional ; or ,"""
    if toks[m][1] in OPEN and toks[m][0] == "punct":
        depth = 0
        while m < len(toks):
            if toks[m][0] == "punct" and toks[m][1] in OPEN:
                depth += 1
            elif toks[m][0] == "punct" and toks[m][1] in CLOSE:
                depth -= 1
                if depth == 0:
                    break
            m += 1
        m += 1
    else:
        m += 1
        while m < len(toks) and toks[m][0] == "str" and toks[m - 1][0] == "str":
            m += 1
    if m < len(toks) and toks[m][1] in ";,":
        m += 1
    return m


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    want, append = {}, {}
    for arg in sys.argv[3:]:
        key, sep, val = arg.partition("=")
        if sep and key.endswith("+") and "." not in key:
            append.setdefault(key[:-1], []).append(val)
            continue
        group, dot, name = key.partition(".")
        if not sep or not dot or not group or not name:
            sys.exit("conf.py: want GROUP.KEY=VALUE, got %r" % arg)
        want.setdefault(group, {})[name] = val

    text = open(src, encoding="utf-8").read()
    toks = tokens(text, src)
    edits = []
    i = 0
    while i < len(toks):
        kind, val, start, _ = toks[i]
        if kind == "name" and i + 1 < len(toks) and toks[i + 1][1] in "=:":
            end = value_end(toks, i + 2)
            if val in append and toks[i + 2][1] == "(":
                c = end - 1 if toks[end - 1][1] == ")" else end - 2
                last = toks[c - 1]      # after it, the new elements
                comma = "" if last[1] in "(," else ","
                edits.append((last[3], last[3], comma + "\n  " + ",\n  "
                              .join(append.pop(val))))
            if val in want and toks[i + 2][1] == "{":
                keys = want.pop(val)
                j = i + 3
                while toks[j][1] != "}":
                    k, v, s, _ = toks[j]
                    if k != "name" or toks[j + 1][1] not in "=:":
                        sys.exit("conf.py: %s: unexpected %r in %s" %
                                 (src, v, val))
                    m = value_end(toks, j + 2)
                    if v in keys:
                        edits.append((s, toks[m - 1][3],
                                      "%s = %s;" % (v, keys.pop(v))))
                    j = m
                close = toks[j][2]
                add = "".join("  %s = %s;\n" % kv for kv in keys.items())
                if add:
                    edits.append((close, close, add))
            i = end
            continue
        i += 1
    if append:
        sys.exit("conf.py: %s has no list %s" % (src, ", ".join(append)))
    for start, end, rep in sorted(edits, reverse=True):
        text = text[:start] + rep + text[end:]
    for group, keys in want.items():
        text += "\n%s = {\n%s};\n" % (group, "".join(
            "  %s = %s;\n" % kv for kv in keys.items()))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("# Written by tests/browser/conf.py from %s\n\n" % src)
        f.write(text)


main()
