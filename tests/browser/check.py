#!/usr/bin/python3
"""check.py COMMAND ARGS: the assertions of tests/integration/browser.sh
on what chromium showed and what the built-in server served.

Prints one line per assertion, "PASS what" or "FAIL what: detail", for
the shell to count; anything else is commentary.  Exit 0 if all passed,
1 if any failed, 2 on a usage error, 3 if it crashed (which counts as
a failure too).  Standard library only (no pip on the test machines).

    gen DOM                       the page's "updated at" (ISO 8601)
    overview DOM STATUS LANG DOWN [REFRESH]
    target DOM STATUS LANG ID PARENT [CHANGE]
    events DOM STATUS LANG ID CHANGE
    layout DOM W H DOWN [page]
    png FILE W H
    crawl BASE STATUS [SAVE_DIR]
    tidy SAVE_DIR
    reports DOM STATUS LANG [MONTH]
    http BASE WEB_DIR STATE_DIR DOWN

DOM is chromium's --dump-dom of a page, STATUS the status.json that was
served with it (same "generated"), LANG vi or en, DOWN a comma-separated
list of the target ids that must be down (may be empty), CHANGE the
state changes of ID newest first, "FROM>TO;FROM>TO..." (state names, *
for any): the first is the newest, the others follow in that order,
not necessarily next to each other.
"""

import html
import html.parser
import http.client
import json
import os
import re
import struct
import subprocess
import sys
import unicodedata
import urllib.parse
import zlib

# What a person reads: daemon/i18n.c's catalog, written out again here
# on purpose (a test that read the catalog could not catch a wrong word).
WORDS = {
    "vi": {
        "up": "Hoạt động", "degraded": "Suy giảm", "down": "Mất kết nối",
        "unreachable": "Không truy cập được", "maintenance": "Bảo trì",
        "unknown": "Chưa rõ", "overview": "Tổng quan", "events": "Sự kiện",
        "meetings": "Họp trực tuyến", "reports": "Báo cáo",
        "month": "Tháng", "files": "Tệp",
        "attention": "Cần chú ý", "total": "Tổng số", "since": "Từ lúc",
        "updated": "Cập nhật lúc", "all_up":
        "Tất cả điểm giám sát đều hoạt động bình thường", "json": "Dữ liệu JSON",
        "parent": "Kết nối qua", "loss": "Mất gói", "latency": "Độ trễ",
    },
    "en": {
        "up": "Up", "degraded": "Degraded", "down": "Down",
        "unreachable": "Unreachable", "maintenance": "Maintenance",
        "unknown": "Unknown", "overview": "Overview", "events": "Events",
        "meetings": "Meetings", "reports": "Reports",
        "month": "Month", "files": "Files",
        "attention": "Needs attention", "total": "Total", "since": "Since",
        "updated": "Updated at", "all_up": "All targets are up",
        "json": "JSON data", "parent": "Reached through",
        "loss": "Packet loss", "latency": "Latency",
    },
}
SYMBOLS = {"up": "✓", "degraded": "▲", "down": "✕", "unreachable": "⊘",
           "maintenance": "⚒", "unknown": "?"}
PROBLEM = ("down", "unreachable", "degraded")
SEVERITY = {"down": 0, "unreachable": 1, "degraded": 2, "unknown": 3,
            "maintenance": 4, "up": 5}
# names as the district writes them (NFC), not read from any file
DISTRICT = "Huyện Nam Trà My"
NAMES = {"tra-linh": "Xã Trà Linh", "tra-don2": "Xã Trà Dơn",
         "huyen-uy": "Huyện ủy – Hội nghị truyền hình",
         "wan": "Bộ định tuyến WAN", "tra-nam": "Xã Trà Nam",
         "uplink-viettel": "Đường truyền Viettel"}
TYPES = {".html": "text/html; charset=utf-8", ".png": "image/png",
         ".css": "text/css; charset=utf-8",
         ".json": "application/json; charset=utf-8",
         ".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8",
         ".txt": "text/plain; charset=utf-8"}
NBSP = "\u00a0"
# words only the Vietnamese pages have: none of them on an English page
# (the district's own names are Vietnamese, these words are not in them)
VI_ONLY = [w for k, w in WORDS["vi"].items() if k not in ("json",)]

failed = 0


def ok(cond, what, detail=""):
    global failed
    if cond:
        print("PASS %s" % what)
    else:
        failed += 1
        print("FAIL %s%s" % (what, ": " + str(detail) if detail else ""))
    return cond


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


# --- a small DOM ----------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text()
                       for c in self.children)

    def cls(self):
        return (self.attrs.get("class") or "").split()

    def walk(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.walk()

    def all(self, tag=None, cls=None, **attrs):
        out = []
        for n in self.walk():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.cls():
                continue
            if any(n.attrs.get(k) != v for k, v in attrs.items()):
                continue
            out.append(n)
        return out

    def first(self, tag=None, cls=None, **attrs):
        found = self.all(tag, cls, **attrs)
        return found[0] if found else None

    def ancestor(self, tag):
        n = self.parent
        while n is not None and n.tag != tag:
            n = n.parent
        return n


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(text):
    b = TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def load_dom(path):
    with open(path, encoding="utf-8") as f:
        return parse(f.read())


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def squash(s):
    return " ".join(s.replace(NBSP, " ").split())


def badge_word(node):
    """The word of a badge: its text without the symbol."""
    sym = node.first("span", "sym")
    t = node.text()
    if sym is not None:
        t = t.replace(sym.text(), "", 1)
    return squash(t)


def badge_state(node):
    for c in node.cls():
        if c.startswith("st-"):
            return c[3:]
    return None


def header_time(doc):
    hd = doc.first("header")
    t = hd.first("time") if hd else None
    return t.attrs.get("datetime") if t else None


def parse_number(text, lang):
    """'12,3 ms' -> 12.3 (vi), '12.3 ms' -> 12.3 (en); None for '–'."""
    t = text.replace(NBSP, " ").strip()
    if t == "–":
        return None, 0
    m = re.fullmatch(r"(\d+)(?:([.,])(\d+))?\s*(?:ms|%)", t)
    if not m:
        raise ValueError("not a number: %r" % text)
    if m.group(2) and m.group(2) != ("," if lang == "vi" else "."):
        raise ValueError("decimal mark %r in %s: %r" % (m.group(2), lang,
                                                        text))
    dec = len(m.group(3) or "")
    return float(m.group(1) + ("." + m.group(3) if m.group(3) else "")), dec


def close_to(shown, dec, value):
    return abs(shown - value) <= 0.5 * 10 ** -dec + 1e-9


def split_ids(arg):
    return [x for x in arg.split(",") if x]


# --- gen ------------------------------------------------------------------

def cmd_gen(dom):
    t = header_time(load_dom(dom))
    if t is None:
        sys.exit(1)
    print(t)


# --- the overview -----------------------------------------------------------

def common_page(doc, st, lang, what):
    """Checks every page shares: language, district, time, charset."""
    w = WORDS[lang]
    htm = doc.first("html")
    ok(htm is not None and htm.attrs.get("lang") == lang,
       "%s: <html lang=\"%s\">" % (what, lang),
       htm.attrs.get("lang") if htm else "no <html>")
    brand = doc.first("p", "brand")
    name = squash(brand.first("a").text()) if brand and brand.first("a") \
        else None
    ok(name == st["district"] and DISTRICT in (name or ""),
       "%s: shows the district \"%s\"" % (what, DISTRICT), name)
    ok(header_time(doc) == st["generated"],
       "%s: 'updated at' is status.json's generated time" % what,
       "%s != %s" % (header_time(doc), st["generated"]))
    upd = doc.first("p", "updated")
    # the time as people there write it, in the district's time zone
    # (status.json's offset): 26/11/2026 22:39, or 2026-11-26 22:39
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)", st["generated"] or
                 "")
    when = ("%s/%s/%s %s:%s" % (m[3], m[2], m[1], m[4], m[5]) if lang == "vi"
            else "%s-%s-%s %s:%s" % m.groups()) if m else "?"
    ok(upd is not None and squash(upd.text()) == "%s %s" % (w["updated"],
                                                             when),
       "%s: says \"%s %s\"" % (what, w["updated"], when),
       squash(upd.text()) if upd else "no p.updated")
    body = doc.first("body")
    text = body.text() if body else ""
    ok("\ufffd" not in text and unicodedata.is_normalized("NFC", text),
       "%s: text is clean NFC (no U+FFFD)" % what)
    nav = doc.first("nav", "nav")
    navt = [squash(a.text()) for a in nav.all("a")] if nav else []
    want = [w["overview"], w["events"], w["meetings"], w["reports"]]
    ok(navt == want, "%s: navigation reads %s" % (what, " / ".join(want)),
       navt)
    if lang == "en":
        vi = [x for x in VI_ONLY if x in text]
        ok(not vi, "%s: no Vietnamese words on the English page" % what, vi)
    foot = doc.first("footer")
    fl = [a for a in foot.all("a") if a.attrs.get("href", "").endswith(
        "status.json")] if foot else []
    ok(len(fl) == 1 and squash(fl[0].text()) == w["json"],
       "%s: footer links status.json as \"%s\"" % (what, w["json"]))


def cmd_overview(dom, status, lang, down, refresh=None):
    doc, st = load_dom(dom), load_json(status)
    w = WORDS[lang]
    down = split_ids(down)
    targets = st["targets"]
    by_id = {t["id"]: t for t in targets}
    n = len(targets)
    common_page(doc, st, lang, "overview")

    # what the test arranged, as status.json tells it
    for i in down:
        ok(by_id.get(i, {}).get("state") == "down",
           "status.json: %s is down" % i, by_id.get(i, {}).get("state"))
    others = [t for t in targets if t["id"] not in down]
    bad = ["%s=%s" % (t["id"], t["state"]) for t in others
           if t["state"] not in ("up", "degraded")]
    ok(not bad, "status.json: the %d others are up (or degraded)" %
       len(others), bad)
    ok(all(t["last_round"] for t in targets),
       "status.json: every target has been measured")

    nbad = sum(t["state"] in ("down", "unreachable") for t in targets)
    title = doc.first("title")
    want = ("✕ %d · %s — %s" % (nbad, w["overview"], st["district"]) if nbad
            else "%s — %s" % (w["overview"], st["district"]))
    ok(title is not None and title.text() == want,
       "overview: the tab title is \"%s\"" % want,
       title.text() if title else "no <title>")
    meta = [m for m in doc.all("meta") if
            m.attrs.get("http-equiv", "").lower() == "refresh"]
    if refresh is not None:
        ok(len(meta) == 1 and meta[0].attrs.get("content") == refresh,
           "overview: reloads itself every %s s" % refresh,
           [m.attrs for m in meta])

    # one row per target: name, link, state word and colour class
    rows = {}
    for tr in doc.all("tr"):
        a = tr.first("td", "name")
        a = a.first("a") if a else None
        if a is None:
            continue
        href = a.attrs.get("href", "")
        rows.setdefault(href, []).append((tr, a))
    ok(sum(len(v) for v in rows.values()) == n,
       "overview: one table row per target (%d)" % n,
       sum(len(v) for v in rows.values()))
    for t in targets:
        href = "t/%s.html" % t["id"]
        r = rows.get(href, [])
        if not ok(len(r) == 1, "overview: %s has one row linking %s" %
                  (t["id"], href), len(r)):
            continue
        tr, a = r[0]
        b = tr.first("span", "badge")
        word = badge_word(b) if b else None
        sym = b.first("span", "sym").text() if b and b.first("span", "sym") \
            else None
        ok(squash(a.text()) == t["name"] and word == w[t["state"]] and
           sym == SYMBOLS[t["state"]] and "st-" + t["state"] in tr.cls() and
           badge_state(b) == t["state"],
           "overview: %s row reads \"%s\" %s %s" % (t["id"], t["name"],
                                                  SYMBOLS[t["state"]],
                                                  w[t["state"]]),
           "name %r, word %r, symbol %r, classes %r/%r" % (
               a.text(), word, sym, tr.cls(), b.cls() if b else None))
        # the figures, in the language's number format
        cells = {c.attrs.get("data-label"): c for c in tr.all("td")}
        try:
            lat, dec = parse_number(cells[w["latency"]].text(), lang)
            ok((lat is None and t["rtt_ms"] is None) or
               (lat is not None and t["rtt_ms"] is not None and
                close_to(lat, dec, t["rtt_ms"])),
               "overview: %s latency matches status.json" % t["id"],
               "%r vs %r" % (lat, t["rtt_ms"]))
            loss, dec = parse_number(cells[w["loss"]].text(), lang)
            ok(loss is not None and t["loss_pct"] is not None and
               close_to(loss, dec, t["loss_pct"]),
               "overview: %s loss matches status.json" % t["id"],
               "%r vs %r" % (loss, t["loss_pct"]))
        except (KeyError, ValueError) as e:
            ok(False, "overview: %s figures readable" % t["id"], repr(e))
    for tid, name in NAMES.items():
        ok(any(squash(a.text()) == name for v in rows.values()
               for _, a in v),
           "overview: shows \"%s\"" % name)
    decimals = [c.text() for c in doc.all("td", "num")
                if re.search(r"\d[.,]\d", c.text())]
    mark = "," if lang == "vi" else "."
    ok(decimals and all(mark in d for d in decimals),
       "overview: decimals are written with '%s'" % mark, decimals[:5])

    # the summary tiles
    counts = {}
    for t in targets:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    tiles = doc.all("li", "tile")
    seen = set()
    for li in tiles:
        num = li.first("span", "n")
        num = int(num.text()) if num else -1
        if "total" in li.cls():
            ok(num == n and squash(li.first("span", "lbl").text()) ==
               w["total"], "overview: tile %s = %d" % (w["total"], n), num)
            seen.add("total")
            continue
        s = badge_state(li)
        seen.add(s)
        lbl = li.first("span", "lbl")
        ok(num == counts.get(s, 0) and lbl is not None and
           badge_word(lbl) == w.get(s),
           "overview: tile %s = %d" % (w.get(s, s), counts.get(s, 0)),
           "%d, %r" % (num, badge_word(lbl) if lbl else None))
    ok(seen == set(SEVERITY) | {"total"}, "overview: seven summary tiles",
       sorted(x or "?" for x in seen))

    # the attention panel: every problem, worst first, nothing else
    probs = [t for t in targets if t["state"] in PROBLEM]
    sec = doc.first("section", "problems")
    head = doc.first("p", "headline")
    if not probs:
        ok(sec is None, "overview: no attention panel when all is well")
        ok(head is not None and w["all_up"] in head.text(),
           "overview: says \"%s\"" % w["all_up"])
        return
    ok(head is None or w["all_up"] not in head.text(),
       "overview: does not claim all is well")
    if not ok(sec is not None, "overview: has the attention panel"):
        return
    h2 = sec.first("h2")
    want = "%s: %d / %d" % (w["attention"], len(probs), n)
    ok(h2 is not None and want in squash(h2.text()),
       "overview: panel heading \"%s\"" % want,
       squash(h2.text()) if h2 else None)
    items = sec.all("li")
    got = [li.first("a").attrs.get("href") if li.first("a") else None
           for li in items]
    ok(sorted(got) == sorted("t/%s.html" % t["id"] for t in probs),
       "overview: the panel lists exactly the %d problem targets" %
       len(probs), got)
    sev = []
    for li in items:
        a = li.first("a")
        tid = a.attrs.get("href", "")[2:-5] if a else None
        t = by_id.get(tid)
        if t is None:
            continue
        b = li.first("span", "badge")
        when = li.first("span", "when")
        ok(b is not None and badge_word(b) == w[t["state"]] and
           squash(a.text()) == t["name"] and when is not None and
           squash(when.text()).startswith(w["since"]),
           "overview: panel shows %s as %s, since when" % (tid,
                                                          w[t["state"]]),
           squash(li.text()))
        sev.append(SEVERITY[t["state"]])
    ok(sev == sorted(sev), "overview: the panel puts the worst first", sev)
    for i in down:
        ok("t/%s.html" % i in got, "overview: panel lists %s (%s)" %
           (i, NAMES.get(i, i)))


# --- a target page -----------------------------------------------------------

def event_changes(doc, only_href=None):
    """[(href or None, from, to)] of the events table, newest first."""
    out = []
    for tr in doc.all("tr"):
        ch = tr.first("td", "change")
        if ch is None:
            continue
        bs = ch.all("span", "badge")
        if len(bs) != 2:
            continue
        a = tr.first("td", "name")
        a = a.first("a") if a else None
        href = a.attrs.get("href") if a else None
        if only_href and href != only_href:
            continue
        out.append((href, badge_state(bs[0]), badge_state(bs[1]),
                    badge_word(bs[0]), badge_word(bs[1])))
    return out


def changes_match(ev, spec, lang, what):
    """The events `ev` (newest first) against "FROM>TO;..." (see above):
    states, and the words shown for them."""
    w = WORDS[lang]
    want = [tuple(p.split(">")) for p in spec.split(";")]
    shown = ["%s → %s" % (e[3], e[4]) for e in ev]
    desc = "; ".join("%s → %s" % (w.get(a, "…"), w.get(b, "…"))
                     for a, b in want)

    def fits(e, pat):
        return all(p in ("*", s) and (p == "*" or word == w[p])
                   for p, s, word in ((pat[0], e[1], e[3]),
                                      (pat[1], e[2], e[4])))
    k = 0
    for n, e in enumerate(ev):
        if k < len(want) and fits(e, want[k]):
            k += 1
        elif n == 0:
            break           # the first pattern is the newest event
    ok(k == len(want), "%s: state changes, newest first: %s" % (what, desc),
       shown[:6])


def cmd_target(dom, status, lang, tid, parent, change=None):
    doc, st = load_dom(dom), load_json(status)
    w = WORDS[lang]
    t = next((x for x in st["targets"] if x["id"] == tid), None)
    if not ok(t is not None, "status.json lists %s" % tid):
        return
    what = "t/%s.html" % tid
    common_page(doc, st, lang, what)
    h1 = doc.first("h1")
    ok(h1 is not None and squash(h1.text()) == t["name"] and
       "st-" + t["state"] in h1.cls(),
       "%s: heading \"%s\" in %s colour" % (what, t["name"], t["state"]),
       (h1.text(), h1.cls()) if h1 else None)
    ok(tid not in NAMES or t["name"] == NAMES[tid],
       "%s: named \"%s\"" % (what, NAMES.get(tid)))
    code = doc.first("code")
    ok(code is not None and code.text() == tid, "%s: shows its id" % what)
    facts = doc.first("dl", "facts")
    b = facts.first("span", "badge") if facts else None
    ok(b is not None and badge_word(b) == w[t["state"]],
       "%s: state \"%s\"" % (what, w[t["state"]]),
       badge_word(b) if b else None)
    crumbs = doc.first("p", "crumbs")
    ok(crumbs is not None and crumbs.first("a") is not None and
       crumbs.first("a").attrs.get("href") == "../index.html",
       "%s: links back to the overview" % what)
    loss = [d for d in facts.all("div") if d.first("dt") is not None and
            d.first("dt").text() == w["loss"]] if facts else []
    try:
        shown, dec = parse_number(loss[0].first("strong").text(), lang)
        ok(close_to(shown, dec, t["loss_pct"]),
           "%s: loss %s%% as in status.json" % (what, t["loss_pct"]), shown)
    except (IndexError, AttributeError, ValueError, TypeError) as e:
        ok(False, "%s: loss readable" % what, repr(e))
    if parent:
        p = next(x for x in st["targets"] if x["id"] == parent)
        links = [a for a in facts.all("a")
                 if a.attrs.get("href") == parent + ".html"] if facts else []
        pb = links[0].parent.first("span", "badge") if links else None
        ok(len(links) == 1 and squash(links[0].text()) == p["name"] and
           pb is not None and badge_word(pb) == w[p["state"]],
           "%s: reached through \"%s\" (%s)" % (what, p["name"],
                                                w[p["state"]]))
    imgs = [i.attrs.get("src", "") for i in doc.all("img")]
    ok(any(s.startswith("../g/%s-lat-3h.png" % tid) for s in imgs) and
       any(s.startswith("../g/%s-loss-3h.png" % tid) for s in imgs),
       "%s: shows its 3-hour latency and loss graphs" % what, imgs[:4])
    if change:
        changes_match(event_changes(doc), change, lang, what)


def cmd_events(dom, status, lang, tid, change):
    doc, st = load_dom(dom), load_json(status)
    common_page(doc, st, lang, "events")
    changes_match(event_changes(doc, "t/%s.html" % tid), change, lang,
                  "events: %s" % tid)
    names = [squash(a.text()) for tr in doc.all("tr")
             for a in tr.all("a") if a.attrs.get("href") ==
             "t/%s.html" % tid]
    ok(names and all(n == NAMES.get(tid, n) for n in names),
       "events: names %s \"%s\"" % (tid, NAMES.get(tid)), names[:2])


# --- layout, measured by layout.html inside chromium -----------------------

def cmd_layout(dom, width, height, down, page="index"):
    width, height = int(width), int(height)
    down = split_ids(down)
    with open(dom, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'<pre id="result">(.*?)</pre>', text, re.S)
    raw = html.unescape(m.group(1)) if m else ""
    try:
        r = json.loads(raw)
    except ValueError:
        ok(False, "layout %s %dx%d: measured" % (page, width, height),
           raw[:200])
        return
    what = "%s at %dx%d" % (page, width, height)
    ok(r["frame"] == [width, height], "%s: frame size" % what, r["frame"])
    ok(r["scroll_width"] <= width,
       "%s: no sideways scrolling (content %d px wide)" %
       (what, r["scroll_width"]), r["overflow"])
    ok(r["stylesheets"] >= 1 and r["css_rules"] >= 20 and
       r["header_bg"] not in ("", "rgba(0, 0, 0, 0)", "transparent"),
       "%s: the stylesheet is applied" % what,
       "%s sheets, %s rules, header %s" % (r["stylesheets"], r["css_rules"],
                                           r["header_bg"]))
    ok(r["body_font_px"] >= 14, "%s: text at least 14 px" % what,
       r["body_font_px"])
    colours = {}
    for b in r["badges"]:
        s = next((c[3:] for c in b["cls"].split() if c.startswith("st-")),
                 None)
        colours.setdefault(s, set()).add((b["color"], b["bg"]))
    if "down" in colours and "up" in colours:
        dn, up = colours["down"], colours["up"]
        ok(len(dn) == 1 and len(up) == 1 and
           next(iter(dn))[0] != next(iter(up))[0] and
           next(iter(dn))[1] != next(iter(up))[1],
           "%s: down and up badges differ in colour" % what,
           "down %s, up %s" % (dn, up))
    if page == "index":
        for i in down:
            p = [x for x in r["problems"] if x["href"] == "t/%s.html" % i]
            ok(p and p[0]["shown"] and p[0]["rect"]["bottom"] <= height and
               p[0]["rect"]["right"] <= width,
               "%s: %s in the attention panel on the first screen" %
               (what, i), p[0]["rect"] if p else "not in the panel")
        hidden = [x["href"] for x in r["rows"] if not x["shown"] or
                  not x["name_rect"] or x["name_rect"]["width"] == 0 or
                  x["name_rect"]["right"] > width]
        ok(r["rows"] and not hidden,
           "%s: all %d target rows visible with their names" %
           (what, len(r["rows"])), hidden)
    else:
        dn = [b for b in r["badges"] if "st-down" in b["cls"]]
        ok(dn and dn[0]["shown"] and dn[0]["rect"]["bottom"] <= height,
           "%s: the down badge is on the first screen" % what,
           dn[0]["rect"] if dn else "no down badge")
    broken = [i["src"] for i in r["images"]
              if (i["loading"] != "lazy" or i["rect"]["top"] < height)
              and not (i["complete"] and i["natural"][0] > 0)]
    ok(not broken, "%s: every image that loads is shown (%d images)" %
       (what, len(r["images"])), broken)


# --- PNG -------------------------------------------------------------------

def png_info(data):
    """(width, height, problem or None) of a PNG: signature, chunk CRCs,
    IHDR, IEND, the pixels inflate to the size IHDR says."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0, "no PNG signature", b""
    pos, idat, ihdr, end = 8, [], None, False
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = data[pos + 8 + n:pos + 12 + n]
        if len(body) != n or len(crc) != 4:
            return 0, 0, "truncated %s chunk" % kind, b""
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            return 0, 0, "bad CRC in %s" % kind, b""
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            end = True
            break
        pos += 12 + n
    if ihdr is None or not end:
        return 0, 0, "no IHDR or IEND", b""
    w, h, depth, ctype, _, _, interlace = ihdr
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        return w, h, "IDAT: %s" % e, b""
    chans = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if chans and not interlace:
        row = (w * chans * depth + 7) // 8
        if len(raw) != h * (row + 1):
            return w, h, "pixel data %d bytes, want %d" % (
                len(raw), h * (row + 1)), raw
    return w, h, None, raw


def cmd_png(path, width, height):
    width, height = int(width), int(height)
    with open(path, "rb") as f:
        data = f.read()
    w, h, err, raw = png_info(data)
    name = os.path.basename(path)
    ok(err is None, "%s: a whole, valid PNG" % name, err)
    ok((w, h) == (width, height), "%s: %dx%d" % (name, width, height),
       "%dx%d" % (w, h))
    # a blank page inflates to a few byte values and compresses to nothing
    ok(len(data) > 10000 and len(set(raw)) > 64,
       "%s: not blank" % name, "%d bytes, %d byte values" % (
           len(data), len(set(raw))))


# --- the crawl --------------------------------------------------------------

class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.refs.append(("a", a["href"]))
        elif tag == "img":
            self.refs.append(("img", a.get("src", "")))
        elif tag == "link" and "href" in a:
            self.refs.append(("link", a["href"]))
        elif tag in ("iframe", "object", "embed") or (tag == "script" and
                                                       "src" in a):
            # (the inline script of the stale-page warning loads nothing)
            self.refs.append((tag, a.get("src", a.get("data", ""))))


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port

    def request(self, method, path, headers=None, body=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            c.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            if body is not None:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()     # nothing after HEAD: http.client knows
            return r.status, dict((k.lower(), v) for k, v in
                                  r.getheaders()), data
        finally:
            c.close()


def cmd_crawl(base, status, save=None):
    st = load_json(status)
    cl = Client(base)
    origin = urllib.parse.urlsplit(base)
    pages = ["/", "/index.html", "/events.html", "/meetings.html",
             "/reports/index.html"] + [
        "/t/%s.html" % t["id"] for t in st["targets"]]
    queue, seen_pages, fetched, want = list(pages), set(), {}, set()
    linked_from_index, bad, ext, anchors = set(), [], [], []
    ids_of = {}

    def get(path):
        if path not in fetched:
            fetched[path] = cl.request("GET", path)
        return fetched[path]

    while queue and len(seen_pages) < 200:
        page = queue.pop(0)
        if page in seen_pages:
            continue
        seen_pages.add(page)
        code, hdr, body = get(page)
        if code != 200:
            bad.append("%s: %s" % (page, code))
            continue
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            bad.append("%s: not UTF-8 (%s)" % (page, e))
            continue
        p = Refs()
        p.feed(text)
        ids_of[page] = p.ids
        if save and page != "/":
            name = page.strip("/").replace("/", "__")
            with open(os.path.join(save, name), "w", encoding="utf-8") as f:
                f.write(text)
            with open(os.path.join(save, "pages.txt"), "a") as f:
                f.write(page + "\n")
        if '<meta charset="utf-8">' not in text:
            bad.append("%s: no <meta charset=\"utf-8\">" % page)
        for kind, ref in p.refs:
            if kind == "link" and ref.startswith("data:"):
                continue            # the empty favicon
            if kind == "img" and ref.startswith("data:image/png;base64,"):
                continue            # the report's graphs: one file to mail
            u = urllib.parse.urlsplit(urllib.parse.urljoin(
                base + page.lstrip("/"), ref))
            if (u.scheme, u.netloc) != (origin.scheme, origin.netloc):
                ext.append("%s: %s %s" % (page, kind, ref[:80]))
                continue
            path = u.path + ("?" + u.query if u.query else "")
            if u.fragment:
                anchors.append((page, u.path, u.fragment, ref))
            if page in ("/", "/index.html"):
                linked_from_index.add(u.path)
            if kind == "a" and u.path.endswith(".html"):
                queue.append(u.path)
            elif kind in ("script", "iframe", "object", "embed"):
                ext.append("%s: %s %s" % (page, kind, ref))
            elif not u.path.endswith(".html"):
                want.add(path)
    ok(not ext, "crawl: no external or scripted resources", ext[:5])
    ok(get("/")[2] == get("/index.html")[2] or
       get("/")[2][:200] == get("/index.html")[2][:200],
       "crawl: / serves index.html")
    missing = [t["id"] for t in st["targets"]
               if "/t/%s.html" % t["id"] not in linked_from_index]
    ok(not missing, "crawl: the overview links every target's page",
       missing)
    ok("/events.html" in linked_from_index and
       "/meetings.html" in linked_from_index and
       "/status.json" in linked_from_index,
       "crawl: the overview links events.html, meetings.html and "
       "status.json")

    counts, tiny = {}, []
    for path in sorted(want):
        code, hdr, body = get(path)
        ext_ = os.path.splitext(urllib.parse.urlsplit(path).path)[1]
        wtype = TYPES.get(ext_)
        ctype = hdr.get("content-type")
        if code != 200:
            bad.append("%s: HTTP %d" % (path, code))
            continue
        if wtype is None or ctype != wtype:
            bad.append("%s: Content-Type %r, want %r" % (path, ctype, wtype))
            continue
        counts[ext_] = counts.get(ext_, 0) + 1
        if ext_ == ".png":
            w, h, err, raw = png_info(body)
            if err:
                bad.append("%s: %s" % (path, err))
            elif w < 100 or h < 20:
                bad.append("%s: only %dx%d" % (path, w, h))
            elif "spark" not in path and len(set(raw)) < 8:
                tiny.append("%s: blank (%d byte values)" % (path,
                                                            len(set(raw))))
        elif ext_ == ".json":
            try:
                json.loads(body.decode("utf-8"))
            except ValueError as e:
                bad.append("%s: %s" % (path, e))
        elif ext_ == ".css" and b"st-down" not in body:
            bad.append("%s: not tramon's stylesheet" % path)
    ok(not bad, "crawl: %d pages and %d links resolve with 200 and the "
       "right Content-Type (%s)" % (len(seen_pages), len(want),
                                   ", ".join("%d %s" % (v, k) for k, v in
                                             sorted(counts.items()))),
       bad[:8])
    print("crawl: pages %s" % " ".join(sorted(seen_pages)))
    ok(counts.get(".png", 0) >= 2 * len(st["targets"]) and
       counts.get(".css") == 1 and counts.get(".json") == 1,
       "crawl: graphs of every target, the stylesheet and status.json",
       counts)
    ok(not tiny, "crawl: no blank graph", tiny[:5])
    lost = ["%s -> %s" % (page, ref) for page, path, frag, ref in anchors
            if frag not in ids_of.get(path, set())]
    ok(not lost, "crawl: %d in-page anchors all have a target" %
       len(anchors), lost[:5])


# --- HTML validity: tidy ------------------------------------------------------

# What tidy 5.6 (Debian 12) does not know of HTML5 yet: valid markup it
# warns about.  Listed once, in a summary; any other warning per page.
TIDY_DATED = [
    r'proprietary attribute "(aria-current|loading|datetime)"',
    r"missing </div> before <dt>|inserting implicit <dl>|"
    r"missing </dl> before </div>|missing <dd>",
    r"trimming empty <span>",
]


def cmd_tidy(save):
    """Every page the crawl saved, through tidy: errors fail the page,
    warnings are listed."""
    with open(os.path.join(save, "pages.txt")) as f:
        pages = sorted(set(f.read().split()))
    dated = {}
    for page in pages:
        path = os.path.join(save, page.strip("/").replace("/", "__"))
        try:
            r = subprocess.run(["tidy", "-q", "-e", "--gnu-emacs", "no",
                                "--show-warnings", "yes", "-utf8", path],
                               capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            ok(False, "tidy: %s checked" % page, e)
            continue
        lines = [x.strip() for x in r.stderr.splitlines() if x.strip()]
        errors = [x for x in lines if " - Error: " in x or
                  x.startswith("Error")]
        warns = []
        for x in lines:
            if " - Warning: " not in x:
                continue
            msg = x.split(" - Warning: ", 1)[1]
            k = next((pat for pat in TIDY_DATED if re.search(pat, msg)),
                     None)
            if k:
                dated[msg] = dated.get(msg, 0) + 1
            else:
                warns.append(x)
        for x in warns[:10]:
            print("tidy: %s: %s" % (page, x))
        if len(warns) > 10:
            print("tidy: %s: %d more warnings" % (page, len(warns) - 10))
        ok(r.returncode in (0, 1) and not errors,
           "tidy: %s is valid HTML (%d warnings, %d of them dated)" %
           (page, len(warns) + sum(1 for x in lines if x not in warns and
                                   " - Warning: " in x),
            sum(1 for x in lines if x not in warns and
                " - Warning: " in x)),
           "; ".join(errors[:5]) or "tidy exited %d" % r.returncode)
    for msg, n in sorted(dated.items()):
        print("tidy: %d x \"%s\" (valid HTML5 tidy 5.6 does not know)" %
              (n, msg))
    ok(len(pages) >= 5, "tidy: checked %d pages" % len(pages))


# --- reports/index.html -------------------------------------------------------

def cmd_reports(dom, status, lang, month=None):
    doc, st = load_dom(dom), load_json(status)
    w = WORDS[lang]
    common_page(doc, st, lang, "reports")
    h1 = doc.first("h1")
    ok(h1 is not None and squash(h1.text()) == w["reports"],
       "reports: heading \"%s\"" % w["reports"],
       squash(h1.text()) if h1 else None)
    ths = [squash(x.text()) for x in doc.all("th")]
    if month:
        ok(ths[:2] == [w["month"], w["files"]],
           "reports: columns %s, %s" % (w["month"], w["files"]), ths)
        y, m = month.split("-")
        shown = "%s-%s" % (y, m) if lang == "en" else "%s/%s" % (m, y)
        rows = [tr for tr in doc.all("tr")
                if tr.first("td", "when") is not None and
                squash(tr.first("td", "when").text()) == shown]
        hrefs = [a.attrs.get("href") for tr in rows for a in tr.all("a")]
        ok(len(rows) == 1 and "%s.html" % month in hrefs and
           "%s.pdf" % month in hrefs,
           "reports: lists %s (%s) with its HTML and PDF" % (month, shown),
           hrefs)


# --- the server's manners ------------------------------------------------------

def cmd_http(base, web_dir, state_dir, down):
    cl = Client(base)
    down = split_ids(down)
    secret = b"root:x:0:0"
    state = os.path.join(state_dir, "state.json")
    ok(os.path.isfile(state), "http: %s exists (what the traversals aim at)"
       % state)

    for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                 "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
                 "/t/..%2f..%2fstate.json",
                 "/t/..%2f..%2f" + urllib.parse.quote(
                     os.path.basename(state_dir.rstrip("/")), safe="") +
                 "%2fstate.json",
                 "/..%2f" + urllib.parse.quote(os.path.basename(
                     state_dir.rstrip("/")), safe="") + "/state.json",
                 "/t/../../etc/passwd", "//etc/passwd",
                 "/..%5c..%5cetc%5cpasswd", "/index.html%00.png",
                 "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"]:
        code, hdr, body = cl.request("GET", path)
        ok(code in (400, 403, 404) and secret not in body and
           b'"targets"' not in body,
           "http: GET %s is refused (%d)" % (path, code), body[:80])
    # the control: an encoded slash that stays inside is fine
    code, hdr, body = cl.request("GET", "/t%2f" + "wan.html")
    ok(code == 200 and hdr.get("content-type") == TYPES[".html"],
       "http: GET /t%2fwan.html (inside web_dir) is served", code)

    made = []
    try:
        for name, target in (("_leak.txt", "/etc/passwd"),
                             ("_state", os.path.abspath(state_dir)),
                             ("_alias.html", "index.html")):
            p = os.path.join(web_dir, name)
            if os.path.lexists(p):
                os.unlink(p)
            os.symlink(target, p)
            made.append(p)
        code, hdr, body = cl.request("GET", "/_leak.txt")
        ok(code == 404 and secret not in body,
           "http: a symlink in web_dir to /etc/passwd gives 404", code)
        code, hdr, body = cl.request("GET", "/_state/state.json")
        ok(code == 404 and b"targets" not in body,
           "http: a symlinked directory out of web_dir gives 404", code)
        code, hdr, body = cl.request("GET", "/_alias.html")
        ok(code == 200 and b"<!DOCTYPE html>" in body,
           "http: a symlink that stays in web_dir is served", code)
    finally:
        for p in made:
            os.unlink(p)

    for path in ["/t/", "/g/", "/t", "/nope.html"]:
        code, hdr, body = cl.request("GET", path)
        ok(code == 404 and hdr.get("content-type", "").startswith(
            "text/plain") and b"<a " not in body,
           "http: GET %s is a plain 404, no listing" % path, code)

    index = os.path.join(web_dir, "index.html")
    before = os.stat(index)
    for method, path, body in (("POST", "/", None),
                               ("POST", "/status.json", None),
                               ("PUT", "/index.html", None),
                               ("DELETE", "/index.html", None),
                               ("TRACE", "/", None),
                               ("OPTIONS", "/", None)):
        code, hdr, data = cl.request(method, path, body=body)
        ok(code in (405, 501) and b"TRACE" not in data,
           "http: %s %s is refused with 405/501 (%d)" % (method, path, code))
    code, hdr, data = cl.request("POST", "/index.html",
                                 body=b"x" * 4096)
    ok(400 <= code < 600, "http: POST with a body is refused (%d)" % code)
    ok(os.path.exists(index) and os.stat(index).st_size > 0,
       "http: index.html is still there", before.st_size)

    hcode, hhdr, hbody = cl.request("HEAD", "/index.html")
    ok(hcode == 200 and hhdr.get("content-type") == TYPES[".html"] and
       hbody == b"", "http: HEAD /index.html: 200, its type, no body",
       (hcode, hhdr))
    # a length, if HEAD gives one, must be GET's (RFC 9110 9.3.2);
    # the stylesheet does not change between the two requests
    code, hdr, body = cl.request("GET", "/tramon.css")
    hcode, hhdr, hbody = cl.request("HEAD", "/tramon.css")
    ok(hcode == 200 and hhdr.get("content-type") == TYPES[".css"] and
       hbody == b"" and hhdr.get("content-length", str(len(body))) ==
       str(len(body)), "http: HEAD /tramon.css agrees with GET",
       (hcode, hhdr.get("content-length"), len(body)))
    code, hdr, body = cl.request("GET", "/index.html")
    lm = hdr.get("last-modified")
    code, hdr2, body2 = cl.request("GET", "/index.html",
                                   {"If-Modified-Since": lm or ""})
    ok(lm and code in (200, 304) and (code == 200 or body2 == b""),
       "http: If-Modified-Since answered (%d)" % code)

    code, hdr, body = cl.request("GET", "/metrics")
    text = body.decode("utf-8", "replace")
    ok(code == 200 and hdr.get("content-type", "").startswith(
        "text/plain"), "http: /metrics is text/plain", hdr.get(
            "content-type"))
    ok('tramon_target_up{target="wan"} 1\n' in text,
       'http: /metrics has tramon_target_up{target="wan"} 1')
    for i in down:
        ok('tramon_target_up{target="%s"} 0\n' % i in text and
           'tramon_target_state{target="%s",state="down"} 1\n' % i in text,
           "http: /metrics says %s is down" % i)

    code, hdr, body = cl.request("GET", "/index.html",
                                 {"X-Padding": "a" * 20000})
    ok(400 <= code < 500, "http: a 20 kB header is refused (%d)" % code)
    code, hdr, body = cl.request("GET", "/" + "a" * 9000)
    ok(400 <= code < 500, "http: a 9 kB path is refused (%d)" % code)
    code, hdr, body = cl.request("GET", "/status.json")
    ok(code == 200 and hdr.get("content-type") == TYPES[".json"] and
       hdr.get("cache-control") == "no-cache",
       "http: /status.json still served, application/json, no-cache",
       (code, hdr.get("content-type"), hdr.get("cache-control")))


COMMANDS = {"gen": (cmd_gen, 1, 1), "overview": (cmd_overview, 4, 5),
            "target": (cmd_target, 5, 6), "events": (cmd_events, 5, 5),
            "layout": (cmd_layout, 4, 5), "png": (cmd_png, 3, 3),
            "crawl": (cmd_crawl, 2, 3), "http": (cmd_http, 4, 4),
            "tidy": (cmd_tidy, 1, 1), "reports": (cmd_reports, 3, 4)}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        usage()
    fn, lo, hi = COMMANDS[sys.argv[1]]
    args = sys.argv[2:]
    if not lo <= len(args) <= hi:
        usage()
    try:
        fn(*args)
    except Exception:       # a bug here, or a page beyond recognition
        import traceback
        traceback.print_exc(file=sys.stdout)
        print("FAIL check.py %s crashed (above)" % sys.argv[1])
        sys.exit(3)
    sys.exit(1 if failed else 0)


main()
