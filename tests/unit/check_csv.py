#!/usr/bin/python3
"""Read a report CSV the way a spreadsheet would, with Python's csv module.

usage: check_csv.py FILE [EXPECT...]

The file must start with a UTF-8 byte order mark and hold three sections
separated by one empty row: targets, outages, groups, each a head and
rows as wide as it.  Each EXPECT is one of
    targets=N | outages=N | groups=N        rows in the section
    ID:COLUMN=VALUE                         a target's cell
    outage:ID:YYYY-MM-DD HH:MM:SS:COLUMN=VALUE  an outage's cell, by start
Exits 0 if everything holds, 1 with the reasons otherwise.
"""
import csv
import io
import sys


def main():
    raw = open(sys.argv[1], "rb").read()
    problems = []
    if not raw.startswith(b"\xef\xbb\xbf"):
        problems.append("no UTF-8 byte order mark")
    text = raw.decode("utf-8-sig")
    if "\n" in text.replace("\r\n", ""):
        problems.append("a line not ended by CRLF")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    sections, cur = [], []
    for row in rows:
        if row == []:
            sections.append(cur)
            cur = []
        else:
            cur.append(row)
    sections.append(cur)
    if len(sections) != 3:
        print("# %d sections, not 3" % len(sections))
        return 1
    names = ("targets", "outages", "groups")
    for name, sec in zip(names, sections):
        for row in sec[1:]:
            if len(row) != len(sec[0]):
                problems.append("%s: %d fields, head has %d: %r"
                                % (name, len(row), len(sec[0]), row))
    targets, outages, _ = [
        [dict(zip(sec[0], row)) for row in sec[1:]] for sec in sections]
    for exp in sys.argv[2:]:
        key, _, want = exp.rpartition("=")
        if key in names:
            got = str(len(sections[names.index(key)]) - 1)
        elif key.startswith("outage:"):
            ident, _, rest = key[len("outage:"):].partition(":")
            start, col = rest[:19], rest[20:]
            hit = [o for o in outages if o.get(sections[1][0][0]) == ident
                   and o.get(sections[1][0][2]) == start]
            got = hit[0].get(col) if hit else None
        else:
            ident, _, col = key.partition(":")
            hit = [t for t in targets if t.get(sections[0][0][1]) == ident]
            got = hit[0].get(col) if hit else None
        if got != want:
            problems.append("%s: got %r" % (exp, got))
    for p in problems:
        print("# check_csv: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
