#!/usr/bin/python3
"""cdp.py CHROMIUM OUTDIR [HOSTILE] < JOBS: load pages in headless
chromium, driven through the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4),
and say what a developer console would have shown.

Each line of JOBS is "URL W H [SHOT] [hostile]": the page is opened in a
fresh tab with a W x H viewport (a phone below 600 px: mobile
emulation, so the viewport meta tag counts), until its load event and
no request in flight for half a second, scrolled down once so that lazy
images load too, then back up.  SHOT (not "-") saves a screenshot of
the viewport as OUTDIR/SHOT.png.  "hostile" checks that HOSTILE, a
target's name made of markup, is shown as text and ran nothing.

For every page, one line "PASS what" or "FAIL what: detail" (read by
tests/integration/browser.sh): no console error or uncaught exception,
no request that failed or got an HTTP error, no dialog (alert), no
<script> but the stale-page warning's own, no broken image.  Warnings of
the console are printed as commentary.  Exit 0 if all passed, 1 if
not, 2 if chromium could not be driven.  Standard library only.
"""

import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

PAGE_BUDGET = 20.0      # seconds for one page, load to screenshot
QUIET = 0.4             # no request in flight for this long: loaded

failed = 0


def ok(cond, what, detail=""):
    global failed
    if cond:
        print("PASS %s" % what)
    else:
        failed += 1
        print("FAIL %s%s" % (what, ": " + str(detail) if detail else ""))
    return cond


class Chromium:
    """One headless chromium, its DevTools protocol on a pipe."""

    def __init__(self, exe, profile):
        to_c, self.wfd = os.pipe()      # we write, chromium reads fd 3
        self.rfd, from_c = os.pipe()    # chromium writes fd 4
        # on fds 3 and 4 in the child: first out of the way of both
        a, b = os.dup(to_c), os.dup(from_c)
        hi_a, hi_b = max(a, b, 10) + 1, max(a, b, 10) + 2
        os.dup2(a, hi_a)
        os.dup2(b, hi_b)
        for fd in (to_c, from_c, a, b):
            os.close(fd)

        def child():
            os.dup2(hi_a, 3)
            os.dup2(hi_b, 4)

        env = dict(os.environ, HOME=profile, XDG_CONFIG_HOME=profile,
                   XDG_CACHE_HOME=profile)
        log = open(os.path.join(profile, "..", "chromium-cdp.log"), "ab")
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--disable-quic", "--hide-scrollbars",
             "--force-device-scale-factor=1", "--user-data-dir=" + profile,
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            pass_fds=(3, 4), preexec_fn=child)
        log.close()
        os.close(hi_a)
        os.close(hi_b)
        self.buf, self.next_id, self.events = b"", 0, []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.wfd, data)
            data = data[n:]
        return self.next_id

    def read(self, deadline):
        """One message, or None at the deadline."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.rfd], [], [], left)
            if not r:
                return None
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed its DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=15.0):
        """Send, wait for the answer; events meanwhile are queued."""
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            m = self.read(deadline)
            if m is None:
                raise TimeoutError("%s: no answer in %g s" % (method,
                                                              timeout))
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def event(self, deadline):
        if self.events:
            return self.events.pop(0)
        return self.read(deadline)

    def close(self):
        try:
            self.send("Browser.close")
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.wfd)
        os.close(self.rfd)


# what the page says about itself once loaded
PROBE = r"""JSON.stringify({
  // the one script tramon writes: the stale-page warning (inline)
  scripts: [...document.getElementsByTagName("script")].filter((e) =>
      e.src || !e.text.startsWith(
          '(function(){var e=document.getElementById("stale")')).length,
  stale: !document.getElementById("stale") ||
      document.getElementById("stale").hidden,
  handlers: [...document.querySelectorAll("*")].filter((e) =>
      [...e.attributes].some((a) => /^on/i.test(a.name))).length,
  title: document.title,
  h1: (document.querySelector("h1") || {}).textContent || "",
  text: document.body ? document.body.textContent : "",
  names: [...document.querySelectorAll("td.name a, h1, .problems a")]
      .map((e) => e.textContent),
  broken: [...document.images].filter((i) => i.complete &&
      i.naturalWidth === 0).map((i) => i.getAttribute("src")),
  images: document.images.length,
  height: document.documentElement.scrollHeight,
  xss: typeof window.__tramon_xss
})"""


class Page:
    def __init__(self, br, url, w, h):
        self.br, self.url, self.w, self.h = br, url, w, h
        self.errors, self.warnings = [], []
        self.inflight, self.requests, self.loaded = {}, 0, False
        self.dialogs = []
        t = br.call("Target.createTarget", {"url": "about:blank"})
        self.target = t["targetId"]
        self.sid = br.call("Target.attachToTarget", {
            "targetId": self.target, "flatten": True})["sessionId"]
        for m in ("Page.enable", "Runtime.enable", "Log.enable",
                  "Network.enable"):
            self.call(m)
        self.call("Network.setCacheDisabled", {"cacheDisabled": True})
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1,
            "mobile": w < 600})

    def call(self, method, params=None):
        return self.br.call(method, params, self.sid)

    def on(self, m):
        if m.get("sessionId") != self.sid or "method" not in m:
            return
        p, ev = m.get("params", {}), m["method"]
        if ev == "Page.loadEventFired":
            self.loaded = True
        elif ev == "Network.requestWillBeSent":
            self.inflight[p["requestId"]] = p["request"]["url"]
            self.requests += 1
            if os.environ.get("CDP_DEBUG"):
                print("# request %s" % p["request"]["url"])
        elif ev == "Network.loadingFinished":
            self.inflight.pop(p["requestId"], None)
        elif ev == "Network.loadingFailed":
            url = self.inflight.pop(p["requestId"], "?")
            self.errors.append("load failed: %s (%s)" % (
                url, p.get("errorText") or p.get("blockedReason")))
        elif ev == "Network.responseReceived":
            r = p["response"]
            if r.get("status", 0) >= 400:
                self.errors.append("HTTP %s: %s" % (r["status"], r["url"]))
        elif ev == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in p.get("args", []))
            if p["type"] in ("error", "assert"):
                self.errors.append("console.%s: %s" % (p["type"], text))
            elif p["type"] == "warning":
                self.warnings.append("console.warn: %s" % text)
        elif ev == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: %s" % (
                d.get("exception", {}).get("description") or d.get("text")))
        elif ev == "Log.entryAdded":
            e = p["entry"]
            line = "%s %s: %s%s" % (e["source"], e["level"], e["text"],
                                    " (%s)" % e["url"] if e.get("url")
                                    else "")
            if e["level"] == "error":
                self.errors.append(line)
            elif e["level"] == "warning":
                self.warnings.append(line)
        elif ev == "Page.javascriptDialogOpening":
            self.dialogs.append("%s(%r)" % (p["type"], p["message"]))
            self.br.send("Page.handleJavaScriptDialog", {"accept": True},
                         self.sid)

    def settle(self, deadline, need_load):
        """Until loaded (if asked) and QUIET s without a request."""
        quiet_since = time.monotonic()
        while True:
            now = time.monotonic()
            if (self.loaded or not need_load) and not self.inflight and \
                    now - quiet_since >= QUIET:
                return True
            if now >= deadline:
                return False
            m = self.br.event(min(deadline, now + QUIET / 2))
            if m is None:
                continue
            busy = bool(self.inflight)
            self.on(m)
            if self.inflight or busy:
                quiet_since = time.monotonic()

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr,
                                           "returnByValue": True})
        return r.get("result", {}).get("value")

    def load(self):
        deadline = time.monotonic() + PAGE_BUDGET
        nav = self.call("Page.navigate", {"url": self.url})
        if nav.get("errorText"):
            self.errors.append("navigation: %s" % nav["errorText"])
            return False
        done = self.settle(deadline, True)
        # lazy images below the first screen, then the first screen again
        if self.evaluate("document.documentElement.scrollHeight") > self.h:
            self.evaluate("window.scrollTo(0, document.documentElement."
                          "scrollHeight)")
            done = self.settle(deadline, False) and done
            self.evaluate("window.scrollTo(0, 0)")
        if not done:
            self.errors.append("still loading after %g s: %s" % (
                PAGE_BUDGET, sorted(self.inflight.values())[:3]))
        return done

    def shot(self, path):
        r = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.br.call("Target.closeTarget", {"targetId": self.target})
        except (RuntimeError, TimeoutError):
            pass


def run_job(br, outdir, hostile, url, w, h, shot=None, flag=None):
    what = "chromium: %s at %dx%d" % (url.split("/", 3)[-1] or "/", w, h)
    pg = Page(br, url, w, h)
    try:
        pg.load()
        probe = json.loads(pg.evaluate(PROBE) or "{}")
        if shot:
            pg.shot(os.path.join(outdir, shot + ".png"))
    finally:
        pg.close()
    for line in pg.warnings[:5]:
        print("%s: %s" % (what, line))
    ok(not pg.errors, "%s: no console error, no failed load (%d requests)"
       % (what, pg.requests), "; ".join(pg.errors[:5]))
    ok(not probe.get("broken") and probe.get("images", 0) >= 0,
       "%s: every image shown (%d)" % (what, probe.get("images", 0)),
       probe.get("broken"))
    ok(probe.get("stale") is True,
       "%s: a fresh page shows no stale warning" % what)
    ok(not pg.dialogs and probe.get("scripts") == 0 and
       probe.get("handlers") == 0 and probe.get("xss") == "undefined",
       "%s: no script, no event handler, no dialog" % what,
       "dialogs %s, %s scripts, %s handlers" % (
           pg.dialogs, probe.get("scripts"), probe.get("handlers")))
    if flag == "hostile":
        names = probe.get("names", [])
        ok(hostile in names,
           "%s: the hostile name is shown as text, as written" % what,
           [n for n in names if "script" in n][:3] or names[:3])
        ok(hostile in probe.get("text", ""),
           "%s: the hostile name is in the page's text" % what)


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write(__doc__)
        sys.exit(2)
    exe, outdir = sys.argv[1], sys.argv[2]
    hostile = sys.argv[3] if len(sys.argv) == 4 else ""
    jobs = [line.split() for line in sys.stdin if line.strip()]
    profile = tempfile.mkdtemp(prefix="cdp.", dir=outdir)
    br = Chromium(exe, profile)
    try:
        v = br.call("Browser.getVersion", timeout=30)
        print("driving %s" % v.get("product"))
        for j in jobs:
            url, w, h = j[0], int(j[1]), int(j[2])
            shot = j[3] if len(j) > 3 and j[3] != "-" else None
            flag = j[4] if len(j) > 4 else None
            run_job(br, outdir, hostile, url, w, h, shot, flag)
    except (EOFError, TimeoutError, RuntimeError, OSError) as e:
        print("FAIL chromium could not be driven: %s" % e)
        sys.exit(2)
    finally:
        br.close()
        subprocess.call(["rm", "-rf", profile])
    sys.exit(1 if failed else 0)


main()
