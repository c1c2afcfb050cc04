#!/usr/bin/python3
"""mkrec.py: derive an snmpsimd recording from the Cisco Catalyst 3750
recording (tests/data/cisco_16_switch.snmprec.gz) whose counters advance.

    mkrec.py [options] SRC OUT

SRC is a .snmprec or .snmprec.gz; OUT the .snmprec to write (snmpsimd
serves it under the community OUT's base name).  Everything the options
name is a port by its ifName (Fa3/0/3) or ifDescr (FastEthernet3/0/3).

Counters and sysUpTime use snmpsim's `numeric` variation module with
`atime`: a value is a function of the wall clock, base + rate * (now - T0),
so the numbers are the same whichever snmpsimd serves them and whenever it
was started.  A test that knows T0 and the rates knows every value the agent
will ever report.  At T0 every counter has the recording's own value.

  --t0 EPOCH          the time the recording's values hold (default: now)
  --uptime SECONDS    sysUpTime at T0 (default: the recording's, ~80 days);
                      it advances 100 ticks a second
  --rate P:IN:OUT     octets per second into / out of port P: ifHCIn/Out-
                      Octets and the 32-bit ifIn/OutOctets (= HC mod 2^32)
  --errors P:IN:OUT   ifIn/OutErrors per second
  --discards P:IN:OUT ifIn/OutDiscards per second
  --wrap P:SECONDS    the 32-bit in and out octet counters of P wrap
                      SECONDS after T0 (P needs a --rate)
  --oper P:up|down    ifOperStatus of P
  --reset             every interface counter is 0 at T0, as after a reboot
  --no-ifx            no ifXTable: no ifName, no HC counters, no ifHighSpeed
  --renumber          the same ports at other ifIndex values: the list of
                      ifIndex values is reversed, so each name lands on an
                      index another port had
  --stall P           no answer at all (snmpsim `delay` variation, dropped)
                      to any request that reads P's in-octet counters: a
                      walk of the interface tables stops there

Prints, on standard output, "t0 EPOCH", "uptime SECONDS" (sysUpTime at
T0) and one line per port with a rate: NAME IFINDEX IN_RATE OUT_RATE.
"""

import argparse
import gzip
import sys
import time

IFTABLE = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFXTABLE = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
SYSUPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)

# ifTable columns
IF_INDEX, IF_DESCR, IF_OPER = 1, 2, 8
IF_IN_OCT, IF_IN_DISC, IF_IN_ERR = 10, 13, 14
IF_OUT_OCT, IF_OUT_DISC, IF_OUT_ERR = 16, 19, 20
# ifXTable columns
IFX_NAME, IFX_HC_IN, IFX_HC_OUT = 1, 6, 10

WRAP32 = 1 << 32
# snmpsim's `delay` drops the whole response when the wait exceeds 99999 ms
DROP_MS = 100000


def die(msg):
    sys.exit("mkrec.py: error: " + msg)


def oid_tuple(text):
    return tuple(int(x) for x in text.split("."))


def oid_text(oid):
    return ".".join(str(x) for x in oid)


def read_records(path):
    opener = gzip.open if path.endswith(".gz") else open
    records = []
    with opener(path, "rt", encoding="latin-1") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            try:
                oid, tag, value = line.split("|", 2)
                records.append([oid_tuple(oid), tag, value])
            except ValueError:
                die("%s:%d: not an snmprec line" % (path, n))
    return records


def text_value(tag, value):
    if tag.endswith("x"):
        return bytes.fromhex(value).decode("latin-1")
    return value


def port_spec(text, nfields):
    parts = text.split(":")
    if len(parts) != nfields + 1 or not parts[0]:
        raise argparse.ArgumentTypeError("'%s': expected PORT%s" %
                                         (text, ":X" * nfields))
    return parts


class Recording:
    def __init__(self, records):
        self.records = records
        self.by_oid = {r[0]: r for r in records}
        self.names = {}         # ifName / ifDescr -> ifIndex
        self.label = {}         # ifIndex -> ifName (else ifDescr)
        for oid, tag, value in records:
            if oid[:len(IFTABLE)] == IFTABLE and oid[len(IFTABLE)] == IF_DESCR:
                idx = oid[-1]
                self.names[text_value(tag, value)] = idx
                self.label.setdefault(idx, text_value(tag, value))
            elif (oid[:len(IFXTABLE)] == IFXTABLE and
                  oid[len(IFXTABLE)] == IFX_NAME):
                idx = oid[-1]
                self.names[text_value(tag, value)] = idx
                self.label[idx] = text_value(tag, value)

    def index(self, port):
        if port not in self.names:
            die("no port '%s' in the recording" % port)
        return self.names[port]

    def get(self, table, column, idx):
        return self.by_oid.get(table + (column, idx))


def numeric(rec, base, rate, t0, wrap32=False):
    """Turn rec into a numeric variation: base at t0, + rate per second."""
    # atime: the module computes rate * now + initial, now = the epoch
    settings = "initial=%.3f,rate=%s,atime=1" % (base - rate * t0, rate)
    if wrap32:
        settings += ",max=%d,wrap=1" % WRAP32
    rec[1] = rec[1].rstrip("x").split(":")[0] + ":numeric"
    rec[2] = settings


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--t0", type=float, default=None)
    ap.add_argument("--uptime", type=float, default=None)
    ap.add_argument("--rate", action="append", default=[],
                    type=lambda s: port_spec(s, 2))
    ap.add_argument("--errors", action="append", default=[],
                    type=lambda s: port_spec(s, 2))
    ap.add_argument("--discards", action="append", default=[],
                    type=lambda s: port_spec(s, 2))
    ap.add_argument("--wrap", action="append", default=[],
                    type=lambda s: port_spec(s, 1))
    ap.add_argument("--oper", action="append", default=[],
                    type=lambda s: port_spec(s, 1))
    ap.add_argument("--reset", action="store_true")
    ap.add_argument("--no-ifx", action="store_true")
    ap.add_argument("--renumber", action="store_true")
    ap.add_argument("--stall", action="append", default=[])
    a = ap.parse_args()

    t0 = time.time() if a.t0 is None else a.t0
    rec = Recording(read_records(a.src))
    out_rates = []

    up = rec.by_oid.get(SYSUPTIME)
    if up is None:
        die("no sysUpTime in the recording")
    ticks = float(up[2]) if a.uptime is None else a.uptime * 100
    numeric(up, ticks, 100, t0)

    if a.reset:
        for r in rec.records:
            if ((r[0][:len(IFTABLE)] == IFTABLE or
                 r[0][:len(IFXTABLE)] == IFXTABLE) and r[1] in ("65", "70")):
                r[2] = "0"

    rates = {}
    for port, rin, rout in a.rate:
        rates[rec.index(port)] = (float(rin), float(rout))
    wraps = {}
    for port, secs in a.wrap:
        idx = rec.index(port)
        if idx not in rates:
            die("--wrap %s needs a --rate for it" % port)
        wraps[idx] = float(secs)

    for idx, (rin, rout) in sorted(rates.items()):
        for col32, col64, rate in ((IF_IN_OCT, IFX_HC_IN, rin),
                                   (IF_OUT_OCT, IFX_HC_OUT, rout)):
            r32 = rec.get(IFTABLE, col32, idx)
            r64 = rec.get(IFXTABLE, col64, idx)
            if r32 is None:
                die("port %s has no octet counters" % rec.label[idx])
            base = float(r64[2]) if r64 is not None else float(r32[2])
            if idx in wraps:
                # the next multiple of 2^32 is reached `secs` after t0
                target = (int(base) // WRAP32 + 1) * WRAP32
                base = target - rate * wraps[idx]
                if base < 0:
                    die("--wrap %s: rate too low to wrap" % rec.label[idx])
            numeric(r32, base, rate, t0, wrap32=True)
            if r64 is not None:
                numeric(r64, base, rate, t0)
        out_rates.append("%s %d %s %s" % (rec.label[idx], idx, rin, rout))

    for opt, cin, cout in ((a.errors, IF_IN_ERR, IF_OUT_ERR),
                           (a.discards, IF_IN_DISC, IF_OUT_DISC)):
        for port, rin, rout in opt:
            idx = rec.index(port)
            for col, rate in ((cin, rin), (cout, rout)):
                r = rec.get(IFTABLE, col, idx)
                if r is None:
                    die("port %s has no column %d" % (port, col))
                numeric(r, float(r[2]), float(rate), t0, wrap32=True)

    for port, state in a.oper:
        r = rec.get(IFTABLE, IF_OPER, rec.index(port))
        if state not in ("up", "down"):
            die("--oper %s: up or down" % port)
        r[1], r[2] = "2", "1" if state == "up" else "2"

    for port in a.stall:
        idx = rec.index(port)
        for r in (rec.get(IFTABLE, IF_IN_OCT, idx),
                  rec.get(IFXTABLE, IFX_HC_IN, idx)):
            if r is None:
                continue
            if ":" in r[1]:
                die("--stall %s: the port also has a --rate" % port)
            r[1] = r[1] + ":delay"
            r[2] = "value=%s,wait=%d" % (r[2], DROP_MS)

    records = rec.records
    if a.no_ifx:
        records = [r for r in records
                   if r[0][:len(IFXTABLE)] != IFXTABLE]

    if a.renumber:
        old = sorted(rec.label)
        new = dict(zip(old, reversed(old)))
        for r in records:
            for table in (IFTABLE, IFXTABLE):
                if r[0][:len(table)] == table and len(r[0]) == len(table) + 2:
                    r[0] = r[0][:-1] + (new[r[0][-1]],)
                    if table == IFTABLE and r[0][len(table)] == IF_INDEX:
                        r[2] = str(new[int(r[2])])
        out_rates = ["%s %d %s %s" % (n, new[int(i)], ri, ro) for n, i, ri, ro
                     in (x.split() for x in out_rates)]

    records.sort(key=lambda r: r[0])
    with open(a.out, "w", encoding="latin-1") as f:
        for oid, tag, value in records:
            f.write("%s|%s|%s\n" % (oid_text(oid), tag, value))
    print("t0 %.3f" % t0)
    print("uptime %.2f" % (ticks / 100))
    for line in out_rates:
        print(line)


if __name__ == "__main__":
    main()
